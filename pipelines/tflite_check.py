"""What a .tflite flatbuffer asks its runtime for, read without running it.

A phone runtime can only execute builtin ops; Flex ops (TF kernels bundled in) and custom
ops need extra libraries. Reading the operator table of the flatbuffer tells us before
anyone ships the file.
"""

import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema


def _builtin_names() -> dict:
    return {code: name for name, code in vars(schema.BuiltinOperator).items()
            if not name.startswith("_")}


def tflite_op_names(model_bytes: bytes) -> set[str]:
    """Names of the ops a model uses: builtins as e.g. 'FULLY_CONNECTED', Flex and custom
    ops by their custom code (e.g. 'FlexComplex')."""
    model = schema.Model.GetRootAs(model_bytes, 0)
    builtins = _builtin_names()
    names = set()
    for index in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(index)
        # Codes past 127 only fit the newer field; old files fill only the deprecated one.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            names.add((code.CustomCode() or b"").decode())
        else:
            names.add(builtins.get(builtin, f"BUILTIN_{builtin}"))
    return names


def non_builtin_ops(model_bytes: bytes) -> set[str]:
    """The ops a stock TFLite runtime cannot run (Flex and custom)."""
    known = set(_builtin_names().values())
    return {name for name in tflite_op_names(model_bytes) if name not in known}


def convert_builtins_only(concrete_function) -> bytes:
    """Convert one concrete function allowing TFLite builtins only.

    Conversion fails loudly if an op has no builtin; this never falls back to Flex.
    """
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [concrete_function], concrete_function)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()
