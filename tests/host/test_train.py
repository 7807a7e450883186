"""Training and int8 export: a tiny generated set, a few epochs, then check every exported artefact."""

import json
import os
import re

import numpy as np
import pytest
from PIL import Image

import make_faces as mf
import train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("data"))
    out = str(tmp_path_factory.mktemp("model"))
    mf.generate(data, per_label=30, n_identities=2, seed=1, burst=5)
    logs = []
    meta = train.run(data, out, name="tiny", epochs=3, seed=1, quick=True, progress=logs.append)
    return {"data": data, "out": out, "meta": meta, "logs": logs}


def read(trained, suffix, mode="r"):
    with open(os.path.join(trained["out"], "tiny" + suffix), mode) as f:
        return f.read()


def test_exported_files_and_metadata(trained):
    meta = json.loads(read(trained, ".json"))
    assert meta["labels"] == ["env", "face0", "face1"]
    assert read(trained, ".labels.txt").split("\n")[:3] == meta["labels"]
    assert (meta["t_lo"], meta["t_hi"]) == (22.0, 37.0)
    assert meta["input_shape"] == [1, 24, 32, 1]
    # x = gray / 255 quantized: q = gray - 128 exactly
    assert abs(meta["input_scale"] - 1 / 255.0) < 1e-6 and meta["input_zero_point"] == -128
    assert 0 < meta["arena_min_host"] <= meta["arena_size"] <= 32 * 1024
    tfl = read(trained, ".tflite", "rb")
    assert len(tfl) == meta["model_bytes"] <= 32 * 1024
    assert any(l.startswith("epoch   3") for l in trained["logs"])
    assert os.path.exists(os.path.join(trained["out"], "confusion.png"))


def test_op_list_and_int8_io(trained):
    tfl = read(trained, ".tflite", "rb")
    ops = train.model_ops(tfl)
    assert set(ops) <= set(train.ALLOWED_OPS), ops
    assert "CONV_2D" in ops and "FULLY_CONNECTED" in ops
    it = train.tflm_interpreter(tfl, trained["meta"]["arena_size"])
    assert it is not None
    assert it.get_input_details(0)["dtype"] == np.int8
    assert list(it.get_input_details(0)["shape"]) == [1, 24, 32, 1]
    assert it.get_output_details(0)["dtype"] == np.int8
    assert list(it.get_output_details(0)["shape"]) == [1, 3]


def test_arena_is_the_smallest_that_works(trained):
    tfl = read(trained, ".tflite", "rb")
    n = trained["meta"]["arena_min_host"]
    assert train.tflm_interpreter(tfl, n) is not None
    assert train.tflm_interpreter(tfl, n - 32) is None


def test_report_numbers_recomputed_from_saved_model(trained):
    meta = trained["meta"]
    tfl = read(trained, ".tflite", "rb")
    split = json.loads(read(trained, ".split.json"))
    assert not set(split["test"]) & set(split["train"])
    gray = np.stack([np.asarray(Image.open(os.path.join(trained["data"], f))) for f in split["test"]])
    truth = np.array([meta["labels"].index(f.split(".")[0]) for f in split["test"]])
    scores, _ = train.tflm_predict(tfl, meta["arena_size"], gray)
    acc = float(np.mean(scores.argmax(1) == truth))
    assert acc == pytest.approx(meta["test_int8_accuracy"])
    with open(os.path.join(trained["out"], "report.md")) as f:
        report = f.read()
    assert float(re.search(r"int8 accuracy \(TFLM\) \| ([0-9.]+)", report).group(1)) == pytest.approx(acc, abs=1e-4)
    assert int(re.search(r"model bytes \(.tflite\) \| (\d+)", report).group(1)) == len(tfl)
    rows = re.findall(r"^\| (env|face0|face1) \| (\d+) \| (\d+) \| (\d+) \|$", report, re.M)
    m = np.array([[int(v) for v in r[1:]] for r in rows])
    assert m.shape == (3, 3) and m.sum() == len(truth)
    assert np.trace(m) / m.sum() == pytest.approx(acc)


def test_tflm_matches_tf_lite_reference(trained):
    """TFLM and TensorFlow Lite's reference kernels agree on the exported model (to 1 LSB)."""
    import tensorflow as tf

    tfl = read(trained, ".tflite", "rb")
    gray = np.random.default_rng(0).integers(0, 256, (8, 24, 32), dtype=np.uint8)
    tflm, _ = train.tflm_predict(tfl, trained["meta"]["arena_size"], gray)
    ref = tf.lite.Interpreter(model_content=tfl,
                              experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    inp, out = ref.get_input_details()[0]["index"], ref.get_output_details()[0]["index"]
    for i in range(len(gray)):
        ref.set_tensor(inp, (gray[i].astype(np.int16) - 128).astype(np.int8)[None, :, :, None])
        ref.invoke()
        diff = np.abs(ref.get_tensor(out)[0].astype(int) - tflm[i].astype(int))
        assert diff.max() <= 1, (ref.get_tensor(out)[0], tflm[i])


def test_macs_match_hand_count():
    model = train.build_model(3, width=8)
    expect = (24 * 32 * 8 * 9 * 1) + (12 * 16 * 16 * 9 * 8) + (6 * 8 * 24 * 9 * 16) + (3 * 4 * 24 * 3)
    assert train.count_macs(model) == expect


def test_check_ops_rejects_unsupported(monkeypatch):
    monkeypatch.setattr(train, "model_ops", lambda data: ["CONV_2D", "ADD"])
    with pytest.raises(SystemExit, match="ADD"):
        train.check_ops(b"")


def test_parse_comment_and_dataset_rules(tmp_path):
    assert train.parse_comment(b"heatface t_lo=20.0 t_hi=35.5 ta=24.1 emissivity=0.95") == {
        "t_lo": 20.0, "t_hi": 35.5, "ta": 24.1, "emissivity": 0.95}
    assert train.parse_comment(None) == {}
    img = Image.fromarray(np.zeros((24, 32), np.uint8))
    img.save(str(tmp_path / "cat.1.jpg"), comment=b"heatface t_lo=22.0 t_hi=37.0")
    img.save(str(tmp_path / "dog.x.1.jpg"))  # no comment: the 22/37 default
    data = train.load_dataset(str(tmp_path))
    assert data["labels"] == ["cat", "dog"] and (data["t_lo"], data["t_hi"]) == (22.0, 37.0)
    img.save(str(tmp_path / "cat.2.jpg"), comment=b"heatface t_lo=20.0 t_hi=37.0")
    with pytest.raises(SystemExit, match="different t_lo/t_hi"):
        train.load_dataset(str(tmp_path))


def test_split_keeps_bursts_together_and_stratifies():
    y = np.repeat([0, 1, 2], 60)
    groups = np.array(["%d:%d" % (c, i // 6) for c, i in zip(y, np.tile(np.arange(60), 3))])
    tr, va, te = train.split_bursts(y, groups, seed=3)
    assert len(tr) + len(va) + len(te) == 180
    sides = [set(groups[s]) for s in (tr, va, te)]
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    for s in (tr, va, te):
        assert set(y[s]) == {0, 1, 2}
    assert np.array_equal(train.split_bursts(y, groups, seed=3)[2], te)


def test_augment_keeps_range_and_identity_when_disabled():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5, 24, 32), dtype=np.uint8)
    same = train.augment(x, rng, shift=(0, 0), rot_deg=0, zoom=0, offset=0, noise=0)
    assert np.allclose(same, x, atol=1e-3)
    aug = train.augment(x, rng)
    assert aug.shape == x.shape and aug.min() >= 0 and aug.max() <= 255
    # a pure shift moves content by whole pixels
    shifted = train.augment(x, np.random.default_rng(1), shift=(1e-9, 1e-9), rot_deg=0, zoom=0, offset=0,
                            noise=0)
    assert np.allclose(shifted, x, atol=1e-3)
