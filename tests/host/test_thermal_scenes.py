"""Synthetic thermal scenes: geometry, physiology, sequences and replay files (CPython + numpy)."""

import numpy as np
import pytest

import thermal_scenes as ts

IDENTITY = ts.make_identities(1, 1)[0]


def face_scene(ta=24.0, head_h=18.0, **person):
    room = {"ta": ta, "objects": [], "noise": 0.0}
    p = ts.person_for(dict(IDENTITY, hair_style="short"), cx=16.0, cy=11.0, head_h=head_h, ta=ta,
                      skin=34.5, glasses=False)
    p.update(person)
    room["person"] = p
    return room


def test_area_average_matches_a_loop():
    rng = np.random.default_rng(3)
    s = 3
    field = rng.normal(size=(24 * s, 32 * s)).astype(np.float32)
    out = ts.area_average(field, s)
    assert out.shape == (24, 32)
    for r, c in ((0, 0), (5, 17), (23, 31)):
        assert abs(out[r, c] - field[r * s:(r + 1) * s, c * s:(c + 1) * s].mean()) < 1e-5


def test_empty_room_is_ambient_and_row_major():
    frame = ts.render_scene({"ta": 21.5, "background": {"gradient": 0.0}})
    assert frame.shape == (24, 32) and frame.dtype == np.float32
    assert np.allclose(frame, 21.5, atol=1e-4)
    # a warm gradient: ceiling (row 0) warmer than floor (row 23); row-major flattening keeps rows
    frame = ts.render_scene({"ta": 21.5, "background": {"gradient": 1.0}}).reshape(-1)
    assert frame[0] > frame[23 * 32] + 0.9
    assert abs(frame[5] - frame[0]) < 1e-4  # same row


def test_sensor_integrates_a_hot_spot_over_its_pixel():
    # a 0.5 x 0.5 pixel hot square (mug top) averages down: the pixel reads far below its temperature
    hot = ts.render_scene({"ta": 20.0, "objects": [{"kind": "mug", "x": 10.0, "y": 10.0, "size": 0.5,
                                                    "temp": 60.0}]})
    assert 20.5 < hot.max() < 40.0
    big = ts.render_scene({"ta": 20.0, "objects": [{"kind": "mug", "x": 10.0, "y": 10.0, "size": 6.0,
                                                    "temp": 60.0}]})
    assert big.max() > 50.0


def test_face_temperatures_are_physiological():
    f = ts.render_scene(face_scene())
    head = f[4:18, 10:23]
    assert 33.0 < head.max() < 37.0  # skin, warmest at forehead / inner eye corners
    # forehead (row above the eyes) warmer than the nose tip, cheeks cooler than forehead
    forehead, nose = f[7, 16], f[13, 16]
    assert forehead > nose + 0.5
    assert f.min() > 23.0 and np.median(f) < 27.0  # the room stays near ambient


def test_glasses_block_ir_and_mask_is_cooler():
    plain = ts.render_scene(face_scene())
    glasses = ts.render_scene(face_scene(glasses=True))
    masked = ts.render_scene(face_scene(mask=True))
    eye_row = slice(10, 12)
    assert glasses[eye_row, 12:21].min() < plain[eye_row, 12:21].min() - 3.0
    assert glasses[eye_row, 12:21].min() < 24.0 + 4.0  # close to ambient
    lower = (slice(13, 17), slice(14, 19))
    assert masked[lower].mean() < plain[lower].mean() - 1.0
    assert masked[lower].mean() > 24.0 + 4.0  # a mask is still warmed by breath and skin


def test_hair_is_near_ambient_and_bald_scalp_is_warm():
    haired = ts.render_scene(face_scene(hair=3.0))
    bald = ts.render_scene(face_scene(hairline=-1.2, hair_volume=0.0, hair_sides=-1.5))
    top = (slice(3, 4), slice(14, 19))
    assert 24.0 < haired[top].mean() < 24.0 + 4.5
    assert bald[top].mean() > haired[top].mean() + 2.0


def test_noise_and_determinism():
    scene = dict(face_scene(), noise=0.3)
    a = ts.render_scene(scene, np.random.default_rng(5))
    b = ts.render_scene(scene, np.random.default_rng(5))
    clean = ts.render_scene(face_scene())
    assert np.array_equal(a, b)
    assert 0.2 < float(np.std(a - clean)) < 0.4


def test_objects_render_warm():
    rng = np.random.default_rng(0)
    for kind in ts.OBJECT_KINDS:
        obj = ts.random_object(rng, 22.0, kind)
        f = ts.render_scene({"ta": 22.0, "objects": [obj]})
        assert f.max() > 24.0, kind
    with pytest.raises(ValueError):
        ts.render_scene({"ta": 22.0, "objects": [{"kind": "sofa", "x": 1, "y": 1}]})


def test_identities_are_deterministic_and_distinct():
    assert ts.make_identities(3, 7) == ts.make_identities(3, 7)
    assert ts.make_identities(2, 1) != ts.make_identities(2, 2)
    ids = ts.make_identities(2, 1)
    assert ts._strong_difference(ids[0], ids[1]) >= 2.0
    assert len(ts.make_identities(10, 1)) == 10  # thresholds relax for many identities


def test_walk_in_sequence_enters_and_leaves():
    rng = np.random.default_rng(1)
    scenes = ts.walk_in_sequence(IDENTITY, 50, rng)
    ta, frames = ts.render_sequence(scenes, rng)
    assert frames.shape == (50, 768) and np.all(ta == scenes[0]["ta"])
    warm = (frames > 32.0).sum(axis=1)
    assert warm[0] < warm[25] and warm[-1] < warm[25]
    cols = np.arange(768) % 32
    centroid = [(cols * (f > 32.0)).sum() / max(1, (f > 32.0).sum()) for f in frames[20:30]]
    assert 10 < np.mean(centroid) < 22  # facing the camera in the middle of the frame


def test_empty_room_sequence_mug_cools():
    rng = np.random.default_rng(2)
    room = ts.random_room(rng, ta=22.0)
    mug = {"kind": "mug", "x": 16.0, "y": 12.0, "size": 4.0, "temp": 60.0}
    scenes = ts.empty_room_sequence(3000, rng, room, objects=[mug])
    assert scenes[-1]["objects"][0]["temp"] < scenes[0]["objects"][0]["temp"] - 10


def test_replay_csv_and_npy_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    ta, frames = ts.render_sequence(ts.walk_in_sequence(IDENTITY, 6, rng), rng)
    path = str(tmp_path / "scene.csv")
    ts.write_replay_csv(path, ta, frames, header="test scene")
    lines = open(path).read().splitlines()
    assert lines[0].startswith("#") and len(lines) == 7
    assert len(lines[1].split(",")) == 769 and lines[1].split(",")[1].count(".") == 1
    assert len(lines[1].split(",")[1].split(".")[1]) == 2
    ta2, frames2 = ts.read_replay_csv(path)
    assert np.allclose(ta2, ta, atol=0.006) and np.allclose(frames2, frames, atol=0.006)
    npy = str(tmp_path / "scene.npy")
    ts.save_replay_npy(npy, ta, frames)
    ta3, frames3 = ts.load_replay_npy(npy)
    assert np.array_equal(frames3, frames) and np.array_equal(ta3, ta)
    with open(path, "a") as f:
        f.write("1,2,3\n")
    with pytest.raises(ValueError, match="769"):
        ts.read_replay_csv(path)


def test_demo_scene_script(tmp_path):
    import make_demo_scene

    out = str(tmp_path / "demo.csv")
    make_demo_scene.main(["--out", out, "--labels"])
    ta, frames = ts.read_replay_csv(out)
    labels = open(out + ".labels").read().split()
    assert len(labels) == len(frames) >= 300
    assert set(labels) == {"face0", "face1", "env"}
    # a person is in view while a face label is expected; the empty room has no skin-warm blob
    face_rows = [i for i, lab in enumerate(labels) if lab == "face0"]
    mid = face_rows[len(face_rows) // 2]
    assert (frames[mid] > 32.0).sum() > 20
    assert (frames[0] > 30.0).sum() == 0
