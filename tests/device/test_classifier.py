"""Classifier: loading conventions, the gray8 -> int8 mapping, results and user-facing errors."""

import json

from heatface.classifier import Classifier, ModelError, input_lut
from heatface.tflite import Interpreter
from heatface.tflite_testdata import lcg_input
from mptest import data_path, raises, scratch_path, write_file

MODEL = data_path("models/face_like.tflite")
TMP = scratch_path("heatface_clf_test")


def _gray(seed):
    g = lcg_input(seed)
    for i in range(768):
        g[i] ^= 0x80  # int8 pattern -> 0..255 gray levels
    return g


def _write(name, data):
    return write_file(TMP, name, data)


def _model_bytes(name="face_like"):
    with open(data_path("models/%s.tflite" % name), "rb") as f:
        return f.read()


def test_input_lut_is_training_quantization():
    scale, zp = 1 / 255.0 + 1e-9, -128
    lut = input_lut(scale, zp)
    for g in (0, 1, 100, 254, 255):
        q = lut[g] - 256 if lut[g] > 127 else lut[g]
        assert q == min(127, max(-128, int(g / 255.0 / scale + 0.5) + zp)), (g, q)
    lut = input_lut(0.5 / 255.0, 3)  # saturates at both ends
    assert lut[255] == 127 and lut[0] == 3


def test_load_reads_labels_and_metadata():
    clf = Classifier.load(MODEL, backend="pure")
    assert clf.labels == ["face0", "face1", "env", "other"]
    assert clf.t_lo == 22.0 and clf.t_hi == 37.0
    assert clf.backend == "pure"
    with open(data_path("models/face_like.json")) as f:
        meta = json.loads(f.read())
    assert abs(clf.input_scale - meta["input_scale"]) < 1e-9


def test_classify_equals_interpreter_on_mapped_input():
    clf = Classifier.load(MODEL, backend="pure")
    it = clf._backend.it  # a second Interpreter would not fit a 160 KB heap alongside
    assert isinstance(it, Interpreter)
    for seed in range(6):
        g = _gray(seed)
        label, score, scores = clf.classify(g)
        for i in range(768):
            it.input[i] = clf.lut[g[i]]
        it.invoke()
        raw = [b - 256 if b > 127 else b for b in it.output]
        want = [(q + 128) / 256.0 for q in raw]
        assert [abs(a - b) < 1e-9 for a, b in zip(scores, want)] == [True] * 4
        best = want.index(max(want))
        assert label == clf.labels[best] and abs(score - want[best]) < 1e-9
        assert 0.9 < sum(scores) < 1.1


def test_missing_model_file():
    exc = raises(ModelError, Classifier.load, TMP + "/nope.tflite", "pure")
    assert "not found" in str(exc)


def test_corrupt_model_file():
    path = _write("junk.tflite", bytes(range(200)))
    _write("junk.labels.txt", "a\nb\n")
    raises(ModelError, Classifier.load, path, "pure")
    data = _model_bytes()
    path = _write("cut.tflite", data[:len(data) // 3])
    _write("cut.labels.txt", "face0\nface1\nenv\nother\n")
    raises(ModelError, Classifier.load, path, "pure")


def test_label_count_must_match_outputs():
    path = _write("three.tflite", _model_bytes())
    _write("three.labels.txt", "a\nb\nc\n")
    exc = raises(ModelError, Classifier.load, path, "pure")
    assert "4 outputs but 3 labels" in str(exc), str(exc)


def test_labels_file_and_json_must_agree():
    path = _write("disagree.tflite", _model_bytes())
    _write("disagree.labels.txt", "a\nb\nc\nd\n")
    _write("disagree.json", '{"labels": ["w", "x", "y", "z"]}')
    assert "differ" in str(raises(ModelError, Classifier.load, path, "pure"))


def test_no_labels_at_all():
    path = _write("nolabels.tflite", _model_bytes())
    assert "labels" in str(raises(ModelError, Classifier.load, path, "pure"))


def test_wrong_input_shape():
    path = _write("shape.tflite", _model_bytes("bad_shape"))
    _write("shape.labels.txt", "a\nb\n")
    exc = raises(ModelError, Classifier.load, path, "pure")
    assert "input shape" in str(exc) and "24, 32" in str(exc), str(exc)


def test_metadata_quantization_must_match_model():
    path = _write("meta.tflite", _model_bytes())
    _write("meta.json", '{"labels": ["a", "b", "c", "d"], "input_scale": 0.5}')
    assert "input_scale" in str(raises(ModelError, Classifier.load, path, "pure"))


def test_bad_backend_and_input_length():
    raises(ValueError, Classifier.load, MODEL, "tpu")
    clf = Classifier.load(MODEL, backend="pure")
    raises(ValueError, clf.classify, bytearray(100))


def test_frozen_model_module_is_found_when_there_is_no_file():
    # firmware/model_module.py freezes models/ into a module `heatface_model` with FILES = {name: bytes}
    import sys

    from heatface.classifier import Classifier
    from mptest import data_path

    files = {}
    for name in ("conv_pool.tflite", "conv_pool.json", "conv_pool.labels.txt"):
        with open(data_path("models/" + name), "rb") as f:
            files[name] = f.read()

    class Frozen:
        FILES = files

    sys.modules["heatface_model"] = Frozen
    try:
        clf = Classifier.load("/no/such/dir/conv_pool.tflite", backend="pure")
    finally:
        del sys.modules["heatface_model"]
    assert clf.labels == [line for line in files["conv_pool.labels.txt"].decode().split("\n") if line]
    label, score, scores = clf.classify(bytearray(768))
    assert label in clf.labels and len(scores) == len(clf.labels)

