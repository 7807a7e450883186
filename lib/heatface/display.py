"""The display contract every LCD adapter implements, and nothing else the app relies on.

A display object has:

- ``width``, ``height``: the panel size in pixels after rotation (plain int attributes).
- ``blit(buf, x, y, w, h)``: draw ``w*h`` pixels of big-endian RGB565 from ``buf`` (a bytes-like
  object of at least ``2*w*h`` bytes, row-major) at ``x, y``.
- ``fill_rect(x, y, w, h, color)``: fill a rectangle with one RGB565 colour (an int).
- ``backlight(on)``: switch the backlight (a no-op where the board cannot).

The app draws only through these; the adapters in ``heatface.lcd`` wrap micropython-st7789's
drivers, and the simulator's LCD records what it is given.
"""


def rgb565(r, g, b):
    """Pack an 8-bit-per-channel colour into an RGB565 int."""
    return ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)


BLACK = 0x0000
WHITE = 0xFFFF
