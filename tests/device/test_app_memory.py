"""The live-view loop on a SAMD51-sized heap: 1,000 frames, no MemoryError, no heap growth.

Under the unix port the app's code sits in the same 160 KB heap as its data (a board keeps it in
flash), so this board is as light as it can be: the real driver reads Melexis' recorded example
frames from a tiny replay bus, and the display only counts what it is sent.
"""

import gc

import micropython

from fakes_display import NullDisplay
from heatface.app import App
from heatface.config import DEFAULTS
from heatface.modes import LiveMode
from mptest import IS_MICROPYTHON, data_path, skip


@micropython.viper
def _copy_bytes(dst: ptr8, src: ptr8, offset: int, n: int):
    for i in range(n):
        dst[i] = src[offset + i]


class ReplayBus:
    """machine.I2C-shaped: the example part's EEPROM and its two recorded subpages, alternating."""

    def __init__(self):
        with open(data_path("mlx90640_example.bin"), "rb") as f:
            self.mem = f.read(1664 + 2 * 1668)  # EEPROM, then frame0 and frame1 (834 words each)
        self.subpage = 1

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=16):
        if memaddr == 0x8000:  # status: new data ready, the other subpage than last time
            self.subpage ^= 1
            buf[0], buf[1] = 0, 0x08 | self.subpage
            return
        if memaddr == 0x800D:  # control register, as recorded with frame 0
            start, n = 1664 + 2 * 832, 2
        elif memaddr >= 0x2400:  # EEPROM
            start, n = 0, 1664
        else:  # RAM of the current subpage's recorded frame
            start, n = 1664 + self.subpage * 1668 + 2 * (memaddr - 0x0400), 1664
        _copy_bytes(buf, self.mem, start, n)

    def writeto_mem(self, addr, memaddr, buf, addrsize=16):
        pass


class LightBoard:
    name = "memory-test"

    def __init__(self):
        self.lcd = NullDisplay()
        self._now = 0

    def clock(self):
        # virtual time (a 16 Hz sensor's subpage period per call) so what is shown on screen,
        # fps included, settles: any change in heap use is then the app's, not the text's
        self._now += 31
        return self._now

    def sensor_bus(self):
        return ReplayBus()

    def display(self):
        return self.lcd

    def buttons(self):
        return {}


def test_heap_does_not_grow_over_1000_frames():
    if not IS_MICROPYTHON:
        skip("heap use is measured on the MicroPython runtime")
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0})
    gc.collect()  # the imports' garbage, as after a board's boot
    app = App(LightBoard(), config, modes=[LiveMode()])
    app.run(max_frames=50)  # warm-up: every code path has run once
    samples = [0] * 10  # allocated before the baseline, so measuring adds nothing
    gc.collect()
    before = gc.mem_alloc()
    for i in range(10):
        app.run(max_frames=150 + 100 * i)
        gc.collect()
        samples[i] = gc.mem_alloc() - before
    assert app.frames == 1050
    assert max(samples) <= 0, "heap use after warm-up grew: %r bytes" % samples
