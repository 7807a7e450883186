"""`make replay` and `dataset.py from-recording`: a recording made on the simulated board (CPython)
played through main.py on the MicroPython unix port, and turned into a dataset at another mapping."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from heatface.app import App
from heatface.config import DEFAULTS
from heatface_sim.board import Board
from heatface_sim.recording import replay_frames

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMES = 6


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A recording of FRAMES frames of the default scene, and the temperatures the app saw."""
    card = str(tmp_path_factory.mktemp("card"))
    config = dict(DEFAULTS)
    config.update({"print_predictions": False, "retry_sleep_ms": 0, "sim_lcd_record": False,
                   "start_mode": "live", "sim_card_dir": card, "record_sd": True})
    board = Board(config)
    app = App(board, config)
    seen = []
    board.after_frame = lambda app: seen.append(np.frombuffer(bytes(app.temps), dtype=np.float32))
    app.run(max_frames=FRAMES)
    app.recorder.stop_card(app)
    return os.path.join(card, "rec.0.hfr"), np.array(seen).reshape(-1, 24, 32)


def test_make_replay_runs_main_py_on_the_recording(recording, tmp_path):
    path, seen = recording
    subprocess.run(["make", "--no-print-directory", "device-mpy"], cwd=ROOT, check=True)
    out = tmp_path / "replay"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "%d subpages" % (2 * FRAMES) in proc.stdout
    temps = np.load(out / "temps.npy")
    assert temps.shape == (FRAMES, 24, 32)
    # the unix port and CPython both compute in double and store float32: the same values
    np.testing.assert_allclose(temps, seen, atol=1e-4)
    assert len([f for f in os.listdir(out) if f.startswith("frame_") and f.endswith(".png")]) == FRAMES // 2


def test_replay_frames_decodes_what_the_board_saw(recording):
    path, seen = recording
    decoded = [np.frombuffer(bytes(t), dtype=np.float32).copy() for _, t, _ in replay_frames(path)]
    assert np.array_equal(np.array(decoded).reshape(-1, 24, 32), seen)  # same runtime: bit for bit


def test_dataset_from_recording_at_any_mapping(recording, tmp_path):
    path, seen = recording
    out = tmp_path / "ds"
    out.mkdir()
    (out / "face1.4.jpg").write_bytes(b"")  # numbering continues after what is there
    cmd = [sys.executable, os.path.join(ROOT, "tools", "dataset.py"), "from-recording", path,
           "--label", "face1", "--out", str(out), "--t-lo", "20", "--t-hi", "40", "--every", "2"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = sorted(n for n in os.listdir(out) if n != "face1.4.jpg")
    assert names == ["face1.5.jpg", "face1.6.jpg", "face1.7.jpg"], names
    im = Image.open(out / "face1.5.jpg")
    assert im.size == (32, 24) and b"heatface t_lo=20.0 t_hi=40.0" in im.info["comment"]
    expect = np.clip(np.floor((seen[0] - 20.0) * 255.0 / 20.0 + 0.5), 0, 255)  # to_gray8's mapping
    got = np.asarray(im.convert("L"), dtype=np.float64)
    assert np.abs(got - expect).mean() < 2.0  # JPEG at quality 95
    bad = subprocess.run(cmd[:4] + ["--label", "no.dots", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "letters, digits" in bad.stdout
