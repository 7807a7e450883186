"""What every handheld thermal camera has: hottest/coldest markers, degC/degF, mirror and flip,
freeze frame and a temperature alarm. :class:`Camera` is used by the app loop.

Config keys (all optional): ``units`` ("C" or "F": what the screen shows; settings stay in degC),
``mirror`` / ``flip`` (bool: left-right / upside-down on the LCD, e.g. mirror for selfie use),
``markers`` (bool), ``alarm_c`` (degC threshold, null = off; when any pixel is
hotter the image border flashes red, the status line says so and the board's buzzer beeps),
``alarm_ms`` (flash half-period, 250). The 5-way switch's DOWN freezes and unfreezes the picture;
so does a long press of A, B or C in live and infer modes (:class:`heatface.modes.LiveMode`).

Mirror and flip change only what the LCD shows (the frame is re-ordered into a second 768-float
array): captures, inference, the PC stream and recordings keep the sensor's own orientation.
While frozen the LCD keeps the frozen picture; the modes keep working on live frames.
"""

import sys
from array import array

import micropython

from heatface.compat import ticks_ms
from heatface.overlay import expand_text, format_temp, to_unit

COLS = 32
ROWS = 24
PIXELS = 768
HOT_COLOR = 0xFFFF
COLD_COLOR = 0x07FF
OUTLINE = 0x0000
ALARM_COLOR = 0xF800
BORDER = 3
_MICROPYTHON = sys.implementation.name == "micropython"
LABEL_CHARS = 5


def _ptr(buf):
    """``buf`` as viper's ptr32 sees it (CPython runs the viper source as Python: give it a view)."""
    return buf if _MICROPYTHON else memoryview(buf).cast("B").cast("I")


@micropython.viper
def _hot_cold_viper(src: ptr32, n: int, res: ptr32):
    # float32 bits -> an int with the same order (sign and magnitude), no float maths
    hot = 0
    cold = 0
    khot = 0
    kcold = 0
    i = 0
    while i < n:
        b = src[i]
        e = (b >> 23) & 0x1FF
        k = ((e & 0xFF) << 23) | (b & 0x7FFFFF)
        if e >> 8:
            k = 0 - k
        if i == 0 or k > khot:
            khot = k
            hot = i
        if i == 0 or k < kcold:
            kcold = k
            cold = i
        i += 1
    res[0] = hot
    res[1] = cold


def _hot_cold_plain(src, n, res):
    hot = cold = 0
    for i in range(1, n):
        t = src[i]
        if t > src[hot]:
            hot = i
        if t < src[cold]:
            cold = i
    res[0] = hot
    res[1] = cold


@micropython.viper
def _orient_viper(src: ptr32, dst: ptr32, mirror: int, flip: int):
    r = 0
    while r < 24:
        sr = 23 - r if flip else r
        c = 0
        while c < 32:
            sc = 31 - c if mirror else c
            dst[r * 32 + c] = src[sr * 32 + sc]
            c += 1
        r += 1


def _orient_plain(src, dst, mirror, flip):
    for r in range(ROWS):
        sr = ROWS - 1 - r if flip else r
        for c in range(COLS):
            dst[r * COLS + c] = src[sr * COLS + (COLS - 1 - c if mirror else c)]


class Camera:
    """The conveniences above for one app; ``viper`` defaults to "on MicroPython"."""

    def __init__(self, board, config, viper=None):
        self.viper = _MICROPYTHON if viper is None else viper
        self.unit = "F" if config.get("units") == "F" else "C"
        self.mirror = bool(config.get("mirror", False))
        self.flip = bool(config.get("flip", False))
        self.markers = bool(config.get("markers", False))
        self.warning = None  # a bad setting, for the status line (the app keeps running)
        alarm = config.get("alarm_c")
        if alarm is not None and (isinstance(alarm, bool) or not isinstance(alarm, (int, float))):
            self.warning = "config: alarm_c = %r is not a temperature; alarm off" % (alarm,)
            print("heatface:", self.warning)
            alarm = None
        self.alarm_c = None if alarm is None else float(alarm)
        alarm_ms = config.get("alarm_ms", 250)
        self.alarm_ms = alarm_ms if isinstance(alarm_ms, int) and alarm_ms > 0 else 250
        self.frozen = False
        self.alarm_on = False  # some pixel above alarm_c in the last frame
        self.hot = self.cold = 0  # pixel indices in the shown frame
        self.t_hot = self.t_cold = 0.0
        get = getattr(board, "buzzer", None)
        self.buzzer = get() if get is not None else None
        self._buzzing = False
        self._res = array("i", [0, 0])
        self._view = None  # the oriented / frozen frame, allocated when first needed
        self._held = False
        self._label = None  # (mono, framebuf, rgb565 strip) for the marker labels

    # -- input and the frame ---------------------------------------------------------------

    def on_button(self, kind, name):
        """True when the camera used the event (DOWN: freeze / unfreeze)."""
        if kind == "press" and name == "DOWN":
            self.toggle_freeze()
            return True
        return False

    def toggle_freeze(self):
        """Freeze the picture the LCD shows, or unfreeze it."""
        self.frozen = not self.frozen
        self._held = False

    def shown(self, temps):
        """The frame the LCD shows: ``temps`` itself, its mirrored/flipped copy, or the frozen one."""
        if self.frozen and self._held:
            return self._view
        if not (self.mirror or self.flip or self.frozen):
            return temps
        view = self._view
        if view is None:
            view = self._view = array("f", bytes(4 * PIXELS))
        if self.viper:
            _orient_viper(_ptr(temps), _ptr(view), self.mirror, self.flip)
        else:
            _orient_plain(temps, view, self.mirror, self.flip)
        self._held = self.frozen
        return view

    def measure(self, shown):
        """Find the hottest and coldest pixels of ``shown``; update the alarm state."""
        res = self._res
        if self.viper:
            _hot_cold_viper(_ptr(shown), PIXELS, _ptr(res))
        else:
            _hot_cold_plain(shown, PIXELS, res)
        self.hot, self.cold = res[0], res[1]
        self.t_hot, self.t_cold = shown[self.hot], shown[self.cold]
        self.alarm_on = self.alarm_c is not None and self.t_hot > self.alarm_c

    # -- drawing ---------------------------------------------------------------------------

    def draw(self, renderer, now=None):
        """Markers, and the flashing alarm border, over the image just drawn; drives the buzzer."""
        flash = False
        if self.alarm_on:
            now = ticks_ms() if now is None else now
            flash = (now // self.alarm_ms) % 2 == 0
        self._buzz(flash)
        display = renderer.display
        x0, y0, s = renderer.x, renderer.y, renderer.scale
        w, h = renderer.width, renderer.height
        if self.markers:
            for p, t, color in ((self.cold, self.t_cold, COLD_COLOR), (self.hot, self.t_hot, HOT_COLOR)):
                cx = x0 + (p % COLS) * s + s // 2
                cy = y0 + (p // COLS) * s + s // 2
                _cross(display, cx, cy, color, x0, y0, w, h)
                self._draw_label(renderer, to_unit(t, self.unit), cx, cy)
        if flash:
            display.fill_rect(x0, y0, w, BORDER, ALARM_COLOR)
            display.fill_rect(x0, y0 + h - BORDER, w, BORDER, ALARM_COLOR)
            display.fill_rect(x0, y0, BORDER, h, ALARM_COLOR)
            display.fill_rect(x0 + w - BORDER, y0, BORDER, h, ALARM_COLOR)

    def annotate(self, info):
        """Add the unit, FROZEN and the alarm to the overlay's ``info`` dict."""
        info["unit"] = self.unit
        if self.frozen:
            info["mode"] = "FROZEN " + (info.get("mode") or "")
        if self.alarm_on:
            info["status"] = "ALARM %.1f%s > %.1f%s" % (to_unit(self.t_hot, self.unit), self.unit,
                                                      to_unit(self.alarm_c, self.unit), self.unit)

    def _buzz(self, on):
        if self.buzzer is not None and on != self._buzzing:
            self._buzzing = on
            if on:
                self.buzzer.on()
            else:
                self.buzzer.off()

    def _draw_label(self, renderer, t, cx, cy):
        import framebuf

        if self._label is None:
            mono = bytearray(LABEL_CHARS * 8)
            self._label = (mono, framebuf.FrameBuffer(mono, LABEL_CHARS * 8, 8, framebuf.MONO_HLSB),
                           bytearray(2 * 8 * 8 * LABEL_CHARS))
        mono, fb, out = self._label
        s = format_temp(t, LABEL_CHARS)
        wpx = 8 * len(s)
        fb.fill(0)
        fb.text(s, 0, 0, 1)
        expand_text(mono, LABEL_CHARS, out, wpx, HOT_COLOR, OUTLINE)
        x0, y0, w, h = renderer.x, renderer.y, renderer.width, renderer.height
        x = cx + 6 if cx + 6 + wpx <= x0 + w else cx - 6 - wpx
        y = cy - 14 if cy - 14 >= y0 else cy + 6
        x = max(x0, min(x, x0 + w - wpx))
        y = max(y0, min(y, y0 + h - 8))
        renderer.display.blit(out, x, y, wpx, 8)


def _cross(display, cx, cy, color, x0, y0, w, h):
    # a 7-pixel cross with a 1-pixel dark outline, clipped to the image
    for dx, dy, ww, hh, c in ((-4, -1, 9, 3, OUTLINE), (-1, -4, 3, 9, OUTLINE),
                              (-3, 0, 7, 1, color), (0, -3, 1, 7, color)):
        x, y = max(cx + dx, x0), max(cy + dy, y0)
        x1, y1 = min(cx + dx + ww, x0 + w), min(cy + dy + hh, y0 + h)
        if x1 > x and y1 > y:
            display.fill_rect(x, y, x1 - x, y1 - y, c)
