"""The pure interpreter (run by CPython) against the live TFLite-Micro runtime, and the stored
references against TFLM. tflite-micro's PyPI build uses TFLM's reference kernels (no optimized
kernel directory), the ones the pure interpreter reproduces."""

import json
import math
import random
import struct

import numpy as np
import pytest

from heatface import tflite_quant as Q
from heatface.tflite import Interpreter
from heatface.tflite_testdata import lcg_input

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

MODELS = ("face_like", "conv_pool", "dw_avg", "gap_reshape", "strided_mix")
RANDOM_PER_MODEL = {"face_like": 60, "conv_pool": 130, "dw_avg": 130, "gap_reshape": 130,
                    "strided_mix": 80}


def _load(name):
    base = "tests/data/models/" + name
    with open(base + ".tflite", "rb") as f:
        model = f.read()
    with open(base + ".json") as f:
        meta = json.load(f)
    with open(base + ".ref", "rb") as f:
        ref = f.read()
    return model, meta, ref


def _tflm(model):
    return runtime.Interpreter.from_bytes(model, arena_size=64 * 1024)


def _run_tflm(it, data):
    it.set_input(np.frombuffer(bytes(data), dtype=np.int8).reshape(1, 24, 32, 1), 0)
    it.invoke()
    return np.asarray(it.get_output(0), dtype=np.int8).tobytes()


@pytest.mark.parametrize("name", MODELS)
def test_stored_references_are_tflm_outputs(name):
    model, meta, ref = _load(name)
    it = _tflm(model)
    n = len(ref) // meta["ref_count"]
    for k in range(meta["ref_count"]):
        assert _run_tflm(it, lcg_input(meta["ref_seed"] + k)) == ref[k * n:(k + 1) * n], k


@pytest.mark.parametrize("name", MODELS)
def test_pure_interpreter_equals_tflm_on_random_inputs(name):
    model, meta, ref = _load(name)
    tflm = _tflm(model)
    pure = Interpreter(model)
    rng = np.random.default_rng(sum(map(ord, name)))
    for k in range(RANDOM_PER_MODEL[name]):
        if k % 2:
            x = rng.integers(-128, 128, 768, dtype=np.int8)
        else:  # smooth, mostly saturated images stress clamps and pooling
            lo, hi = sorted(rng.integers(-128, 128, 2))
            x = np.clip(np.linspace(lo - 40, hi + 40, 768) + rng.normal(0, 4, 768), -128, 127).astype(np.int8)
        pure.input[:] = x.tobytes()
        pure.invoke()
        assert bytes(pure.output) == _run_tflm(tflm, x.tobytes()), (name, k)


def test_random_inputs_total_at_least_500():
    assert sum(RANDOM_PER_MODEL.values()) >= 500


def _f32(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _qm_double(d):
    """TFLite's QuantizeMultiplier written with C doubles (CPython floats), as an oracle."""
    if d == 0:
        return 0, 0
    q, shift = math.frexp(d)
    qf = int(math.floor(q * (1 << 31) + 0.5))
    if qf == 1 << 31:
        qf //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return qf, shift


def test_exact_multipliers_equal_double_arithmetic():
    rnd = random.Random(5)
    for _ in range(3000):
        a, b, c = (float(np.float32(10 ** rnd.uniform(-5, 1))) for _ in range(3))
        assert Q.conv_multiplier(_f32(a), _f32(b), _f32(c)) == _qm_double(a * b / c)
        prod32 = float(np.float32(a) * np.float32(b))
        assert Q.fc_multiplier(_f32(a), _f32(b), _f32(c)) == _qm_double(prod32 / c)
        assert Q.ratio_multiplier(_f32(a), _f32(c)) == _qm_double(a / c)


def test_pure_python_mbqm_equals_int64_formula():
    rnd = random.Random(9)
    for _ in range(20000):
        x = rnd.randint(-(1 << 31) + 1, (1 << 31) - 1)
        m = rnd.randint(1 << 30, (1 << 31) - 1)
        s = rnd.randint(-31, 0)
        ab = x * m
        nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
        hi = int((ab + nudge) / (1 << 31)) if abs(ab) < (1 << 52) else (
            (ab + nudge) // (1 << 31) if ab + nudge >= 0 else -((-(ab + nudge)) // (1 << 31)))
        e = -s
        mask = (1 << e) - 1
        want = (hi >> e) + (1 if (hi & mask) > (mask >> 1) + (1 if hi < 0 else 0) else 0)
        assert Q.mbqm(x, m, s) == want


def test_shipped_model_references_are_current():
    """shipped.ref holds live TFLM's outputs for the model in models/ (regenerate after training
    with `python tools/make_test_models.py --shipped`; `make train` does it)."""
    import hashlib

    with open("models/heatface.tflite", "rb") as f:
        model = f.read()
    with open("tests/data/models/shipped.json") as f:
        meta = json.load(f)
    with open("tests/data/models/shipped.ref", "rb") as f:
        ref = f.read()
    assert meta["sha256"] == hashlib.sha256(model).hexdigest(), "references are for another model"
    it = _tflm(model)
    n = len(ref) // meta["ref_count"]
    assert meta["ref_count"] >= 500
    for k in range(meta["ref_count"]):
        assert _run_tflm(it, lcg_input(meta["ref_seed"] + k)) == ref[k * n:(k + 1) * n], k


def test_pure_interpreter_equals_tflm_on_synthetic_faces():
    """The shipped model on realistic inputs: generated thermal faces and rooms, as to_gray8, the
    model's input normalisation and its input table feed them on the board (the input computed
    independently, with training's numpy, tools/fitting.normalise)."""
    sys_path_tools()
    import fitting  # tools/
    import make_faces  # tools/
    import thermal_scenes as ts
    from heatface.classifier import Classifier
    from heatface.grayscale import to_gray8

    clf = Classifier.load("models/heatface.tflite", backend="pure")
    with open("models/heatface.tflite", "rb") as f:
        tflm = _tflm(f.read())
    rng = np.random.default_rng(5)
    identities = ts.make_identities(make_faces.DEFAULT_IDENTITIES, make_faces.DEFAULT_SEED)
    for k in range(60):
        if k % 3 == 2:
            temps = make_faces.env_frame(make_faces.env_session(rng), rng)
        else:
            room, pose = make_faces.face_session(identities[k % 2], rng)
            temps = make_faces.face_frame(identities[k % 2], room, pose, rng)
        gray = to_gray8([float(t) for t in np.asarray(temps).reshape(-1)], None, clf.t_lo, clf.t_hi)
        clf.classify(gray)
        norm = fitting.normalise(np.frombuffer(bytes(gray), np.uint8).reshape(1, 24, 32), clf.input_norm)
        x = bytes(clf.lut[g] & 0xFF for g in norm.reshape(-1))
        assert bytes(clf.raw_output()) == _run_tflm(tflm, x), k


def sys_path_tools():
    import os
    import sys

    tools = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
