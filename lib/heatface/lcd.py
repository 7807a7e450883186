"""Adapters from micropython-st7789's drivers to heatface's display contract.

See :mod:`heatface.display` for the contract. Two drivers are supported:

- ``st7789`` — russhughes' C module (st7789_mpy). ``width()``/``height()`` are methods; call
  ``init()`` once after construction (the adapter does it). It also drives the Wio Terminal's
  ILI9341 through a ``custom_init`` command list and ``rotations`` table, see
  :data:`ILI9341_INIT` and :data:`ILI9341_ROTATIONS`.
- ``st7789py`` — the pure-Python driver (st7789py_mpy). ``width``/``height`` are attributes.

Both take big-endian RGB565 in ``blit_buffer`` and an RGB565 int in ``fill_rect``.
"""

# ILI9341 power-up sequence for st7789_mpy's custom_init: (command + data bytes, optional delay ms).
# Values are the ILI9341 datasheet's recommended settings for a 320x240 panel.
ILI9341_INIT = (
    (b"\x01", 150),  # SWRESET
    (b"\x11", 255),  # SLPOUT
    (b"\xcb\x39\x2c\x00\x34\x02",),  # power control A
    (b"\xcf\x00\xc1\x30",),  # power control B
    (b"\xe8\x85\x00\x78",),  # driver timing control A
    (b"\xea\x00\x00",),  # driver timing control B
    (b"\xed\x64\x03\x12\x81",),  # power-on sequence control
    (b"\xf7\x20",),  # pump ratio
    (b"\xc0\x23",),  # power control 1: GVDD 4.6 V
    (b"\xc1\x10",),  # power control 2
    (b"\xc5\x3e\x28",),  # VCOM control 1
    (b"\xc7\x86",),  # VCOM control 2
    (b"\x3a\x55",),  # COLMOD: 16 bit/pixel
    (b"\xb1\x00\x18",),  # frame rate 79 Hz
    (b"\xb6\x08\x82\x27",),  # display function control
    (b"\x26\x01",),  # gamma curve 1
    (b"\x29", 100),  # DISPON
)

# (MADCTL, width, height, x offset, y offset) for rotations 0..3; rotation 1 is the Wio's landscape.
ILI9341_ROTATIONS = (
    (0x48, 240, 320, 0, 0),
    (0x28, 320, 240, 0, 0),
    (0x88, 240, 320, 0, 0),
    (0xE8, 320, 240, 0, 0),
)


class ST7789Display:
    """Display contract over either micropython-st7789 driver object, already constructed.

    The C module has ``width()``/``height()`` methods and needs ``init()``; st7789py has plain
    ``width``/``height`` attributes and initialises in its constructor.
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

    def blit(self, buf, x, y, w, h):
        self._tft.blit_buffer(buf, x, y, w, h)

    def fill_rect(self, x, y, w, h, color):
        self._tft.fill_rect(x, y, w, h, color)

    def backlight(self, on):
        if self._backlight is not None:
            self._backlight.value(1 if on else 0)
