"""The microlite stand-in behaves as tensorflow-microlite.c does, and heatface's Classifier works
through it: same int8 outputs as the pure backend, errors instead of crashes or stale scores."""

import json

import microlite
import numpy as np
import pytest

from heatface.classifier import ARENA_MARGIN, Classifier, ModelError
from heatface.modes import InferMode
from heatface.tflite_testdata import lcg_input

MODEL = "tests/data/models/face_like.tflite"
SCALE = json.load(open("tests/data/models/face_like.json"))["input_scale"]  # zero point -128


def _model():
    with open(MODEL, "rb") as f:
        return bytearray(f.read())


def _interp(arena=16384, out_cb=None):
    return microlite.interpreter(_model(), arena, lambda i: None, out_cb or (lambda i: None))


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


def test_get_type_takes_an_index_and_returns_a_name():
    t = _interp().getInputTensor(0)
    assert t.getType(0) == "INT8"
    with pytest.raises(TypeError):
        t.getType()  # MP_DEFINE_CONST_FUN_OBJ_2: the index is required


def test_quantize_float_to_int8_float32_truncates_and_wraps():
    t = _interp().getInputTensor(0)
    assert t.quantizeFloatToInt8(1.0) == 127  # 255.0 - 128
    assert t.quantizeFloatToInt8(1.5) == -2  # 382.5 - 128 = 254.5 -> 254 -> wraps to -2
    assert t.quantizeFloatToInt8(-0.004) == 127  # -1.02 - 128 -> -129 (toward zero) -> wraps
    assert t.quantizeFloatToInt8(-0.002) == -128  # -128.51 -> -128: truncated, not rounded
    # In float32 5.121479984846571 / scale is exactly 1306.0 (float64: 1305.99996): 1178 -> -102
    assert t.quantizeFloatToInt8(5.121479984846571) == -102
    with pytest.raises(TypeError):
        t.quantizeFloatToInt8(1)  # mp_obj_is_float: ints are rejected


def test_quantize_int8_to_float_wraps_its_argument():
    t = _interp().getInputTensor(0)
    assert t.quantizeInt8ToFloat(200) == t.quantizeInt8ToFloat(-56)
    assert abs(t.quantizeInt8ToFloat(-56) - 72 * SCALE) < 1e-7
    assert isinstance(t.quantizeInt8ToFloat(0), float)
    with pytest.raises(TypeError):
        t.quantizeInt8ToFloat(1.0)


def test_set_value_truncates_to_int8_and_returns_the_tensor():
    it = _interp()
    t = it.getInputTensor(0)
    assert t.setValue(0, 200) is t
    assert t.setValue(1, -129) is t
    again = it.getInputTensor(0)  # a new object over the same TFLM tensor
    assert again is not t
    assert (again.getValue(0), again.getValue(1)) == (-56, 127)
    with pytest.raises(TypeError):
        t.setValue(2, 1.5)  # undefined behaviour in C for an int8 tensor


def test_invoke_failure_returns_1_without_the_output_callback(capsys):
    called = []
    it = _interp(out_cb=lambda i: called.append(i))
    assert it.invoke() == 0 and len(called) == 1

    def broken():
        raise RuntimeError("kernel failed")

    it._it.invoke = broken  # TFLM's Invoke() fails (injected at the runtime, below the binding)
    assert it.invoke() == 1
    assert len(called) == 1
    assert "Invoke() failed!" in capsys.readouterr().out


def test_too_small_arena_only_prints_and_leaves_a_null_interpreter(capsys):
    it = _interp(arena=3000)  # constructing does not raise
    assert "AllocateTensors() failed!" in capsys.readouterr().out
    with pytest.raises(microlite.NullInterpreter):
        it.getInputTensor(0)
    with pytest.raises(microlite.NullInterpreter):
        it.invoke()


def test_model_must_be_a_bytearray_and_arguments_are_positional():
    with pytest.raises(TypeError):
        microlite.interpreter(bytes(_model()), 16384, None, None)
    with pytest.raises(ValueError):
        microlite.interpreter(_model(), 16384, 3, None)


def _needed_arena():
    """The smallest arena (1 KB steps) the stand-in's TFLM allocates the model in."""
    for size in range(4096, 65536, 1024):
        it = microlite.interpreter(_model(), size, None, None)
        if it._it is not None:
            return size
    raise AssertionError("no arena up to 64 KB fits")


def test_classifier_gives_microlite_a_margin_over_the_metadata_arena():
    need = _needed_arena()
    with open(MODEL, "rb") as f:
        model = f.read()
    labels = ["face0", "face1", "env", "other"]
    clf = Classifier(model, labels, {"arena_size": need - 1024}, backend="microlite")
    assert ARENA_MARGIN >= 2048
    assert clf.classify(bytes(768))[0] in labels


def test_classifier_reports_a_failed_invoke_instead_of_stale_scores():
    clf = Classifier.load(MODEL, backend="microlite")
    clf.classify(bytes(lcg_input(1)))

    def broken():
        raise RuntimeError("kernel failed")

    clf._backend.it._it.invoke = broken
    with pytest.raises(ModelError):
        clf.classify(bytes(lcg_input(2)))


def test_infer_mode_survives_a_failed_invoke():
    class App:
        temps = [30.0] * 768
        status = ""
        frame_ok = True
        config = {"print_predictions": False}

    mode = InferMode(MODEL, backend="microlite")
    mode.load()
    mode.classifier._backend.it._it.invoke = lambda: (_ for _ in ()).throw(RuntimeError("x"))
    app = App()
    mode.on_frame(app)
    assert mode.result == "-" and app.status.startswith("Model:")
