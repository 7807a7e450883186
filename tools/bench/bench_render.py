# runtime: micropython
"""Render time per frame (draw_frame at 320x240: 288x216 image) for the viper and plain paths.

The display's blit is a no-op, so this measures only the renderer's own work (index pass,
bilinear upscale, palette lookup, strip handling). Prints BENCH render_ms_viper,
render_ms_plain, render_speedup_viper, plus the index pass alone (render_index_ms_viper) and the
overlay's text update (overlay_ms_viper) for reference. Each figure is the best of 5 batches.
"""

import gc
import sys

sys.path[:0] = ["lib", "tools", "tests"]

from array import array  # noqa: E402

from heatface.compat import ticks_diff, ticks_us  # noqa: E402
from heatface.render import Renderer  # noqa: E402


class NoopDisplay:
    width = 320
    height = 240

    def blit(self, buf, x, y, w, h):
        pass

    def fill_rect(self, x, y, w, h, color):
        pass


def frame():
    temps = array("f", bytes(4 * 768))
    for r in range(24):
        for c in range(32):
            temps[r * 32 + c] = 22.0 + 0.45 * c + 0.3 * r + (6.0 if 10 <= c < 20 and 6 <= r < 18 else 0.0)
    return temps


def time_ms(fn, n, batches=5):
    """Best of ``batches`` batches of ``n`` calls, ms per call (the host is shared: take the min)."""
    fn()  # warm-up
    best = None
    for _ in range(batches):
        gc.collect()
        t0 = ticks_us()
        for _ in range(n):
            fn()
        ms = ticks_diff(ticks_us(), t0) / 1000.0 / n
        best = ms if best is None or ms < best else best
    return best


def main():
    temps = frame()
    results = {}
    for name, n in (("viper", 40), ("plain", 3)):
        r = Renderer(NoopDisplay(), kernels=name)
        results[name] = time_ms(lambda: r.draw_frame(temps, 25.0, 40.0), n)
        if name == "viper":
            idx_ms = time_ms(lambda: r.compute_indices(temps, 25.0, 40.0), 200)
            info = {"lo": 25.0, "hi": 40.0, "spot": 30.0, "fps": 10.0, "mode": "auto", "status": "ok"}
            r.draw_overlay(info)

            def overlay():
                info["spot"] += 0.1  # a changed string: one text row redrawn
                r.draw_overlay(info)

            ov_ms = time_ms(overlay, 40)
        del r
        gc.collect()
    print("BENCH render_ms_viper %.3f" % results["viper"])
    print("BENCH render_ms_plain %.3f" % results["plain"])
    print("BENCH render_speedup_viper %.2f" % (results["plain"] / results["viper"]))
    print("BENCH render_index_ms_viper %.3f" % idx_ms)
    print("BENCH overlay_ms_viper %.3f" % ov_ms)


main()
