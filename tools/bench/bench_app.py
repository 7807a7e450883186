# runtime: micropython heapsize=1M
"""The whole app loop on the simulated board: frames/s in live and infer mode.

The simulated sensor synthesizes raw words for every subpage (work a real board does not do),
so the figure is the simulator's loop rate on this host, not a board's; the ratio of infer to
live mode shows what classification costs per frame.
"""

import sys

sys.path[:0] = ["lib", "tools"]

from heatface.app import App  # noqa: E402
from heatface.compat import ticks_diff, ticks_us  # noqa: E402
from heatface.config import DEFAULTS  # noqa: E402
from heatface_sim.board import Board  # noqa: E402


def loop_fps(mode, frames=200):
    config = dict(DEFAULTS)
    config.update({"start_mode": mode, "sim_lcd_record": False, "print_predictions": False})
    app = App(Board(config), config)
    app.run(max_frames=20)  # warm-up
    start = ticks_us()
    app.run(max_frames=20 + frames)
    return frames * 1e6 / ticks_diff(ticks_us(), start)


live = loop_fps("live")
infer = loop_fps("infer")
print("BENCH app_loop_fps_live_sim %.1f" % live)
print("BENCH app_loop_fps_infer_sim %.1f" % infer)
print("BENCH app_infer_cost_ratio %.2f" % (live / infer))
