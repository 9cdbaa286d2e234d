"""Generator inference against the machine: GFLOP/s of a batched TF call, of LiteRT at batch 1
(the file `keras_avgan convert` writes), and of a large float32 matmul (the same-run peak).

FLOPs are what TF's profiler counts in the generator's graph for one example (MatMul and
Conv2DBackpropInput, i.e. the transposed convolutions, count 2 per multiply-add).
"""

import os
import tempfile
import time

MATMUL_SIDE = 2048
INFERENCE_BATCH = 64


def _best_rate(fn, work, rounds=5, calls=3) -> float:
    """work / seconds of the fastest of `rounds` rounds of `calls` calls (after one warm-up)."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls)
    return work / best


def matmul_peak_gflops() -> float:
    import tensorflow as tf

    a = tf.random.normal((MATMUL_SIDE, MATMUL_SIDE))
    b = tf.random.normal((MATMUL_SIDE, MATMUL_SIDE))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    return _best_rate(lambda: float(product()), 2 * MATMUL_SIDE ** 3 / 1e9)


def generator_flops(generator, latent_dim) -> int:
    import tensorflow as tf

    graph = tf.function(lambda z: generator(z, training=False)).get_concrete_function(
        tf.TensorSpec([1, latent_dim])).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops


def wavegan_generator(model_dim):
    from keras_avgan.networks.audio.wavegan import WaveGANGenerator

    generator = WaveGANGenerator(latent_dim=100, slice_len=16384, model_dim=model_dim)
    generator.build((None, 100))
    return generator


def dcgan_generator(model_dim):
    from keras_avgan.networks.image.dcgan import DCGANGenerator

    generator = DCGANGenerator(latent_dim=100, image_size=64, model_dim=model_dim)
    generator.build((None, 100))
    return generator


GENERATORS = {"wavegan": wavegan_generator, "dcgan": dcgan_generator}


def batched_gflops(name, model_dim, batch=INFERENCE_BATCH) -> dict:
    """TF's rate on batches of `batch` latents, and the generator's FLOPs per example."""
    import tensorflow as tf

    generator = GENERATORS[name](model_dim)
    flops = generator_flops(generator, 100)
    z = tf.random.uniform((batch, 100), -1.0, 1.0)
    call = tf.function(lambda: tf.reduce_sum(generator(z, training=False)))
    return {"gflops": _best_rate(lambda: float(call()), flops * batch / 1e9),
            "gflop_per_example": flops / 1e9}


def litert_gflops(name, model_dim, threads=None) -> dict:
    """LiteRT at batch 1 (XNNPACK, `threads` or every core) on the file the project's
    converter writes from a `serving_default(z) -> audio|image` SavedModel."""
    import numpy as np
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from keras_avgan.serving import tflite

    generator = GENERATORS[name](model_dim)
    flops = generator_flops(generator, 100)
    holder = tf.Module()
    holder.generator = generator
    output = "audio" if name == "wavegan" else "image"

    @tf.function(input_signature=[tf.TensorSpec([None, 100], tf.float32, name="z")])
    def serve(z):
        return {output: holder.generator(z, training=False)}

    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(holder, os.path.join(tmp, "1"), signatures={"serving_default": serve})
        path = os.path.join(tmp, "g.tflite")
        tflite.convert_saved_model(os.path.join(tmp, "1"), path, check=False)
        runner = Interpreter(model_path=path, num_threads=threads or os.cpu_count())
        runner.allocate_tensors()
        signature = runner.get_signature_runner("serving_default")
        z = np.random.default_rng(0).uniform(-1, 1, (1, 100)).astype(np.float32)
        rate = _best_rate(lambda: signature(z=z), flops / 1e9, calls=10)
    return {"gflops": rate, "gflop_per_example": flops / 1e9}
