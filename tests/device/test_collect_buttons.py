# mprun: heapsize=512K
"""Buttons in collect mode: presses within one frame all count, a second long press or a mode
switch stops a burst, bursts are capped, and a press without a sensor is refused (both runtimes)."""

from heatface.modes import CollectMode
from simapp import rmtree, scratch, sim_app

CARD = scratch("test_collect_buttons_card")


def test_presses_in_one_frame_all_count_and_bursts_stop():
    rmtree(CARD)
    app, board = sim_app(start_mode="collect", sim_card_dir=CARD, burst=10000)
    mode = app.mode
    assert mode.burst == 100  # capped
    app.run(max_frames=1)
    mode.on_button(app, "press", "A")
    mode.on_button(app, "press", "B")  # both before the next frame
    app.run(max_frames=app.frames + 1)
    counts = mode.storage.counts
    assert counts["face0"] == 1 and counts["face1"] == 1, counts
    mode.on_button(app, "press", "C")
    mode.on_button(app, "long", "C")
    app.run(max_frames=app.frames + 3)
    assert counts["env"] == 3, counts
    mode.on_button(app, "long", "C")  # a second long press stops the burst
    app.run(max_frames=app.frames + 3)
    assert counts["env"] == 3 and "stopped" in app.status, (counts, app.status)
    mode.on_button(app, "press", "C")
    mode.on_button(app, "long", "C")
    app.run(max_frames=app.frames + 2)
    assert counts["env"] == 5
    app.switch_mode(app.mode_index + 1)  # leaving the mode cancels the burst
    app.switch_mode(app.mode_index + 2)  # and back to collect (three modes)
    assert app.mode is mode
    app.run(max_frames=app.frames + 3)
    assert counts["env"] == 5, counts


def test_a_press_without_sensor_is_refused_not_kept():
    rmtree(CARD)
    app, board = sim_app(start_mode="collect", sim_card_dir=CARD)
    app.run(max_frames=1)
    sensor, app.sensor = app.sensor, None  # unplugged
    app.mode.on_button(app, "press", "A")
    assert "No sensor" in app.status, app.status
    app.sensor = sensor  # back: the refused press is not captured later
    app.run(max_frames=app.frames + 3)
    assert app.mode.storage.counts["face0"] == 0
