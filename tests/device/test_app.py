# mprun: heapsize=512K
"""The app on the simulated board, under both runtimes: capture sessions, faults and modes.

Under MicroPython this module gets a 512 KB heap: the simulated sensor, LCD and card share the
app's heap here, and the app's own code (frozen in flash on a board) is loaded into RAM.
The 160 KB memory test of the live loop is ``test_app_memory``.
"""

import os

from mptest import skip
from simapp import rmtree, scratch, sim_app

CARD = scratch("test_app_card")


def _files(path):
    try:
        return sorted(n for n in os.listdir(path) if n.endswith(".jpg"))
    except OSError:
        return []


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def test_scripted_collect_session_with_bounce():
    rmtree(CARD)
    presses = [["A", 200, 330], ["B", 700, 820], ["A", 1200, 1300], ["C", 1800, 2900]]
    app, board = sim_app(start_mode="collect", sim_card_dir=CARD, burst=4, sim_buttons=presses)
    app.run(max_frames=70)  # about 64 virtual ms per frame at 16 Hz: 4.5 s
    expected = ["env.0.jpg", "env.1.jpg", "env.2.jpg", "env.3.jpg",
                "face0.0.jpg", "face0.1.jpg", "face1.0.jpg"]
    assert _files(CARD) == expected, _files(CARD)
    counts = app.mode.storage.counts
    assert counts["face0"] == 2 and counts["face1"] == 1 and counts["env"] == 4, counts
    assert "face0:2" in app.mode.title(app)
    for name in expected:
        data = _read(CARD + "/" + name)
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", name
        assert b"heatface t_lo=22.0 t_hi=37.0" in data, name
        assert len(data) <= 1536, (name, len(data))
    manifest = _read(CARD + "/captures.csv").decode().split("\n")
    bursts = [line.split(",")[3] for line in manifest[1:] if line.startswith("env.")]
    assert len(set(bursts)) == 1, bursts  # the long press's frames form one group


def test_a_later_start_continues_the_numbering():
    rmtree(CARD)
    for _ in range(2):  # two power-ups of the board with the same card
        app, _ = sim_app(start_mode="collect", sim_card_dir=CARD, sim_buttons=[["A", 100, 200]])
        app.run(max_frames=8)
    assert _files(CARD) == ["face0.0.jpg", "face0.1.jpg"], _files(CARD)


def test_no_card_disables_capture_and_live_view_goes_on():
    app, board = sim_app(start_mode="collect", sim_buttons=[["A", 100, 200]])
    app.run(max_frames=10)
    assert app.frames == 10
    assert not app.mode.storage.ready
    assert "card" in app.status.lower(), app.status


def test_card_pulled_between_captures_keeps_earlier_files():
    rmtree(CARD)
    rmtree(CARD + "-pulled")
    app, board = sim_app(start_mode="collect", sim_card_dir=CARD,
                      sim_buttons=[["A", 100, 200], ["A", 900, 1000]])
    while app.mode.storage.counts.get("face0", 0) < 1:
        app.step()
    first = _read(CARD + "/face0.0.jpg")
    os.rename(CARD, CARD + "-pulled")  # the card is gone from its slot
    app.run(max_frames=app.frames + 12)
    assert app.frames >= 12
    assert not app.mode.storage.ready, app.mode.storage.status
    os.rename(CARD + "-pulled", CARD)
    assert _files(CARD) == ["face0.0.jpg"]
    assert _read(CARD + "/face0.0.jpg") == first


def test_sensor_missing_shows_error_and_recovers():
    app, board = sim_app(start_mode="live", sim_sensor_missing=3, sensor_retry_ms=10)
    shown = [app.step() for _ in range(5)]
    assert shown[0] is False
    assert "Sensor" in app._info["status"], app._info["status"]
    assert board.lcd.blits > 0  # the error screen was drawn
    for _ in range(200):
        if app.step():
            break
    assert app.frames == 1 and app.sensor is not None


def test_sensor_lost_mid_run_is_retried():
    app, board = sim_app(start_mode="live", sensor_retry_ms=10, max_read_failures=2)
    app.run(max_frames=3)
    board.sensor.present = False
    for _ in range(4):
        app.step()
    assert app.sensor is None and "Sensor" in app.sensor_error
    board.sensor.present = True
    for _ in range(100):
        if app.step():
            break
    assert app.frames == 4


def test_five_way_switch_modes_palette_and_range():
    presses = [["PRESS", 100, 200], ["RIGHT", 600, 700], ["UP", 1100, 1200], ["PRESS", 1600, 1700]]
    app, _ = sim_app(start_mode="collect", model="models/missing.tflite", sim_buttons=presses)
    seen = []
    while app.frames < 40:
        app.step()
        if not seen or seen[-1] != app.mode.name:
            seen.append(app.mode.name)
    assert seen == ["collect", "infer", "live"], seen
    assert app.renderer.palette == "rainbow"
    assert app.range.mode == "auto"


def test_model_missing_is_reported_and_view_continues():
    app, _ = sim_app(start_mode="infer", model="models/missing.tflite")
    app.run(max_frames=5)
    assert app.frames == 5
    assert app.status.startswith("Model:"), app.status
    assert app.mode.title(app) == "INFER no model"


def test_infer_mode_classifies_with_the_shipped_model():
    try:
        os.stat("models/heatface.tflite")
    except OSError:
        skip("no shipped model yet")
    app, _ = sim_app(start_mode="infer")
    app.run(max_frames=6)
    mode = app.mode
    assert mode.classifier is not None, app.status
    assert mode.result in mode.classifier.labels or mode.result == "uncertain"
    assert mode.score > 0.0


def _write_scene(path, frames):
    with open(path, "w") as f:
        for ambient, temps in frames:
            f.write("%.1f," % ambient + ",".join("%.1f" % t for t in temps) + "\n")
    return path


def test_capture_warns_when_the_scene_moved():
    rmtree(CARD)
    still = [22.0] * 768
    moved = [22.0 + (i % 32) * 0.5 for i in range(768)]  # a warm gradient sweeping in
    frames = [(22.0, still), (22.0, still), (22.0, moved), (22.0, moved), (22.0, moved)]
    scene = _write_scene("out/test_app_scene.csv", frames)
    app, _ = sim_app(start_mode="collect", sim_card_dir=CARD, sim_scene=scene)
    app.run(max_frames=2)  # frames 1-2: still; the next frame shows the change
    app.mode.on_button(app, "press", "A")
    app.step()
    assert app.status.startswith("Saved face0.0.jpg (moving: 7.8 C"), app.status
    app.step()  # frame 4: the scene has settled
    app.mode.on_button(app, "press", "A")
    app.step()
    assert app.status == "Saved face0.1.jpg", app.status


def test_corrupt_or_mismatched_model_is_reported():
    bad = "out/test_app_bad.tflite"
    with open(bad, "wb") as f:
        f.write(b"TFL3 this is not a flatbuffer" * 10)
    app, _ = sim_app(start_mode="infer", model=bad)
    app.run(max_frames=3)
    assert app.frames == 3 and app.status.startswith("Model:"), app.status
    # a real model whose input is not the 24x32 image
    app, _ = sim_app(start_mode="infer", model="tests/data/models/bad_shape.tflite")
    app.run(max_frames=3)
    assert app.frames == 3 and app.status.startswith("Model:"), app.status
