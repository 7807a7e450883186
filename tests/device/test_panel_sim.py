# mprun: heapsize=2048K
"""Under both runtimes: the simulated board's LCD (the board profile's set-up on the real
st7789py, into the panel controller model) shows exactly what heatface meant to draw.

Under MicroPython this module gets a 2 MB heap: the frame memory, the intended picture and the
view are 150 KB each for a 320x240 panel.
"""

from heatface.app import App
from heatface.config import DEFAULTS
from heatface_sim.board import Board
from heatface_sim.lcd import SimulatedLCD
from fakes_display import Tee


def _check(profile, **extra):
    config = {}
    for key in DEFAULTS:
        config[key] = DEFAULTS[key]
    config.update({"print_predictions": False, "retry_sleep_ms": 0, "start_mode": "live",
                   "sim_panel": profile})
    config.update(extra)
    board = Board(config)
    intended = SimulatedLCD(board.lcd.width, board.lcd.height)
    tee = Tee(intended, board.lcd)
    board.display = lambda: tee
    app = App(board, config)
    for _ in range(2):
        app.step()
    assert board.panel.view_size() == (intended.width, intended.height)
    assert board.panel.view() == intended.pixels, profile
    assert board.panel.unknown == []


def test_wio_terminal_panel_shows_the_intended_frames():
    _check("wio_terminal")


def test_feather_panel_shows_the_intended_frames():
    _check("feather_esp32s3_reverse_tft")


def test_error_screen_on_the_wio_panel():
    _check("wio_terminal", sim_sensor_missing=True)
