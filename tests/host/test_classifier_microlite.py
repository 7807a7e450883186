"""Classifier's microlite backend through the CPython microlite stand-in (real TFLM underneath)
gives the same int8 outputs as the pure backend; backend selection."""

import numpy as np

from heatface.classifier import Classifier
from heatface.tflite_testdata import lcg_input

MODEL = "tests/data/models/face_like.tflite"


def test_default_backend_is_microlite_when_importable():
    assert Classifier.load(MODEL).backend == "microlite"
    assert Classifier.load(MODEL, backend="pure").backend == "pure"


def test_backends_agree_byte_for_byte():
    ml = Classifier.load(MODEL, backend="microlite")
    pure = Classifier.load(MODEL, backend="pure")
    for seed in range(40):
        g = bytes(b ^ 0x80 for b in lcg_input(seed))
        a = ml.classify(g)
        b = pure.classify(g)
        assert bytes(ml.raw_output()) == bytes(pure.raw_output()), seed
        assert a[0] == b[0] and np.allclose(a[2], b[2])


def test_shim_quantize_helpers_truncate_without_clamping():
    import microlite

    it = microlite.interpreter(open(MODEL, "rb").read(), 16384, lambda i: None, lambda i: None)
    t = it.getInputTensor(0)
    assert t.getType() == 9  # kTfLiteInt8
    scale = Classifier.load(MODEL, backend="pure").input_scale
    assert t.quantizeFloatToInt8(1000.0) > 127  # no clamp
    assert abs(t.quantizeInt8ToFloat(0) - (0 + 128) * scale) < 1e-9
