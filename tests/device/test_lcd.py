"""The st7789 adapters speak the display contract for both micropython-st7789 drivers."""

from heatface.lcd import ILI9341_ROTATIONS, ST7789Display


class _Recorder:
    def __init__(self):
        self.calls = []

    def blit_buffer(self, buf, x, y, w, h):
        self.calls.append(("blit", bytes(buf), x, y, w, h))

    def fill_rect(self, x, y, w, h, color):
        self.calls.append(("fill", x, y, w, h, color))


class FakeCModule(_Recorder):
    """Shaped like st7789_mpy's C driver: width()/height() methods, init() required."""

    def __init__(self):
        super().__init__()
        self.initialised = False

    def init(self):
        self.initialised = True

    def width(self):
        return 320

    def height(self):
        return 240


class FakePyDriver(_Recorder):
    """Shaped like st7789py: width/height attributes."""

    width = 240
    height = 135


class FakePin:
    def __init__(self):
        self.level = None

    def value(self, v=None):
        if v is not None:
            self.level = v
        return self.level


def test_c_module_is_initialised_and_sized():
    tft = FakeCModule()
    disp = ST7789Display(tft)
    assert tft.initialised
    assert (disp.width, disp.height) == (320, 240)


def test_py_driver_sized_from_attributes():
    disp = ST7789Display(FakePyDriver())
    assert (disp.width, disp.height) == (240, 135)


def test_blit_and_fill_pass_through_unchanged():
    tft = FakePyDriver()
    disp = ST7789Display(tft)
    disp.blit(b"\x12\x34\x56\x78", 3, 4, 2, 1)
    disp.fill_rect(0, 1, 2, 3, 0xF800)
    assert tft.calls == [("blit", b"\x12\x34\x56\x78", 3, 4, 2, 1), ("fill", 0, 1, 2, 3, 0xF800)]


def test_backlight_drives_pin():
    pin = FakePin()
    disp = ST7789Display(FakeCModule(), backlight_pin=pin)
    disp.backlight(False)
    assert pin.level == 0
    disp.backlight(True)
    assert pin.level == 1
    ST7789Display(FakePyDriver()).backlight(True)  # no pin: a no-op, not an error


def test_wio_landscape_rotation_is_320x240():
    assert ILI9341_ROTATIONS[1][1:3] == (320, 240)


def test_blit_hands_the_driver_exactly_the_window():
    """st7789py sends every byte it is given: a strip buffer longer than the strip must be cut."""
    tft = FakePyDriver()
    disp = ST7789Display(tft)
    strip = bytearray(b"\x12\x34\x56\x78\xaa\xbb\xcc\xdd")
    disp.blit(strip, 3, 4, 2, 1)
    disp.blit(strip, 0, 0, 1, 1)
    assert tft.calls == [("blit", b"\x12\x34\x56\x78", 3, 4, 2, 1), ("blit", b"\x12\x34", 0, 0, 1, 1)]
    try:
        disp.blit(strip, 0, 0, 3, 2)
    except ValueError:
        pass
    else:
        raise AssertionError("a buffer shorter than the window must be refused")


def test_wio_rotation_tables_for_both_drivers():
    from heatface.lcd import MADCTL_BGR, c_driver_init, py_driver_rotations, ILI9341_INIT

    assert py_driver_rotations(ILI9341_ROTATIONS)[3] == (0xE0, 320, 240, 0, 0, False)
    assert ILI9341_ROTATIONS[3][0] | MADCTL_BGR == 0xE8
    assert c_driver_init(ILI9341_INIT)[0] == (b"\x01", 150)
    assert c_driver_init(ILI9341_INIT)[2] == (b"\xcb\x39\x2c\x00\x34\x02", 0)
