"""The classifier's input normalisations (metadata ``input_norm``): the int8 input the board gives
the network is bit-exact with what training fed it (tools/fitting.normalise, numpy, wrote
tests/data/input_norm_ref.bin), and an unknown normalisation refuses the model."""

import gc
import json

from heatface.classifier import Classifier, ModelError
from mptest import data_path, raises, scratch_path, write_file

TMP = scratch_path("heatface_norm_test")
LABELS = "face0\nface1\nenv\nother\n"


def _model(name, meta):
    """face_like's model and labels as ``TMP/<name>.*`` with metadata ``meta``; returns its path."""
    with open(data_path("models/face_like.tflite"), "rb") as src:
        path = write_file(TMP, name + ".tflite", src.read())
    write_file(TMP, name + ".labels.txt", LABELS)
    write_file(TMP, name + ".json", json.dumps(meta))
    gc.collect()  # the load wants its arena in one block
    return path


def test_ambient_input_is_bit_exact_with_training():
    """input_norm "ambient": for every frame of tests/data/input_norm_ref.bin the interpreter gets
    the model's int8 of what training computed there with numpy (tools/fitting.normalise)."""
    with open(data_path("models/face_like.json")) as f:
        meta = json.loads(f.read())
    meta["input_norm"] = "ambient"
    clf = Classifier.load(_model("amb", meta), backend="pure")
    meta = None
    assert clf.input_norm == "ambient"
    feed = clf._backend.it.input
    gray, want = bytearray(768), bytearray(768)
    frames = 0
    with open(data_path("input_norm_ref.bin"), "rb") as f:
        while f.readinto(gray) == 768 and f.readinto(want) == 768:
            clf.classify(gray)
            lut = clf.lut
            bad = [i for i in range(768) if feed[i] != lut[want[i]]]
            assert not bad, (frames, bad[:5])
            frames += 1
    assert frames == 18, frames


def test_unknown_input_norm_refuses_the_model():
    for value in ("median", 3, None):
        msg = str(raises(ModelError, Classifier.load, _model("norm", {"input_norm": value}), "pure"))
        assert "input_norm" in msg and "gray" in msg and "ambient" in msg and "norm.json" in msg, msg
    assert Classifier.load(_model("norm", {"input_norm": "gray"}), "pure").input_norm == "gray"
