"""int8 export and the reference TFLite-Micro runtime for heatface's training (host only).

Full-integer conversion with a representative set, the op check against the on-board
interpreter, the smallest TFLM arena, and TFLM predictions on gray8 images.
"""

import contextlib
import os
import sys
import time

import numpy as np

ROWS, COLS = 24, 32
ALLOWED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN",
               "FULLY_CONNECTED", "RESHAPE", "SOFTMAX")


def representative_set(x_gray, rng, n=200):
    """Calibration inputs: a 0..255 ramp, which pins the input range to [0, 1] (input scale 1/255,
    zero point -128, so the board's int8 input is simply gray - 128), plus ``n`` training images."""
    ramp = np.linspace(0, 255, ROWS * COLS).reshape(1, ROWS, COLS)
    pick = rng.permutation(len(x_gray))[:n]
    return (np.concatenate([ramp, x_gray[pick]]).astype(np.float32) / 255.0)[..., None]


def convert_int8(model, representative):
    """Full-integer conversion (int8 input and output) with a representative dataset."""
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([representative[i:i + 1]] for i in range(len(representative)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with _quiet_fds():
        return conv.convert()


def model_ops(tflite_bytes):
    """Names of the builtin operators a .tflite flatbuffer uses, in operator-code order."""
    from tflite_micro import runtime
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    model = runtime.convert_bytearray_to_object(bytearray(tflite_bytes))
    return [names.get(runtime.get_builtin_code_from_operator_code(oc), "UNKNOWN")
            for oc in model.operatorCodes]


def check_ops(tflite_bytes):
    """Raise with a clear message if the model uses an op the pure interpreter lacks."""
    ops = model_ops(tflite_bytes)
    bad = [o for o in ops if o not in ALLOWED_OPS]
    if bad:
        raise SystemExit("the converted model uses %s, which heatface's interpreter does not implement "
                         "(allowed: %s)" % (", ".join(bad), ", ".join(ALLOWED_OPS)))
    return ops


@contextlib.contextmanager
def _quiet_fds():
    """Silence C-level stdout/stderr (TFLM and the converter print straight to the fds)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)


def tflm_interpreter(tflite_bytes, arena_size):
    """A TFLM interpreter, or None when ``arena_size`` is too small."""
    from tflite_micro import runtime

    try:
        with _quiet_fds():
            it = runtime.Interpreter.from_bytes(bytes(tflite_bytes), arena_size=arena_size)
            it.set_input(np.zeros((1, ROWS, COLS, 1), np.int8), 0)
            it.invoke()
        return it
    except RuntimeError:
        return None


def measure_arena(tflite_bytes, hi=256 * 1024):
    """The smallest arena (bytes, 16-byte steps) TFLM needs to allocate and invoke the model."""
    lo = 0
    if tflm_interpreter(tflite_bytes, hi) is None:
        raise SystemExit("TFLM cannot run the model even with a %d-byte arena" % hi)
    while hi - lo > 16:
        mid = (lo + hi) // 2 // 16 * 16
        if tflm_interpreter(tflite_bytes, mid) is None:
            lo = mid
        else:
            hi = mid
    return hi


def quantize_input(gray, scale, zero_point):
    """int8 network input for gray8 images (x = gray / 255), rounded and clamped, as
    heatface.classifier.input_lut does on the board."""
    q = np.round(np.asarray(gray, np.float32) / 255.0 / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)[..., None]


def tflm_predict(tflite_bytes, arena_size, gray):
    """Run TFLM on gray8 images (N, 24, 32); returns (int8 scores (N, C), seconds per inference)."""
    it = tflm_interpreter(tflite_bytes, arena_size)
    if it is None:
        raise RuntimeError("TFLM failed with an arena of %d bytes" % arena_size)
    q = it.get_input_details(0)["quantization_parameters"]
    xq = quantize_input(gray, float(q["scales"][0]), int(q["zero_points"][0]))
    outs = []
    t0 = time.perf_counter()
    for i in range(len(xq)):
        it.set_input(xq[i:i + 1], 0)
        it.invoke()
        outs.append(np.array(it.get_output(0)).reshape(-1))
    dt = (time.perf_counter() - t0) / max(1, len(xq))
    return np.stack(outs), dt
