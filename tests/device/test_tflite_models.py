"""The int8 interpreter against TFLite-Micro's outputs stored in tests/data/models/.

The references were produced by the real TFLM runtime (tools/make_test_models.py) on inputs that
:func:`heatface.tflite_testdata.lcg_input` regenerates; every output byte must match, with the
viper kernels everywhere and with the native ones (heatface_nn_<arch>.mpy) where the runtime has
them. ``make test`` builds them for the unix port and sets HEATFACE_NATIVE=1, which makes their
absence a failure rather than a skip.
"""

import gc
import json
import os

from heatface import tflite_native
from heatface.tflite import Interpreter
from heatface.tflite_testdata import lcg_input
from mptest import data_path, repo_path, skip

MODELS = ("face_like", "conv_pool", "dw_avg", "gap_reshape", "strided_mix")


def _read(name, mode="rb"):
    with open(data_path("models/" + name), mode) as f:
        return f.read()


def check_model(name, limit=None, model_path=None, kernels="viper"):
    """Run every stored reference input of model ``name``; returns the number compared."""
    meta = json.loads(_read(name + ".json", "r"))
    ref = _read(name + ".ref")
    if model_path is None:
        model = _read(name + ".tflite")
    else:
        with open(model_path, "rb") as f:
            model = f.read()
    it = Interpreter(model, kernels=kernels)
    assert it.kernels == kernels
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


def _native_or_skip():
    if tflite_native.load() is not None:
        return "native"
    if os.getenv("HEATFACE_NATIVE") == "1":
        raise AssertionError("HEATFACE_NATIVE=1 but no %s for this runtime"
                             % tflite_native.module_name(str(tflite_native.arch())))
    skip("no native kernels for this runtime (architecture %s)" % tflite_native.arch())


def test_native_kernels_match_tflm_on_every_model():
    kernels = _native_or_skip()
    for name in MODELS:
        check_model(name, kernels=kernels)
    assert check_model("shipped", model_path=repo_path("models", "heatface.tflite"), kernels=kernels) >= 500


def test_default_kernels_are_native_where_available():
    it = Interpreter(_read("conv_pool.tflite"))
    assert it.kernels == ("native" if tflite_native.load() is not None else "viper")


def test_at_least_500_references():
    total = 0
    for name in MODELS:
        total += json.loads(_read(name + ".json", "r"))["ref_count"]
    assert total >= 500, total
