# mprun: heapsize=2048K
"""Hottest/coldest markers, degC/degF, mirror and flip, freeze and the alarm, on the simulated
board under both runtimes; the viper kernels against their plain twins."""

import gc
from array import array

from heatface import camera
from simapp import sim_app


def _frame(seed):
    t = array("f", bytes(4 * 768))
    x = seed
    for i in range(768):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        t[i] = ((x >> 8) % 20000) / 100.0 - 60.0  # -60 .. 140 degC, some ties
    return t


def test_hot_cold_viper_matches_plain():
    cam = camera.Camera(None, {})
    for seed in (1, 2, 3):
        t = _frame(seed)
        t[100] = t[200] = 150.0  # a tie: the first one wins in both
        t[300] = t[301] = -70.0
        cam.viper = True
        cam.measure(t)
        fast = (cam.hot, cam.cold)
        cam.viper = False
        cam.measure(t)
        assert fast == (cam.hot, cam.cold) == (100, 300), (fast, cam.hot, cam.cold)
    t = array("f", [-5.0] * 768)
    t[7] = -0.5
    t[9] = -9.0
    for v in (True, False):
        cam.viper = v
        cam.measure(t)
        assert (cam.hot, cam.cold) == (7, 9)


def test_orient_viper_matches_plain_and_mirrors():
    t = _frame(4)
    for mirror, flip in ((1, 0), (0, 1), (1, 1)):
        cam = camera.Camera(None, {"mirror": mirror, "flip": flip}, viper=True)
        fast = bytes(cam.shown(t))
        cam.viper = False
        plain = cam.shown(t)
        assert fast == bytes(plain)
        r, c = 3, 5
        sr = 23 - r if flip else r
        sc = 31 - c if mirror else c
        assert plain[r * 32 + c] == t[sr * 32 + sc]


def _app(**extra):
    # the tests read the LCD's pixels: the simulated LCD keeps them
    return sim_app(start_mode="live", sim_lcd_record=True, **extra)


def test_markers_on_the_hottest_and_coldest_pixels():
    app, board = _app(markers=True)
    app.run(max_frames=2)
    cam = app.camera
    # the default scene: 22 degC room, a 34..36 degC blob whose hottest rows are 8..10 from col 11
    assert cam.hot == 8 * 32 + 11 and abs(cam.t_hot - 36.0) < 0.15, (cam.hot, cam.t_hot)
    assert abs(cam.t_cold - 22.0) < 0.25
    s = app.renderer.scale
    lcd = board.lcd
    assert lcd.pixel(11 * s + s // 2, 8 * s + s // 2) == camera.HOT_COLOR
    cx, cy = (cam.cold % 32) * s + s // 2, (cam.cold // 32) * s + s // 2
    assert lcd.pixel(cx, cy) == camera.COLD_COLOR
    assert lcd.pixel(cx + 4, cy) == camera.OUTLINE


def test_fahrenheit_on_screen():
    app, _ = _app(units="F", range="fixed")
    app.run(max_frames=2)
    row0 = app.renderer.overlay._last[2]
    assert row0.startswith("Spot 9") and "F " in row0, row0  # 36 degC spot -> 96.x F
    assert app.renderer.overlay._last[0] == "104"  # legend hi: 40 degC in 4 characters
    assert abs(camera.to_unit(37.0, "F") - 98.6) < 1e-4 and camera.to_unit(37.0, "C") == 37.0


def _row(lcd, w, y):
    return [lcd.pixel(x, y) for x in range(w)]


def test_mirror_and_flip_turn_the_picture_not_the_frame():
    plain_app, plain_board = _app()
    plain_app.run(max_frames=2)
    w, h = plain_app.renderer.width, plain_app.renderer.height
    rows = [y for y in range(0, h, 12) if abs(y - h // 2) > 6]  # the centre cross is on all: skip it
    plain = {}
    for y in rows:
        plain[y] = _row(plain_board.lcd, w, y)
        plain[h - 1 - y] = _row(plain_board.lcd, w, h - 1 - y)
    plain_temps = bytes(plain_app.temps)
    plain_app = plain_board = None
    for setting in ("mirror", "flip"):
        app, board = _app(**{setting: True})
        app.run(max_frames=2)
        for y in rows:
            if setting == "mirror":
                assert _row(board.lcd, w, y) == plain[y][::-1], (setting, y)
            else:
                assert _row(board.lcd, w, y) == plain[h - 1 - y], (setting, y)
        assert bytes(app.temps) == plain_temps  # captures keep the sensor's orientation
        app = board = None


def _rows(lcd):
    # every 6th row of the image area (288x216): enough to tell pictures apart, small on the heap
    return b"".join(bytes(lcd.pixels[2 * 320 * y: 2 * 320 * y + 2 * 288]) for y in range(0, 216, 6))


def test_freeze_holds_the_picture_until_down_again():
    app, board = _app(sim_buttons=[["DOWN", 200, 260], ["DOWN", 900, 960]])
    app.run(max_frames=4)
    assert app.camera.frozen
    frozen = _rows(board.lcd)
    for i in range(768):
        board.scene._temps[i] = 30.0
    app.run(max_frames=8)
    assert app.camera.frozen and _rows(board.lcd) == frozen
    assert app.renderer.overlay._last[2].endswith("FROZEN LIVE"), app.renderer.overlay._last[2]
    app.run(max_frames=20)
    assert not app.camera.frozen
    assert _rows(board.lcd) != frozen


def test_long_press_freezes_in_live_mode():
    # boards without the 5-way switch: a long press of A, B or C where they capture nothing
    app, board = _app(long_ms=200, sim_buttons=[["C", 100, 400], ["A", 700, 1000]])
    app.run(max_frames=8)  # about 64 ms of virtual time per frame: the first long press is at 300 ms
    assert app.camera.frozen
    app.run(max_frames=16)
    assert not app.camera.frozen
    app = board = None
    collect, _ = sim_app(start_mode="collect", long_ms=200, sim_buttons=[["C", 100, 400]])
    collect.run(max_frames=8)
    assert collect.mode._burst_label == "env" and collect.camera is None  # a burst, no freeze


def test_alarm_flashes_and_beeps():
    app, board = _app(alarm_c=35.0)
    app.run(max_frames=20)  # about 1.3 s of virtual time: several 250 ms half-periods
    cam = app.camera
    assert cam.alarm_on
    status = app.renderer.overlay._last[3]
    assert status.startswith("ALARM 36.") and status.endswith("C > 35.0C"), status
    events = board._buzzer.events
    assert [on for _, on in events[:4]] == [True, False, True, False], events
    assert board._buzzer.is_on == (board.lcd.pixel(1, 1) == camera.ALARM_COLOR)
    # one simulated board at a time: its LCD alone is 153,600 bytes of the heap
    app = board = cam = events = None
    gc.collect()
    quiet, qboard = _app(alarm_c=40.0)
    quiet.run(max_frames=10)
    assert not quiet.camera.alarm_on and qboard._buzzer.events == []


def test_bad_alarm_settings_turn_the_alarm_off_not_the_app():
    app, _ = _app(alarm_c="hot", alarm_ms=-5, units="K")
    app.run(max_frames=2)
    cam = app.camera
    assert cam.alarm_c is None and not cam.alarm_on and cam.alarm_ms == 250 and cam.unit == "C"
    assert "alarm_c = 'hot' is not a temperature" in cam.warning
    assert app.renderer.overlay._last[3] == cam.warning  # on the status line
