"""The app on a fresh simulated board, for the device tests (CPython, the unix ports and the
emulated board alike): test settings over the app's DEFAULTS, and scratch folders under out/."""

import os

from heatface.app import App
from heatface.config import DEFAULTS
from heatface_sim.board import Board

# No prediction prints, no sleeping between retries, and no frame memory in the simulated LCD
# (150 KB; a test that reads the LCD's pixels passes sim_lcd_record=True).
TEST_SETTINGS = {"print_predictions": False, "retry_sleep_ms": 0, "sim_lcd_record": False}


def scratch(name):
    """``out/<name>``, the path of a scratch folder or file (out/ is made; a fresh clone has none)."""
    try:
        os.mkdir("out")
    except OSError:
        pass
    return "out/" + name


def rmtree(path):
    """Remove the folder ``path`` and the files in it (one level: the simulated cards are flat);
    nothing happens when it does not exist."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        os.remove(path + "/" + name)
    os.rmdir(path)


def sim_config(**extra):
    """A fresh settings dict: DEFAULTS, then TEST_SETTINGS, then ``extra``."""
    config = {}
    for key in DEFAULTS:
        config[key] = DEFAULTS[key]
    config.update(TEST_SETTINGS)
    config.update(extra)
    return config


def sim_app(**extra):
    """``(app, board)``: the app on a new simulated board, both from ``sim_config(**extra)``."""
    config = sim_config(**extra)
    board = Board(config)
    return App(board, config), board
