"""Synthetic face dataset: files, JPEG path, determinism, bursts, and non-trivial separability."""

import csv
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

import captures
import make_faces as mf
from heatface.grayscale import to_gray8
from heatface.storage import MANIFEST_HEADER


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("faces"))
    mf.main(["--out", out, "--per-label", "12", "--identities", "2", "--seed", "3", "--burst", "4"])
    return out


def test_files_manifest_and_comments(small_set):
    names = sorted(n for n in os.listdir(small_set) if n.endswith(".jpg"))
    assert len(names) == 36
    for label in ("face0", "face1", "env"):
        assert ["%s.%d.jpg" % (label, n) for n in range(12)] == sorted(
            (n for n in names if n.startswith(label + ".")), key=lambda s: int(s.split(".")[1]))
    # the board's manifest (heatface.storage): burst = number of the burst's first capture
    with open(os.path.join(small_set, "captures.csv")) as f:
        assert f.readline() == MANIFEST_HEADER
    rows = list(csv.DictReader(open(os.path.join(small_set, "captures.csv"))))
    assert len(rows) == 36 and all(r["name"] == "%s.%s.jpg" % (r["label"], r["n"]) for r in rows)
    assert {(r["label"], r["burst"]) for r in rows if r["label"] == "face1"} == {("face1", str(b)) for b in (0, 4, 8)}
    assert all(int(r["burst"]) == int(r["n"]) // 4 * 4 for r in rows)
    ms = [int(r["ms"]) for r in rows]
    assert ms == sorted(ms)  # one boot: the clock only goes forward
    # the host reads it as it reads a card's: every file in its burst
    bursts = captures.read_manifest(os.path.join(small_set, "captures.csv"))
    assert {n: b["burst"] for n, b in bursts.items()} == {r["name"]: int(r["burst"]) for r in rows}
    with Image.open(os.path.join(small_set, "face0.5.jpg")) as im:
        assert im.size == (32, 24) and im.mode == "L"
        comment = im.info["comment"].decode()
    assert comment.startswith("heatface t_lo=22.0 t_hi=37.0 ta=")
    assert comment.endswith(" emissivity=0.95")


def test_jpeg_pixels_follow_to_gray8(small_set):
    gray, temps, y, bursts, labels = mf.generate_arrays(12, 2, seed=3, burst=4)
    assert labels == ["face0", "face1", "env"]
    for label, n in (("face0", 0), ("face1", 7), ("env", 11)):
        i = labels.index(label) * 12 + n
        expect = np.frombuffer(bytes(to_gray8(temps[i].reshape(-1).tolist())), np.uint8).reshape(24, 32)
        assert np.array_equal(expect, gray[i])
        with Image.open(os.path.join(small_set, "%s.%d.jpg" % (label, n))) as im:
            got = np.asarray(im, dtype=np.int16)
        assert np.abs(got - expect).mean() < 2.0  # quality-95 JPEG of the same 8-bit image


def test_deterministic_by_seed(small_set, tmp_path):
    mf.generate(str(tmp_path), per_label=12, n_identities=2, seed=3, burst=4)
    for name in ("face0.3.jpg", "env.9.jpg", "captures.csv"):
        assert open(os.path.join(small_set, name), "rb").read() == open(str(tmp_path / name), "rb").read()
    g1 = mf.generate_arrays(6, seed=3, burst=3)[0]
    g2 = mf.generate_arrays(6, seed=4, burst=3)[0]
    assert not np.array_equal(g1, g2)


def test_refuses_foreign_jpegs_and_regenerates(tmp_path):
    (tmp_path / "mine.jpg").write_bytes(b"x")
    with pytest.raises(SystemExit, match="did not write"):
        mf.generate(str(tmp_path), per_label=2, burst=1)
    os.remove(str(tmp_path / "mine.jpg"))
    mf.generate(str(tmp_path), per_label=4, burst=2)
    mf.generate(str(tmp_path), per_label=2, burst=2)  # a rerun replaces its own files
    assert len([n for n in os.listdir(str(tmp_path)) if n.endswith(".jpg")]) == 6


def test_bursts_are_similar_sessions_differ():
    gray, temps, y, bursts, labels = mf.generate_arrays(20, 2, seed=1, burst=10)
    face0 = temps[y == 0].reshape(2, 10, -1)
    within = np.abs(face0[0, 1:] - face0[0, :1]).mean()
    across = np.abs(face0[1] - face0[0]).mean()
    assert within < across


def best_threshold_accuracy(f_train, y_train, f_test, y_test):
    """Fit the best single threshold (either direction) on one half; accuracy on the other half.

    Returns (held-out accuracy, training accuracy). Cuts lie between distinct sorted values.
    """
    order = np.argsort(f_train, kind="stable")
    fs, ys = f_train[order], (y_train[order] == 1)
    n = len(fs)
    # predicting class 1 above cut k (after k sorted samples): correct = zeros below + ones above
    acc = (np.concatenate([[0], np.cumsum(~ys)]) + ys.sum() - np.concatenate([[0], np.cumsum(ys)])) / n
    valid = np.concatenate([[True], fs[1:] != fs[:-1], [True]])
    acc = np.where(valid, acc, 0.5)
    up, down = int(np.argmax(acc)), int(np.argmax(1 - acc))
    k, sign = (up, 1) if acc[up] >= 1 - acc[down] else (down, -1)
    cut = fs[0] - 1 if k == 0 else (fs[-1] + 1 if k == n else (fs[k - 1] + fs[k]) / 2)
    train_acc = acc[k] if sign == 1 else 1 - acc[k]
    return float(np.mean((sign * (f_test - cut) > 0) == (y_test == 1))), float(train_acc)


def test_identities_not_separable_by_one_pixel_or_one_statistic():
    """Every single pixel and global statistic: a fitted threshold stays far from the CNN's >= 98%."""
    gray, temps, y, bursts, labels = mf.generate_arrays(200, 2, seed=1)
    faces = y < 2
    x = gray[faces].reshape(faces.sum(), -1).astype(np.float32)
    yy = y[faces]
    burst_no = np.array([int(b.split(":")[1]) for b in bursts[faces]])
    tr, te = burst_no % 2 == 0, burst_no % 2 == 1  # whole bursts on each side
    features = {"pixel%d" % i: x[:, i] for i in range(768)}
    features.update({"mean": x.mean(1), "max": x.max(1), "min": x.min(1), "std": x.std(1),
                     "median": np.median(x, 1), "temp_mean": temps[faces].reshape(len(yy), -1).mean(1),
                     "temp_max": temps[faces].reshape(len(yy), -1).max(1)})
    results = {k: best_threshold_accuracy(f[tr], yy[tr], f[te], yy[te]) for k, f in features.items()}
    # the 1-D classifier picks its feature on the training half too; judge it on the other half
    chosen = max(results, key=lambda k: results[k][1])
    assert results[chosen][0] < 0.8, (chosen, results[chosen])
    # even the luckiest feature on the test half (a biased, optimistic figure) stays well below 98%
    luckiest = max(results, key=lambda k: results[k][0])
    assert results[luckiest][0] < 0.9, (luckiest, results[luckiest])
    for k in ("mean", "max", "std", "temp_mean", "temp_max"):
        assert results[k][0] < 0.75, (k, results[k])


def test_shipped_model_separates_identities_on_fresh_sessions():
    """The shipped model (trained on seed 1) on new sessions of the same identities scores what
    its report's cross-validation estimated."""
    path = os.path.join("models", "heatface.tflite")
    if not os.path.exists(path):
        pytest.skip("no shipped model yet (make train)")
    import tflite_export as tx

    meta = json.load(open(os.path.join("models", "heatface.json")))
    gray, temps, y, bursts, labels = mf.generate_arrays(60, 2, seed=1, session_seed=2024,
                                                        t_lo=meta["t_lo"], t_hi=meta["t_hi"])
    assert labels == sorted(meta["labels"], key=labels.index)
    # JPEG round trip as in capture, then the model's own label order
    from heatface.jpeg import encode_gray

    dec = np.stack([np.asarray(Image.open(io.BytesIO(encode_gray(bytes(g.reshape(-1)), 32, 24))))
                    for g in gray])
    import fitting

    scores, _ = tx.tflm_predict(open(path, "rb").read(), meta["arena_size"],
                                fitting.normalise(dec, meta.get("input_norm", "gray")))
    pred = np.array([labels.index(meta["labels"][i]) for i in scores.argmax(1)])
    faces = y < 2
    # fresh sessions must not fall far below what cross-validation promised (models trained before
    # the CV report recorded no estimate: they must keep 85%, what the first model scores here)
    floor = meta["cv_int8_accuracy"] - max(0.05, 3 * meta["cv_int8_accuracy_std"]) if "cv_int8_accuracy" in meta else 0.85
    assert np.mean(pred[faces] == y[faces]) >= floor
    assert np.mean(pred == y) >= floor


def test_new_rooms_leave_the_training_ranges():
    """The held-out room profiles differ from training where real rooms do: distance (head size),
    hot objects, ambient and sensor noise."""
    rng = np.random.default_rng(0)
    ident = mf.ts.make_identities(1, 1)[0]
    train_ta = mf.ROOMS["train"]["ta"]
    drift = [mf.room_for(rng, "drift")["ta"] for _ in range(40)]
    assert all(t < train_ta[0] or t > train_ta[1] for t in drift)
    far = [mf.face_session(ident, rng, "far")[1]["head_h"] for _ in range(40)]
    assert max(far) < mf.ROOMS["train"]["head_h"][1] and min(far) < mf.ROOMS["train"]["head_h"][0]
    hot = [mf.env_session(rng, "hot") for _ in range(40)]
    temps = [o.get("temp") for s in hot for o in s["objects"] if "temp" in o and o["kind"] != "pet"]
    assert all(s["objects"] for s in hot) and temps and max(temps) <= 45.0
    assert min(mf.room_for(rng, "noisy")["noise"] for _ in range(20)) > mf.ROOMS["train"]["noise"][1]


def test_session_seed_gives_other_rooms_same_people(tmp_path):
    a = mf.generate_arrays(5, 2, seed=1, burst=5)[0]
    b = mf.generate_arrays(5, 2, seed=1, burst=5, session_seed=7)[0]
    assert not np.array_equal(a, b)
    mf.main(["--out", str(tmp_path), "--per-label", "3", "--room", "hot", "--session-seed", "7"])
    assert len([n for n in os.listdir(str(tmp_path)) if n.endswith(".jpg")]) == 9
