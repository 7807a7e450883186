"""heatface: pick the board profile, load the config, run the app."""

from heatface import boards
from heatface.app import App
from heatface.config import load_config

config = load_config()
board = boards.load(config.get("board") or boards.detect(), config)
App(board, config).run(config.get("max_frames"))
