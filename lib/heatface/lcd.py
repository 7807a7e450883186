"""Adapters from micropython-st7789's drivers to heatface's display contract, and the ILI9341
set-up the Wio Terminal needs from either driver.

See :mod:`heatface.display` for the contract. Two drivers are supported, both checked against
their source (../shared/third_party, see firmware/README.md):

- ``st7789py`` (st7789py_mpy lib/st7789py.py, pure Python; what ``make deploy`` installs).
  ``width``/``height`` are attributes; the constructor resets and initialises the panel (its init
  list twice). ``custom_init`` is a sequence of ``(command, data or None, delay_ms)`` triples and
  ``custom_rotations`` of ``(madctl, width, height, xstart, ystart, needs_swap)`` tuples, whatever
  its docstring says. ``rotation()`` ORs MADCTL.BGR in when ``color_order`` is BGR (the default)
  and clears it otherwise. ``blit_buffer`` sends ``len(buffer)`` bytes, all of them.
- ``st7789`` (st7789_mpy, a C module). ``width()``/``height()`` are methods; ``init()`` must be
  called after construction (the adapter does it). ``custom_init`` is a sequence of
  ``(command + data bytes, delay_ms)`` tuples, ``rotations`` of 5-tuples without ``needs_swap``;
  MADCTL is ``color_order | madctl``. ``blit_buffer`` sends at most ``2*w*h`` bytes.

Both take big-endian RGB565 in ``blit_buffer`` and an RGB565 int in ``fill_rect``.
"""

# ILI9341 power-up sequence for the Wio Terminal's panel, as (command, data, delay_ms): the values
# of st7789_mpy's examples/configs/wio_terminal/tft_config.py (the ILI9341 datasheet's recommended
# settings, 3-gamma off, its positive and negative gamma tables). Sleep-out needs 120 ms.
ILI9341_INIT = (
    (b"\x01", None, 150),  # SWRESET
    (b"\x11", None, 255),  # SLPOUT
    (b"\xcb", b"\x39\x2c\x00\x34\x02", 0),  # power control A
    (b"\xcf", b"\x00\xc1\x30", 0),  # power control B
    (b"\xe8", b"\x85\x00\x78", 0),  # driver timing control A
    (b"\xea", b"\x00\x00", 0),  # driver timing control B
    (b"\xed", b"\x64\x03\x12\x81", 0),  # power-on sequence control
    (b"\xf7", b"\x20", 0),  # pump ratio
    (b"\xc0", b"\x23", 0),  # power control 1: GVDD 4.6 V
    (b"\xc1", b"\x10", 0),  # power control 2
    (b"\xc5", b"\x3e\x28", 0),  # VCOM control 1
    (b"\xc7", b"\x86", 0),  # VCOM control 2
    (b"\x3a", b"\x55", 0),  # COLMOD: 16 bit/pixel
    (b"\xb1", b"\x00\x18", 0),  # frame rate 79 Hz
    (b"\xb6", b"\x08\x82\x27", 0),  # display function control
    (b"\xf2", b"\x00", 0),  # 3-gamma function off
    (b"\x26", b"\x01", 0),  # gamma curve 1
    (b"\xe0", b"\x0f\x31\x2b\x0c\x0e\x08\x4e\xf1\x37\x07\x10\x03\x0e\x09\x00", 0),  # gamma +
    (b"\xe1", b"\x00\x0e\x14\x03\x11\x07\x31\xc1\x48\x08\x0f\x0c\x31\x36\x0f", 0),  # gamma -
    (b"\x29", None, 100),  # DISPON
)

# (MADCTL without the colour-order bit, width, height, x offset, y offset) for rotations 0..3:
# st7789_mpy's Wio table (0x48, 0x28, 0x88, 0xE8 with BGR included). Which one is upright is a
# board fact: see heatface.boards.wio_terminal.
MADCTL_BGR = 0x08
ILI9341_ROTATIONS = (
    (0x40, 240, 320, 0, 0),
    (0x20, 320, 240, 0, 0),
    (0x80, 240, 320, 0, 0),
    (0xE0, 320, 240, 0, 0),
)


def c_driver_init(init):
    """``init`` triples in st7789_mpy's ``custom_init`` form: (command + data, delay_ms)."""
    return [(cmd + (data or b""), delay) for cmd, data, delay in init]


def py_driver_rotations(rotations):
    """``rotations`` in st7789py's ``custom_rotations`` form (needs_swap False: the adapter
    already sends big-endian pixels)."""
    return [r + (False,) for r in rotations]


class ST7789Display:
    """Display contract over either micropython-st7789 driver object, already constructed.

    ``blit`` hands the driver exactly ``2*w*h`` bytes (st7789py sends the whole buffer it gets;
    heatface's strip buffers are often longer than the strip), as a memoryview slice of the
    caller's buffer: no pixel copy.
    """

    def __init__(self, tft, backlight_pin=None):
        self._tft = tft
        if callable(getattr(tft, "width", None)):
            tft.init()
            self.width = tft.width()
            self.height = tft.height()
        else:
            self.width = tft.width
            self.height = tft.height
        self._backlight = backlight_pin
        self._src = None
        self._view = None

    def blit(self, buf, x, y, w, h):
        n = 2 * w * h
        if len(buf) != n:
            if len(buf) < n:
                raise ValueError("blit of %dx%d needs %d bytes, got %d" % (w, h, n, len(buf)))
            if buf is not self._src:
                self._src = buf
                self._view = memoryview(buf)
            buf = self._view[:n]
        self._tft.blit_buffer(buf, x, y, w, h)

    def fill_rect(self, x, y, w, h, color):
        self._tft.fill_rect(x, y, w, h, color)

    def backlight(self, on):
        if self._backlight is not None:
            self._backlight.value(1 if on else 0)
