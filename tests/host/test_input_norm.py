"""The input normalisations (heatface.classifier's ``input_norm``): the board computes exactly
what training fed the network, frame by frame (tools/fitting.normalise, numpy, is the host side).

``tests/data/input_norm_ref.bin`` holds frames and their "ambient" normalisation by numpy; the
device suites (tests/device/test_classifier.py) check the board's classifier against it on every
runtime. Regenerate it with ``.venv/bin/python tests/host/test_input_norm.py``.
"""

import json
import os
import shutil
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import fitting  # noqa: E402
import make_faces as mf  # noqa: E402

REF = os.path.join(ROOT, "tests", "data", "input_norm_ref.bin")


def reference_frames():
    """uint8 (N, 24, 32): synthetic captures from every room profile, random frames and edge cases
    (all black, all white, half and half, one hot pixel)."""
    frames = []
    for i, room in enumerate(sorted(mf.ROOMS)):
        gray = mf.generate_arrays(2, 2, seed=1, burst=1, room=room, session_seed=50 + i)[0]
        frames += [gray[0], gray[-1]]  # a face and an empty room
    rng = np.random.default_rng(7)
    frames += list(rng.integers(0, 256, (3, 24, 32), dtype=np.uint8))
    frames.append(rng.integers(180, 256, (24, 32), dtype=np.uint8))
    half = np.zeros((24, 32), np.uint8)
    half[12:] = 255
    hot = np.zeros((24, 32), np.uint8)
    hot[5, 7] = 255
    frames += [np.zeros((24, 32), np.uint8), np.full((24, 32), 255, np.uint8), half, hot]
    return np.stack(frames)


def reference_bytes():
    """Each frame's 768 gray bytes followed by its 768 "ambient" bytes, frame after frame."""
    x = reference_frames()
    norm = fitting.normalise(x, "ambient")
    return b"".join(bytes(a.reshape(-1)) + bytes(b.reshape(-1)) for a, b in zip(x, norm))


def test_reference_file_is_numpys_normalisation():
    with open(REF, "rb") as f:
        assert f.read() == reference_bytes(), "stale: python tests/host/test_input_norm.py"


def test_ambient_is_the_frame_relative_to_its_integer_mean():
    x = reference_frames()
    out = fitting.normalise(x, "ambient")
    assert out.dtype == np.uint8 and out.shape == x.shape
    for g, o in zip(x, out):
        a = int(g.astype(int).sum()) // 768
        assert np.array_equal(o, np.clip(g.astype(int) - a + fitting.AMBIENT_OFFSET, 0, 255))
    assert fitting.normalise(x, "gray") is x
    # float (augmented) images: the same mapping without the rounding of a uint8 frame
    f = fitting.normalise(x.astype(np.float32), "ambient")
    assert f.dtype == np.float32 and np.array_equal(f, out.astype(np.float32))
    with pytest.raises(SystemExit, match="unknown input normalisation 'median'"):
        fitting.normalise(x, "median")


def _classifier(tmp_path, norm):
    from heatface.classifier import Classifier

    src = os.path.join(ROOT, "tests", "data", "models", "face_like")
    for ext in (".tflite", ".labels.txt"):
        shutil.copy(src + ext, str(tmp_path / ("m" + ext)))
    with open(src + ".json") as f:
        meta = json.load(f)
    if norm is not None:
        meta["input_norm"] = norm
    (tmp_path / "m.json").write_text(json.dumps(meta))
    return Classifier.load(str(tmp_path / "m.tflite"), backend="pure")


def test_classifier_feeds_the_network_what_training_does(tmp_path):
    """On many frames, the int8 input the classifier gives the interpreter is the training input
    quantized (tools/tflite_export.quantize_input, as the converter calibrated it)."""
    import tflite_export as tx

    clf = _classifier(tmp_path, "ambient")
    assert clf.input_norm == "ambient"
    clf._backend.it.invoke = lambda: None  # only the input is checked here (the whole run: test_tflite_vs_tflm)
    rng = np.random.default_rng(3)
    frames = np.concatenate([reference_frames(), rng.integers(0, 256, (40, 24, 32), dtype=np.uint8),
                             np.clip(rng.normal(60, 50, (40, 24, 32)), 0, 255).astype(np.uint8)])
    want = tx.quantize_input(fitting.normalise(frames, "ambient"), clf.input_scale, clf.input_zero_point)
    for g, w in zip(frames, want):
        clf.classify(bytearray(g.reshape(-1)))
        got = np.frombuffer(bytes(clf._backend.it.input), np.int8)
        assert np.array_equal(got, w.reshape(-1))
    gray = _classifier(tmp_path, None)  # no input_norm: the frame as it is (models trained before)
    assert gray.input_norm == "gray"
    g = frames[0]
    gray.classify(bytearray(g.reshape(-1)))
    assert np.array_equal(np.frombuffer(bytes(gray._backend.it.input), np.int8),
                          tx.quantize_input(g[None], gray.input_scale, gray.input_zero_point).reshape(-1))


if __name__ == "__main__":
    with open(REF, "wb") as f:
        f.write(reference_bytes())
    print("wrote", REF)
