"""A model of russhughes' st7789_mpy C module (st7789/st7789.c at f629308), for the calls heatface
makes: the constructor, ``init()``, ``width()``/``height()``, ``blit_buffer`` and ``fill_rect``.

It writes to the SPI bus and pins it is given the bytes the C code writes, in the same order:

- constructor: keyword arguments as st7789.c's ``allowed_args``; ``rotations`` must be 5-tuples
  (``mp_obj_tuple_get``: lists raise); no bus traffic.
- ``init()``: hard reset (CS low, RESET high/low/high, CS high); without ``custom_init`` SWRESET,
  SLPOUT, COLMOD 0x55, INVON or INVOFF (``inversion``), NORON, DISPON; with ``custom_init`` each
  entry's first bytes object is command + data (``inversion`` is NOT applied); then MADCTL =
  ``color_order | rotations[rotation].madctl`` and a black ``fill_rect`` of the whole screen.
- ``set_window``: nothing at all unless ``x0 <= x1 < width`` and ``y0 <= y1 < height``;
  CASET/RASET carry colstart/rowstart; then RAMWR.
- ``blit_buffer``: sends ``min(len(buf), 2*w*h)`` bytes in 256-byte chunks with DC high: a longer
  buffer is clamped, a window set_window rejected still gets the data (after the last command).
- ``fill_rect``: clips right/bottom to ``width``/``height`` (not ``width - 1``: st7789.c's
  off-by-one), skips when x or y is outside, sends ``w*h`` pixels (the unclipped count).
"""

RGB = 0x00
BGR = 0x08

# st7789.c's default tables, { madctl, width, height, colstart, rowstart }, for the sizes used here.
_DEFAULT_ROTATIONS = {
    (240, 320): ((0x00, 240, 320, 0, 0), (0x60, 320, 240, 0, 0), (0xC0, 240, 320, 0, 0),
                 (0xA0, 320, 240, 0, 0)),
    (135, 240): ((0x00, 135, 240, 52, 40), (0x60, 240, 135, 40, 53), (0xC0, 135, 240, 53, 40),
                 (0xA0, 240, 135, 40, 52)),
}


class ST7789:
    def __init__(self, spi, width, height, reset=None, dc=None, cs=None, backlight=None,
                 rotations=None, rotation=0, custom_init=None, color_order=RGB, inversion=True,
                 options=0, buffer_size=0):
        self._spi = spi
        self._display = (width, height)
        self._width = width
        self._height = height
        self._rotations = None
        n = 4
        if rotations is not None:
            for r in rotations:
                if not isinstance(r, tuple):
                    raise TypeError("expected a tuple")
                if len(r) != 5:
                    raise ValueError("rotations tuple must have 5 elements")
            self._rotations = tuple(rotations)
            n = len(rotations)
        self._n_rotations = n
        self._rotation = rotation % n
        self._custom_init = custom_init
        self._color_order = color_order
        self._inversion = bool(inversion)
        if dc is None:
            raise ValueError("must specify dc pin")
        self._reset = reset
        self._dc = dc
        self._cs = cs
        self._backlight = backlight
        self._colstart = 0
        self._rowstart = 0

    # -- the bus, as st7789.c's macros -------------------------------------------------------
    def _pin(self, pin, level):
        if pin is not None:
            pin.value(level)

    def _write_cmd(self, cmd, data=b""):
        self._pin(self._cs, 0)
        if cmd:
            self._dc.value(0)
            self._spi.write(bytes([cmd]))
        if data:
            self._dc.value(1)
            self._spi.write(data)
        self._pin(self._cs, 1)

    def _set_window(self, x0, y0, x1, y1):
        x0 &= 0xFFFF
        y0 &= 0xFFFF
        x1 &= 0xFFFF
        y1 &= 0xFFFF  # uint16_t parameters
        if x0 > x1 or x1 >= self._width or y0 > y1 or y1 >= self._height:
            return
        xs, xe = x0 + self._colstart, x1 + self._colstart
        ys, ye = y0 + self._rowstart, y1 + self._rowstart
        self._write_cmd(0x2A, bytes([xs >> 8, xs & 0xFF, xe >> 8, xe & 0xFF]))
        self._write_cmd(0x2B, bytes([ys >> 8, ys & 0xFF, ye >> 8, ye & 0xFF]))
        self._write_cmd(0x2C)

    # -- the API -------------------------------------------------------------------------------
    def init(self):
        self._pin(self._cs, 0)
        self._pin(self._reset, 1)
        self._pin(self._reset, 0)
        self._pin(self._reset, 1)
        self._pin(self._cs, 1)
        if self._custom_init is None:
            self._write_cmd(0x01)
            self._write_cmd(0x11)
            self._write_cmd(0x3A, b"\x55")
            self._write_cmd(0x21 if self._inversion else 0x20)
            self._write_cmd(0x13)
            self._write_cmd(0x29)
        else:
            for entry in self._custom_init:
                data = bytes(entry[0])
                self._write_cmd(data[0], data[1:])
        self._set_rotation()
        self.fill_rect(0, 0, self._width, self._height, 0)
        self._pin(self._backlight, 1)

    def _set_rotation(self):
        rotations = self._rotations or _DEFAULT_ROTATIONS.get(self._display)
        madctl = self._color_order
        if rotations:
            r = rotations[self._rotation]
            madctl |= r[0]
            self._width, self._height, self._colstart, self._rowstart = r[1], r[2], r[3], r[4]
        self._write_cmd(0x36, bytes([madctl & 0xFF]))

    def width(self):
        return self._width

    def height(self):
        return self._height

    def blit_buffer(self, buf, x, y, w, h):
        mv = memoryview(buf)
        self._set_window(x, y, x + w - 1, y + h - 1)
        self._dc.value(1)
        self._pin(self._cs, 0)
        limit = min(len(mv), w * h * 2)
        for i in range(0, limit, 256):
            self._spi.write(mv[i:min(i + 256, limit)])
        self._pin(self._cs, 1)

    def fill_rect(self, x, y, w, h, color):
        right = (x + w - 1) & 0xFFFF
        bottom = (y + h - 1) & 0xFFFF
        if x < self._width and y < self._height:
            right = min(right, self._width)
            bottom = min(bottom, self._height)
            self._set_window(x, y, right, bottom)
            self._dc.value(1)
            self._pin(self._cs, 0)
            n = w * h
            pixel = bytes([(color >> 8) & 0xFF, color & 0xFF])
            chunk = pixel * 128
            while n > 0:
                k = min(n, 128)
                self._spi.write(chunk if k == 128 else pixel * k)
                n -= k
            self._pin(self._cs, 1)
