"""TFLite checks shared by the tests: convert a function with builtins only, list foreign ops."""

import tensorflow as tf

from keras_avgan.serving.tflite import tflite_ops


def non_builtin_ops(model_bytes: bytes) -> set[str]:
    """The ops a stock TFLite runtime cannot run (Flex and custom)."""
    return {op for op in tflite_ops(model_bytes) if op.startswith(("Flex", "custom:"))}


def convert_builtins_only(concrete_function) -> bytes:
    """Convert one concrete function allowing TFLite builtins only; fails loudly otherwise."""
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [concrete_function], concrete_function)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()
