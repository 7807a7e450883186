"""Model metadata and labels, field by field: a wrong type or range is dropped with a message (the
classifier's default applies) or refuses the model with ModelError, never another exception, at
load or at inference (both runtimes)."""

import gc
import json
import os

from heatface.classifier import Classifier, ModelError
from heatface.grayscale import T_HI, T_LO
from mptest import data_path, raises, scratch_path

MODEL = data_path("models/face_like")
BASE = scratch_path("test_model_meta")


def _copy_model():
    with open(MODEL + ".tflite", "rb") as f:
        data = f.read()
    with open(BASE + ".tflite", "wb") as f:
        f.write(data)


_copy_model()  # once: re-reading 11 KB per case fragments a board-sized heap


def _files(meta, labels_text=None):
    """MODEL's flatbuffer (copied once) with ``meta`` (a dict, or the file's raw bytes) and, if
    given, a labels file, under out/; returns the model path."""
    with open(BASE + ".json", "wb") as f:
        f.write(meta if isinstance(meta, bytes) else json.dumps(meta).encode())
    try:
        os.remove(BASE + ".labels.txt")
    except OSError:
        pass
    if labels_text is not None:
        with open(BASE + ".labels.txt", "wb") as f:
            f.write(labels_text)
    gc.collect()  # the load below wants its arena in one block
    return BASE + ".tflite"


def _meta(**fields):
    with open(MODEL + ".json") as f:
        meta = json.loads(f.read())
    with open(MODEL + ".labels.txt") as f:
        meta["labels"] = [line.strip() for line in f.read().split("\n") if line.strip()]
    meta.update(fields)
    return meta


def test_wrong_types_and_ranges_are_dropped_with_a_message_and_inference_runs():
    gray = bytearray(768)
    for field, value, expect in (("input_scale", "0.0039", "input_scale"),
                                 ("input_scale", -1.0, "input_scale"),
                                 ("input_zero_point", 3.5, "input_zero_point"),
                                 ("input_zero_point", True, "input_zero_point"),
                                 ("arena_size", "big", "arena_size"),
                                 ("arena_size", 10 ** 9, "arena_size"),
                                 ("t_lo", 37.0, "t_lo"),  # t_lo == t_hi
                                 ("t_hi", "hot", "t_hi"),
                                 ("t_lo", None, "t_lo"),
                                 ("input_shape", 5, "input_shape")):
        clf = Classifier.load(_files(_meta(**{field: value})))
        assert len(clf.warnings) == 1 and expect in clf.warnings[0], (field, clf.warnings)
        assert BASE + ".json" in clf.warnings[0]
        if field in ("t_lo", "t_hi"):
            assert (clf.t_lo, clf.t_hi) == (T_LO, T_HI)
        clf.classify(gray)  # and inference runs
        clf = None
        gc.collect()  # one classifier at a time in a board-sized heap


def test_bad_labels_refuse_the_model_with_a_message():
    labels = _meta()["labels"]
    for value in (5, [], ["a", 3], ["a", "a"], "face0", [""], None):
        msg = str(raises(ModelError, Classifier.load, _files(_meta(labels=value))))
        assert "label" in msg, (value, msg)
    # the metadata and the labels file disagree: refused, both named
    other = "\n".join(reversed(labels)).encode()
    msg = str(raises(ModelError, Classifier.load, _files(_meta(labels=labels), other)))
    assert "differ" in msg and ".labels.txt" in msg and ".json" in msg, msg
    # they agree: loads
    assert Classifier.load(_files(_meta(labels=labels), "\n".join(labels).encode())).labels == labels
    # a labels file alone is enough; one with a repeated label is refused
    meta = _meta()
    del meta["labels"]
    assert Classifier.load(_files(meta, "\n".join(labels).encode())).labels == labels
    assert "twice" in str(raises(ModelError, Classifier.load, _files(meta, b"a\nb\na\n")))
    # a labels file that is not text
    assert "UTF-8" in str(raises(ModelError, Classifier.load, _files(meta, b"\xff\xfe\x00bad")))
    # no labels anywhere
    assert "no labels" in str(raises(ModelError, Classifier.load, _files(meta)))


def test_metadata_that_is_not_a_json_object_is_refused():
    for data, expect in ((b"[1, 2]", "JSON object"), (b"{not json", "JSON"), (b"\xff\xfe{}", "UTF-8"),
                         (b"5", "JSON object")):
        msg = str(raises(ModelError, Classifier.load, _files(data)))
        assert expect in msg and BASE + ".json" in msg, msg
