"""Build the small int8 test models and their reference outputs (host tool, CPython + TensorFlow).

Usage: ``python tools/make_test_models.py [out_dir]`` (default ``tests/data/models``);
``python tools/make_test_models.py --shipped`` writes the references of the shipped model
(``shipped.ref``, ``shipped.json``), see :func:`shipped_refs`.

For each architecture in :data:`ARCHS` this builds a small Keras model with random (seeded) weights
and biases, converts it to a full-int8 ``.tflite`` (int8 input and output), and runs it through the
real TFLite-Micro runtime (PyPI ``tflite-micro``, whose kernels are TFLM's reference kernels) on
deterministic pseudo-random inputs (:func:`lcg_input`, reproduced by the device tests). It writes

- ``<name>.tflite`` -- the model;
- ``<name>.ref`` -- the reference: for input k = 0..n-1, the int8 outputs, as raw bytes
  (n * n_outputs bytes; n is in the .json);
- ``<name>.json`` -- Classifier metadata (labels, t_lo/t_hi, input quantization, arena size,
  input shape) plus ``ref_count`` and ``ref_seed`` for the tests;
- ``<name>.labels.txt`` -- one label per line.

No numbers are trained: the point is bit-exactness of an interpreter, not accuracy.
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from heatface.tflite_testdata import lcg_input  # noqa: E402  (shared with the device tests)

INPUT_SHAPE = (24, 32, 1)
ARENA_SIZE = 24 * 1024


def _layers():
    import keras
    from keras import layers

    init = keras.initializers

    def conv(n, k, **kw):
        return layers.Conv2D(n, k, bias_initializer=init.RandomNormal(stddev=0.3), **kw)

    def dw(k, **kw):
        return layers.DepthwiseConv2D(k, bias_initializer=init.RandomNormal(stddev=0.3), **kw)

    def dense(n, **kw):
        return layers.Dense(n, bias_initializer=init.RandomNormal(stddev=0.3), **kw)

    return keras, layers, conv, dw, dense


def arch_face_like():
    """The shape of the real face model: conv+relu, maxpool, conv+relu, maxpool, flatten, dense, softmax."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = conv(8, 3, activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = conv(16, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = dense(4)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out), ["face0", "face1", "env", "other"]


def arch_conv_pool():
    """CONV_2D (VALID, RELU) + MAX_POOL_2D + FULLY_CONNECTED + SOFTMAX, small channel counts."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = conv(4, 3, activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = conv(6, 3, activation="relu")(x)
    x = layers.MaxPooling2D((2, 3), strides=(2, 3))(x)
    x = layers.Flatten()(x)
    x = dense(3)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out), ["a", "b", "c"]


def arch_dw_avg():
    """CONV_2D (SAME) + DEPTHWISE_CONV_2D (multiplier 2) + AVERAGE_POOL_2D (VALID and SAME) + dense."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = conv(3, 3, padding="same", activation="relu", strides=2)(inp)
    x = dw(3, depth_multiplier=2, activation="relu")(x)
    x = layers.AveragePooling2D(2)(x)
    x = dw(3, padding="same")(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = dense(4)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out), ["w", "x", "y", "z"]


def arch_gap_reshape():
    """Strided SAME conv with RELU6, MEAN (global average, keep_dims False) and RESHAPE."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = conv(6, 3, strides=2, padding="same", activation="relu6")(inp)
    x = conv(8, 3, strides=2, padding="same", activation="relu6")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Reshape((2, 4))(x)
    x = layers.Flatten()(x)
    x = dense(5)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out), ["p", "q", "r", "s", "t"]


def arch_strided_mix():
    """VALID stride-2 5x5 conv, linear conv, dilated conv, strided depthwise with RELU6,
    SAME max pool, MEAN with keep_dims, dense with RELU then dense + softmax."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = conv(6, 5, strides=2, padding="valid", activation="relu6")(inp)
    x = conv(8, 3, padding="same")(x)
    x = conv(8, 3, padding="same", dilation_rate=2, activation="relu")(x)
    x = dw(3, strides=2, padding="same", activation="relu6")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = layers.Flatten()(x)
    x = dense(6, activation="relu")(x)
    x = dense(3)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out), ["one", "two", "three"]


ARCHS = {
    "face_like": (arch_face_like, 60),
    "conv_pool": (arch_conv_pool, 130),
    "dw_avg": (arch_dw_avg, 130),
    "gap_reshape": (arch_gap_reshape, 130),
    "strided_mix": (arch_strided_mix, 130),
}


def bad_tanh():
    """A model with an op the pure interpreter lacks (TANH), for the error-path tests."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input(INPUT_SHAPE, batch_size=1)
    x = layers.Conv2D(2, 3, strides=4, activation="tanh")(inp)
    x = layers.Flatten()(x)
    out = layers.Softmax()(dense(3)(x))
    return keras.Model(inp, out)


def bad_shape():
    """A model whose input is 16x16x1, not a 24x32 frame."""
    keras, layers, conv, dw, dense = _layers()
    inp = keras.Input((16, 16, 1), batch_size=1)
    x = layers.Flatten()(layers.MaxPooling2D(4)(inp))
    out = layers.Softmax()(dense(2)(x))
    return keras.Model(inp, out)


BAD = {"bad_tanh": bad_tanh, "bad_shape": bad_shape}


def representative(n=200, seed=1, shape=INPUT_SHAPE):
    rng = np.random.default_rng(seed)
    for i in range(n):
        if i % 2:
            img = rng.random(shape, dtype=np.float32)
        elif shape != INPUT_SHAPE:
            img = rng.random(shape, dtype=np.float32) * 0.5
        else:  # smooth blobs, like warm faces on a cooler background
            yy, xx = np.mgrid[0:24, 0:32]
            cy, cx = rng.uniform(4, 20), rng.uniform(6, 26)
            r = rng.uniform(3, 10)
            img = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)).astype(np.float32)[..., None]
        yield [img[None]]


def convert(model):
    """Full-int8 conversion (int8 input and output), calibrated on :func:`representative`."""
    import tensorflow as tf

    shape = tuple(model.inputs[0].shape[1:])
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: representative(shape=shape)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def tflm_outputs(model_bytes, inputs, arena_size=ARENA_SIZE):
    """Run TFLM (reference kernels) on each int8 input (bytes of 768); returns a list of int8 arrays."""
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_size)
    shape = interp.get_input_details(0)["shape"]
    outs = []
    for data in inputs:
        arr = np.frombuffer(bytes(data), dtype=np.int8).reshape(shape)
        interp.set_input(arr, 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0), dtype=np.int8).reshape(-1))
    return outs


def build(name, out_dir, seed=1234):
    import keras

    fn, count = ARCHS[name]
    keras.utils.set_random_seed(seed)
    model, labels = fn()
    data = convert(model)
    with open(os.path.join(out_dir, name + ".tflite"), "wb") as f:
        f.write(data)
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(data, arena_size=ARENA_SIZE)
    q = interp.get_input_details(0)["quantization_parameters"]
    ref_seed = sum(ord(c) for c in name)
    inputs = [lcg_input(ref_seed + k) for k in range(count)]
    outs = tflm_outputs(data, inputs)
    with open(os.path.join(out_dir, name + ".ref"), "wb") as f:
        for o in outs:
            f.write(o.tobytes())
    meta = {
        "labels": labels,
        "t_lo": 22.0,
        "t_hi": 37.0,
        "input_scale": float(q["scales"][0]),
        "input_zero_point": int(q["zero_points"][0]),
        "arena_size": ARENA_SIZE,
        "input_shape": [1, 24, 32, 1],
        "ref_count": count,
        "ref_seed": ref_seed,
    }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(out_dir, name + ".labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    print("%-12s %6d bytes, %d reference inputs" % (name, len(data), count))


SHIPPED = os.path.join(ROOT, "models", "heatface.tflite")
SHIPPED_REFS = 500


def shipped_refs(out_dir, model_path=SHIPPED, count=SHIPPED_REFS):
    """TFLM's outputs for the shipped model on ``count`` LCG inputs -> ``shipped.ref``/``.json``.

    Run again after retraining the shipped model (``make train`` does): the tests compare the
    pure interpreter with these, and a host test checks they still match the model in models/.
    """
    import hashlib

    with open(model_path, "rb") as f:
        data = f.read()
    ref_seed = 9000
    outs = tflm_outputs(data, [lcg_input(ref_seed + k) for k in range(count)], arena_size=64 * 1024)
    with open(os.path.join(out_dir, "shipped.ref"), "wb") as f:
        for o in outs:
            f.write(o.tobytes())
    meta = {"model": os.path.relpath(model_path, ROOT), "sha256": hashlib.sha256(data).hexdigest(),
            "ref_count": count, "ref_seed": ref_seed}
    with open(os.path.join(out_dir, "shipped.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("shipped model %s: %d reference outputs" % (meta["model"], count))


def main(argv):
    if argv[:1] == ["--shipped"]:
        shipped_refs(os.path.join(ROOT, "tests", "data", "models"))
        return
    out_dir = argv[0] if argv else os.path.join(ROOT, "tests", "data", "models")
    os.makedirs(out_dir, exist_ok=True)
    for name in ARCHS:
        build(name, out_dir)
    import keras

    for name, fn in BAD.items():
        keras.utils.set_random_seed(7)
        with open(os.path.join(out_dir, name + ".tflite"), "wb") as f:
            f.write(convert(fn()))


if __name__ == "__main__":
    main(sys.argv[1:])
