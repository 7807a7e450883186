"""tools/dataset.py (stats, a deterministic burst-keeping split, Edge Impulse export naming), with
tools/captures.py (files, captures.csv, bursts) and tools/training_data.py (the arrays for training).

The captures are written by the device's own storage code (heatface.storage) so the manifest
the tool reads is the one the board writes; the JPEGs are real (Pillow) 32x24 images.
"""

import io
import os
import shutil

from PIL import Image

import captures
import dataset
import training_data
from heatface.storage import Storage

# label -> burst lengths, in capture order (1 = a single press)
PLAN = {
    "face0": [1, 10, 1, 1, 8, 10, 1, 3, 10, 1, 1, 5],
    "face1": [10, 10, 1, 1, 1, 10, 4, 1, 10],
    "env": [1, 1, 1, 10, 2, 1, 10, 1],
}


def _jpeg(value):
    img = Image.new("L", (32, 24), value % 256)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    return buf.getvalue()


def _capture(folder):
    """Capture PLAN with heatface.storage, as the app would: the press, then the burst."""
    st = Storage(str(folder), tuple(PLAN))
    assert st.start(), st.status
    truth = {}  # name -> burst id (first number)
    for round_ in range(12):  # interleave labels as a user would
        for label, bursts in PLAN.items():
            if round_ >= len(bursts):
                continue
            name = st.save(label, _jpeg(round_ * 7), ta=25.0)
            first = st.last_n
            truth[name] = (label, first)
            for _ in range(bursts[round_] - 1):  # the long press's frames
                truth[st.save(label, _jpeg(round_ * 7 + 1), burst=True, ta=25.0)] = (label, first)
    return truth


def test_stats(tmp_path, capsys):
    _capture(tmp_path)
    (tmp_path / "face1.99.jpg").write_bytes(b"not a jpeg")
    (tmp_path / ".tmp-env.40.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "notes.txt").write_text("x")
    samples, notes = captures.load([str(tmp_path)])
    st = dataset.label_stats(samples)
    assert st["face0"]["files"] == sum(PLAN["face0"]) and st["face0"]["groups"] == len(PLAN["face0"])
    assert st["face0"]["largest_group"] == 10 and st["face0"]["sizes"] == {"32x24": sum(PLAN["face0"])}
    assert st["face1"]["files"] == sum(PLAN["face1"]) + 1 and st["face1"]["invalid"] == 1
    assert st["face1"]["gaps"] == 99 - sum(PLAN["face1"])
    assert st["env"]["first"] == 0 and st["env"]["last"] == sum(PLAN["env"]) - 1
    assert any(".tmp-env.40.jpg" in n for n in notes)
    assert dataset.main(["stats", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "face0" in out and "32x24:%d" % sum(PLAN["face0"]) in out


def test_split_keeps_bursts_together_and_is_deterministic(tmp_path):
    truth = _capture(tmp_path / "session1")
    samples, _ = captures.load([str(tmp_path / "session1")])
    assignment = dataset.split(samples)
    assert len(assignment) == len(truth)
    by_burst = {}
    for s in samples:
        by_burst.setdefault(truth[s.name], set()).add(assignment[s.key])
    assert all(len(splits) == 1 for splits in by_burst.values()), by_burst
    # Every split is used for every label, near the requested shares.
    for label in PLAN:
        names = [s for s in samples if s.label == label]
        for which, share in zip(dataset.SPLITS, dataset.DEFAULT_FRACTIONS):
            got = sum(1 for s in names if assignment[s.key] == which) / len(names)
            assert got > 0 and abs(got - share) < 0.2, (label, which, got)
    # Same files elsewhere (another machine's path, files listed in another order): same split.
    other = tmp_path / "elsewhere" / "session1"
    shutil.copytree(tmp_path / "session1", other)
    samples2, _ = captures.load([str(other)])
    samples2.reverse()
    assignment2 = dataset.split(samples2)
    assert {k[1]: v for k, v in assignment.items()} == {k[1]: v for k, v in assignment2.items()}
    assert dataset.split(samples, seed="other") != assignment  # the seed does matter


def test_split_file_round_trip(tmp_path):
    _capture(tmp_path / "cards")
    split_csv = tmp_path / "split.csv"
    assert dataset.main(["split", str(tmp_path / "cards"), "--out", str(split_csv)]) == 0
    samples, _ = captures.load([str(tmp_path / "cards")])
    assert dataset.read_split(str(split_csv)) == dataset.split(samples)
    header = split_csv.read_text().splitlines()[0]
    assert header == "source,name,label,group,split"


def test_fallback_without_manifest_groups_blocks(tmp_path):
    _capture(tmp_path)
    os.remove(tmp_path / "captures.csv")
    samples, notes = captures.load([str(tmp_path)], block=10)
    assert any("no captures.csv" in n for n in notes)
    assignment = dataset.split(samples)
    blocks = {}
    for s in samples:
        assert s.group[2:] == ("block", s.n // 10)
        blocks.setdefault((s.label, s.n // 10), set()).add(assignment[s.key])
    assert all(len(v) == 1 for v in blocks.values())


def test_partial_manifest_line_and_unlisted_file(tmp_path):
    truth = _capture(tmp_path)
    with open(tmp_path / "captures.csv", "a") as f:
        f.write("env.40.jpg,env,40,4")  # crash mid-line
    (tmp_path / "env.40.jpg").write_bytes(_jpeg(3))
    samples, notes = captures.load([str(tmp_path)])
    env40 = [s for s in samples if s.name == "env.40.jpg"][0]
    assert env40.group[2:] == ("block", 4)
    assert any("1 files missing" in n for n in notes)
    others = [s for s in samples if s.name != "env.40.jpg"]
    assert all(s.group[2:] == ("burst", truth[s.name][1]) for s in others)


def test_export_naming(tmp_path):
    _capture(tmp_path / "s1")
    _capture(tmp_path / "s2")
    flat = tmp_path / "flat"
    assert dataset.main(["export", str(tmp_path / "s1"), "--out", str(flat)]) == 0
    names = sorted(os.listdir(flat))
    assert names == sorted(n for n in os.listdir(tmp_path / "s1") if n.endswith(".jpg"))
    for name in names:
        assert (flat / name).read_bytes() == (tmp_path / "s1" / name).read_bytes()
    # Two sessions with a split: training/testing folders, folder name keeps names unique,
    # the Edge Impulse label (text before the first dot) is the capture's label.
    split_csv = tmp_path / "split.csv"
    dirs = [str(tmp_path / "s1"), str(tmp_path / "s2")]
    assert dataset.main(["split"] + dirs + ["--out", str(split_csv)]) == 0
    out = tmp_path / "ei"
    assert dataset.main(["export"] + dirs + ["--out", str(out), "--split", str(split_csv)]) == 0
    assert sorted(os.listdir(out)) == ["testing", "training"]
    exported = os.listdir(out / "training") + os.listdir(out / "testing")
    total = 2 * sum(sum(b) for b in PLAN.values())
    assert len(exported) == len(set(exported)) == total
    assert "face0.s2-13.jpg" in exported
    for name in exported:
        label, rest = name.split(".", 1)
        assert label in PLAN and rest.endswith(".jpg")
    split = dataset.read_split(str(split_csv))
    tests = {(k[0], k[1]) for k, v in split.items() if v == "test"}
    assert len(os.listdir(out / "testing")) == len(tests)


# --------------------------------------------------------------------------- training's view

def _board_folder(folder, bursts_per_label=6, burst=10, seed=0):
    """A card as the board writes it: heatface.storage saves bursts of ``burst`` frames (a press
    and its long-press frames) and captures.csv; each burst is a scene, its frames differ by
    sensor noise only, so frames of one burst are near twins."""
    import numpy as np

    rng = np.random.default_rng(seed)
    st = Storage(str(folder), tuple(PLAN))
    assert st.start(), st.status
    truth = {}
    for round_ in range(bursts_per_label):
        for label in PLAN:
            scene = rng.integers(20, 230, (24, 32)).astype(float)
            first = None
            for k in range(burst):
                frame = np.clip(scene + rng.normal(0, 2, scene.shape), 0, 255).astype(np.uint8)
                buf = io.BytesIO()
                Image.fromarray(frame).save(buf, "JPEG", quality=95)
                name = st.save(label, buf.getvalue(), burst=k > 0, ta=25.0)
                first = st.last_n if k == 0 else first
                truth[name] = (label, first)
    return truth


def test_board_captures_cross_validate_burst_true_and_duplicates_are_found(tmp_path):
    """Acceptance (issue 13): bursts of 10 with captures.csv; no test or validation image shares a
    burst with training, in any fold; copies of a file are found and kept with their original."""
    import numpy as np

    import evaluate as ev

    truth = _board_folder(tmp_path)
    shutil.copyfile(tmp_path / "face0.3.jpg", tmp_path / "face0.3 - Copy.jpg")  # Windows Explorer copy
    shutil.copyfile(tmp_path / "env.12.jpg", tmp_path / "env.900.jpg")  # renamed copy, not in the manifest
    data = training_data.load_images([str(tmp_path)])
    assert data["burst_true"] is False  # the copies are not in captures.csv
    groups, findings = ev.merge_duplicates(data["x"], data["y"], data["groups"], data["files"])
    pairs = {tuple(sorted(os.path.basename(p) for p in f[1:3])) for f in findings}
    assert pairs == {("face0.3 - Copy.jpg", "face0.3.jpg"), ("env.12.jpg", "env.900.jpg")}
    assert {f[0] for f in findings} == {"exact"}
    warnings = ev.data_warnings(data["y"], data["labels"], groups, findings, data["burst_true"])
    assert any("duplicates across bursts: 2 exact" in w for w in warnings)
    burst_of = {os.path.basename(f): truth.get(os.path.basename(f)) for f in data["files"]}
    burst_of["face0.3 - Copy.jpg"] = truth["face0.3.jpg"]
    burst_of["env.900.jpg"] = truth["env.12.jpg"]
    assert len(set(groups)) == len(set(truth.values())) == 18  # one group per real burst
    folds = ev.grouped_folds(data["y"], groups, 5, seed=1)
    names = np.array([os.path.basename(f) for f in data["files"]])
    for tr, te in folds:
        fit, val = ev.inner_split(data["y"], groups, tr, seed=2)
        train_bursts = {burst_of[n] for n in names[fit]}
        assert not train_bursts & {burst_of[n] for n in names[te]}
        assert not train_bursts & {burst_of[n] for n in names[val]}
        assert len(val) and len(te) and sorted(np.concatenate([fit, val, te])) == list(range(len(names)))
        assert set(data["y"][te]) == {0, 1, 2}


def test_manifest_any_encoding_extra_columns_and_reboots(tmp_path):
    # cp1252 from a spreadsheet, with a header and a column appended after the board's six
    lines = ["name,label,n,burst,ta,ms,extra", "jörg.0.jpg,jörg,0,0,24.50,9000,x",
             "jörg.1.jpg,jörg,1,0,24.50,9500,y", "jörg.2.jpg,jörg,2,2,21.00,300,z", "jörg.3.jpg,jö"]
    (tmp_path / "captures.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    rows = captures.read_manifest(str(tmp_path / "captures.csv"))
    assert sorted(rows) == ["jörg.0.jpg", "jörg.1.jpg", "jörg.2.jpg"]
    assert rows["jörg.1.jpg"] == {"burst": 0, "ta": 24.5, "ms": 9500, "boot": 0}
    assert rows["jörg.2.jpg"]["boot"] == 1  # the ms clock went back: the board restarted
    (tmp_path / "captures.csv").write_bytes(("\ufeff" + "\n".join(lines[:3])).encode("utf-8"))
    assert sorted(captures.read_manifest(str(tmp_path / "captures.csv"))) == ["jörg.0.jpg", "jörg.1.jpg"]
    (tmp_path / "captures.csv").write_bytes(b"\xff\xfe\x00garbage\x81\x8d,\n")
    assert captures.read_manifest(str(tmp_path / "captures.csv")) == {}
    assert dataset.main(["stats", str(tmp_path)]) == 1  # no images: says so, no traceback
