"""The pure int8 interpreter against TFLite-Micro's outputs stored in tests/data/models/.

The references were produced by the real TFLM runtime (tools/make_test_models.py) on inputs that
:func:`heatface.tflite_testdata.lcg_input` regenerates; every output byte must match.
"""

import gc
import json

from heatface.tflite import Interpreter
from heatface.tflite_testdata import lcg_input
from mptest import data_path, repo_path

MODELS = ("face_like", "conv_pool", "dw_avg", "gap_reshape", "strided_mix")


def _read(name, mode="rb"):
    with open(data_path("models/" + name), mode) as f:
        return f.read()


def check_model(name, limit=None, model_path=None):
    """Run every stored reference input of model ``name``; returns the number compared."""
    meta = json.loads(_read(name + ".json", "r"))
    ref = _read(name + ".ref")
    if model_path is None:
        model = _read(name + ".tflite")
    else:
        with open(model_path, "rb") as f:
            model = f.read()
    it = Interpreter(model)
    n_out = len(it.output)
    count = meta["ref_count"] if limit is None else min(limit, meta["ref_count"])
    assert len(ref) == meta["ref_count"] * n_out
    for k in range(count):
        it.input[:] = lcg_input(meta["ref_seed"] + k)
        it.invoke()
        want = ref[k * n_out:(k + 1) * n_out]
        assert bytes(it.output) == want, (name, k, list(it.output), list(want))
    del it
    gc.collect()
    return count


def test_face_like_matches_tflm():
    check_model("face_like")


def test_conv_pool_matches_tflm():
    check_model("conv_pool")


def test_dw_avg_matches_tflm():
    check_model("dw_avg")


def test_gap_reshape_matches_tflm():
    check_model("gap_reshape")


def test_strided_mix_matches_tflm():
    check_model("strided_mix")


def test_shipped_model_matches_tflm():
    # references made by `tools/make_test_models.py --shipped` from models/heatface.tflite
    assert check_model("shipped", model_path=repo_path("models", "heatface.tflite")) >= 500


def test_at_least_500_references():
    total = 0
    for name in MODELS:
        total += json.loads(_read(name + ".json", "r"))["ref_count"]
    assert total >= 500, total
