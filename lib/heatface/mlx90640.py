"""Melexis MLX90640 32x24 thermal sensor over I2C (MicroPython and CPython).

Usage::

    from array import array
    from heatface.mlx90640 import MLX90640
    cam = MLX90640(i2c)                 # machine.I2C-like: readfrom_mem_into / writeto_mem
    cam.refresh_rate = 16               # Hz (subpages per second), 0.5 .. 64
    temps = array("f", bytes(4 * 768))  # degC, row-major 24 x 32, index = row * 32 + col
    cam.read_frame(temps)               # both subpages; or cam.read_subpage(temps) for one

Start-up reads and checks the 832-word EEPROM, extracts the calibration (datasheet section 11)
and folds it into a few per-pixel constants, so a subpage costs one short loop per pixel. The
per-pixel maths follows the datasheet (ExtractParameters / CalculateTo, extended temperature
ranges included); broken and outlier pixels listed in the EEPROM are interpolated from their
same-subpage neighbours. The per-pixel work runs in the native kernel (:mod:`heatface.native`,
C, on firmware that loads it: a Wio Terminal's Cortex-M4F), else vectorized through ``ulab.numpy``
when it imports, else in a pure MicroPython loop (``@micropython.native``), the portable reference
the other two are tested against. ``compute="native"``, ``"ulab"`` or ``"python"`` forces one.

Errors (all subclasses of :class:`MLX90640Error`):

- :class:`DeviceNotFoundError`: nothing answers at the address when the driver starts.
- :class:`EEPROMError`: the calibration EEPROM is blank, not an MLX90640's, or lists bad pixels
  that cannot be corrected (more than four, or two touching).
- :class:`BusError`: an I2C transfer kept failing after ``retries`` further attempts.
- :class:`FrameError`: the sensor kept returning invalid data (0x7FFF words) after retries.
- :class:`DataReadyTimeout`: no new subpage within ``timeout_ms`` (default: two subpage periods
  plus 100 ms at the current refresh rate).

The driver assumes a little-endian MCU (every MicroPython board heatface targets is).
"""

import math
from array import array

import micropython
from micropython import const

from heatface.compat import sleep_ms, ticks_diff, ticks_ms
from heatface.native import pixels as _native
from heatface.mlx90640_eeprom import Calibration, EEPROMError, MLX90640Error  # noqa: F401

try:
    import ulab as _ulab
except ImportError:
    _ulab = None

_ADDRESS = const(0x33)
_REG_STATUS = const(0x8000)
_REG_CONTROL = const(0x800D)
_EEPROM_START = const(0x2400)
_RAM_START = const(0x0400)
_WORDS = const(832)  # EEPROM words, and RAM words read per subpage (768 pixels + 64 aux)
_PIXELS = const(768)
_STATUS_NEW_DATA = const(0x0008)
_STATUS_SUBPAGE = const(0x0001)
_STATUS_CLEAR = const(0x0030)  # clears "new data", keeps overwrite enabled and measurement on
_CTRL_RATE_SHIFT = const(7)
_CTRL_RATE_MASK = const(0x0380)
_CTRL_RES_SHIFT = const(10)
_CTRL_RES_MASK = const(0x0C00)
_CTRL_CHESS = const(0x1000)
_BAD_WORD = const(0x7FFF)
# RAM word indices of the auxiliary data (offsets from 0x0400)
_AUX_TA_VBE = const(768)
_AUX_CP_SP0 = const(776)
_AUX_GAIN = const(778)
_AUX_TA_PTAT = const(800)
_AUX_CP_SP1 = const(808)
_AUX_VDD = const(810)

_KELVIN = 273.15
RATES = (0.5, 1, 2, 4, 8, 16, 32, 64)
# the object temperatures the sensor measures (datasheet), widened by its accuracy out there:
# a pixel outside comes from a fault (bus, calibration), not from a scene
TO_MIN = -50.0
TO_MAX = 310.0


class DeviceNotFoundError(MLX90640Error):
    """No device acknowledged at the I2C address when the driver started."""


class BusError(MLX90640Error):
    """An I2C transfer failed and kept failing after the configured retries."""


class FrameError(MLX90640Error):
    """The sensor returned invalid data (0x7FFF words) on every retry."""


class DataReadyTimeout(MLX90640Error):
    """No new subpage became ready in time."""


def _subpage_indices(chess, subpage, out):
    """Fill ``out`` (``array('H')`` of 384) with the pixel indices a subpage measures in chess or
    interleaved mode."""
    n = 0
    for p in range(_PIXELS):
        pattern = (p >> 5) & 1
        if chess:
            pattern ^= p & 1
        if pattern == subpage:
            out[n] = p
            n += 1
    return out


def _neighbours(p, chess):
    """Same-subpage neighbours used to interpolate bad pixel ``p``: diagonals in chess mode,
    left and right in interleaved mode (those are measured in the same subpage)."""
    row, col = p >> 5, p & 31
    steps = ((-1, -1), (-1, 1), (1, -1), (1, 1)) if chess else ((0, -1), (0, 1))
    out = []
    for dr, dc in steps:
        r, c = row + dr, col + dc
        if 0 <= r < 24 and 0 <= c < 32:
            out.append(r * 32 + c)
    return tuple(out)


@micropython.viper
def _swap16(buf: ptr8, nbytes: int):
    i = 0
    while i < nbytes:
        a = buf[i]
        buf[i] = buf[i + 1]
        buf[i + 1] = a
        i += 2


@micropython.viper
def _count_bad(words: ptr16, idx: ptr16, n: int) -> int:
    bad = 0
    for i in range(n):
        if words[idx[i]] == 0x7FFF:
            bad += 1
    return bad


def _big_endian_to_native(words):
    """In-place byte swap of an ``array('h')`` read from the bus (big-endian words)."""
    if hasattr(words, "byteswap"):  # CPython
        words.byteswap()
    else:
        _swap16(words, 2 * len(words))


@micropython.native
def _to_python(words, idx, out, P, O, K, g, dta, kvf, c, IL, tatr, rng):
    """To (degC) of the pixels in ``idx`` into ``out``: the pure MicroPython path.

    Per pixel: x = V_IR / (emissivity * alpha_compensated) from the raw word, then the
    datasheet's To iteration written in Kelvin (see MLX90640._frame_constants)."""
    sqrt = math.sqrt
    a1 = rng[2]
    k1 = rng[3]
    lo = rng[8]
    hi = rng[9]
    for p in idx:
        x = words[p] * g - (O[p] + K[p] * dta) * kvf[((p >> 4) & 2) | (p & 1)] + c
        if IL is not None:
            x += IL[((p >> 3) & 4) | (p & 3)]
        x *= P[p]
        t = x + tatr
        if t <= 0.0:
            out[p] = -_KELVIN
            continue
        t = x / (a1 + k1 * sqrt(sqrt(t))) + tatr
        if t <= 0.0:
            out[p] = -_KELVIN
            continue
        t1 = sqrt(sqrt(t))
        if lo <= t1 < hi:
            t = x / (a1 + k1 * t1) + tatr
        else:
            r = 0 if t1 < lo else (2 if t1 < rng[10] else 3)
            t = x / (rng[2 * r] + rng[2 * r + 1] * t1) + tatr
        if t <= 0.0:
            out[p] = -_KELVIN
        else:
            out[p] = sqrt(sqrt(t)) - _KELVIN


class MLX90640:
    """One MLX90640 on an I2C bus.

    ``i2c`` needs ``readfrom_mem_into(addr, mem, buf, addrsize=16)`` and
    ``writeto_mem(addr, mem, buf, addrsize=16)`` (machine.I2C, or the simulated sensor).
    ``compute`` is ``None`` (the fastest available), ``"native"``, ``"ulab"`` or ``"python"``.
    ``timeout_ms`` bounds the wait for a subpage (None: derived from the refresh rate);
    ``retries`` is how many times a failed transfer or an invalid read is repeated.
    Raises :class:`DeviceNotFoundError` or :class:`EEPROMError` (see the module docstring).
    """

    def __init__(self, i2c, address=_ADDRESS, compute=None, timeout_ms=None, retries=3):
        self._i2c = i2c
        self.address = address
        self.retries = retries
        self.timeout_ms = timeout_ms
        if compute is None:
            compute = "native" if _native is not None else ("ulab" if _ulab is not None else "python")
        if compute == "ulab" and _ulab is None:
            raise ValueError("compute='ulab' needs the ulab module")
        if compute == "native" and _native is None:
            raise ValueError("compute='native' needs the heatface_pixels native module for this firmware")
        if compute not in ("native", "ulab", "python"):
            raise ValueError("compute must be None, 'native', 'ulab' or 'python'")
        self.compute = compute
        self._word = bytearray(2)
        try:
            self._control = self._read_word(_REG_CONTROL)
        except BusError as exc:
            raise DeviceNotFoundError("no MLX90640 answers at I2C address 0x%02X (%s): check "
                                      "wiring, power and the address" % (address, exc.args[0]))
        # long-lived buffers first, in one go, so start-up garbage does not fragment them
        z4, z2, z1 = bytes(4 * _PIXELS), bytes(2 * _WORDS), bytes(768)
        self._ram = array("h", z2)
        per_pixel = (array("f", z4), array("f", z4), array("f", z4))
        self._idx = (array("H", z1), array("H", z1))
        ee = array("H", z2)
        z4 = z2 = z1 = None
        self._read_into(_EEPROM_START, ee)
        _big_endian_to_native(ee)
        cal = Calibration(ee, *per_pixel)
        ee = None
        self._precompute(cal)
        self.emissivity = 0.95
        self.reflected_temperature = None
        self.ta = 0.0
        self.vdd = 0.0
        self._mode_changed()

    # -- set-up ------------------------------------------------------------------------------

    def _precompute(self, cal):
        """Fold the calibration into per-pixel constants used by every subpage."""
        self.kVdd, self.vdd25 = cal.kVdd, cal.vdd25
        self.KvPTAT, self.KtPTAT, self.vPTAT25 = cal.KvPTAT, cal.KtPTAT, cal.vPTAT25
        self.alphaPTAT, self.gainEE, self.tgc, self.KsTa = cal.alphaPTAT, cal.gainEE, cal.tgc, cal.KsTa
        self.resolutionEE = cal.resolutionEE
        self._cal_chess = cal.calibrationModeEE != 0
        self.cpOffset, self.cpKta, self.cpKv = cal.cpOffset, cal.cpKta, cal.cpKv
        self.ilChessC, self.kv4 = cal.ilChessC, cal.kv4
        self.bad_pixels = tuple(cal.broken + cal.outliers)
        ks, ct = cal.ksTo, cal.ct
        # To range r: x / (corr[r] * (1 + ks[r] * (To - ct[r]))) == x / (ra[r] + rb[r] * T_kelvin)
        corr = (1 / (1 + ks[0] * 40), 1.0, 1 + ks[1] * ct[2], (1 + ks[1] * ct[2]) * (1 + ks[2] * (ct[3] - ct[2])))
        rng = []
        for r in range(4):
            rng.append(corr[r] * (1 - ks[r] * (_KELVIN + ct[r])))
            rng.append(corr[r] * ks[r])
        rng += [ct[1] + _KELVIN, ct[2] + _KELVIN, ct[3] + _KELVIN]
        self._rng = tuple(rng)
        P = cal.alpha  # reused in place: becomes 1 / alpha
        K = cal.kta  # becomes offset * kta
        O = cal.offset
        for p in range(_PIXELS):
            P[p] = 1 / P[p] if P[p] > 0 else 0.0
            K[p] = O[p] * K[p]
        self._P, self._O, self._K = P, O, K
        if self.compute == "ulab":
            from heatface.mlx90640_ulab import UlabTo

            self._ulab = UlabTo(P, O, K, cal.kv4, self._ram)

    def _mode_changed(self):
        """Recompute what depends on chess/interleaved mode (subpage pixel sets, corrections)."""
        chess = self.chess_mode
        _subpage_indices(chess, 0, self._idx[0])
        _subpage_indices(chess, 1, self._idx[1])
        self._bad_nb = tuple((p, _neighbours(p, chess)) for p in self.bad_pixels)
        self._IL = None
        if chess != self._cal_chess:
            # interleaved-vs-chess correction: depends on row parity and column mod 4 only
            _, c1, c2 = self.ilChessC
            il = []
            for row_odd in (0, 1):
                for col4 in range(4):
                    conversion = (0, -1, 0, 1)[col4] * (1 - 2 * row_odd)
                    il.append(c2 * (2 * row_odd - 1) - c1 * conversion)
            self._IL = tuple(il)
        if self.compute == "ulab":
            self._ulab.set_mode(self._idx, self._IL)

    # -- bus ---------------------------------------------------------------------------------

    def _retried(self, transfer, mem, buf, what):
        """One I2C transfer (``readfrom_mem_into`` or ``writeto_mem``), repeated on OSError;
        BusError after ``retries`` repeats. ``what`` describes it, e.g. "read of 0x%04X from"."""
        err = None
        for _ in range(self.retries + 1):
            try:
                transfer(self.address, mem, buf, addrsize=16)
                return
            except OSError as exc:
                err = exc
        raise BusError(("I2C " + what + " the MLX90640 at 0x%02X failed %d times (%r)")
                       % (mem, self.address, self.retries + 1, err))

    def _read_into(self, mem, buf):
        self._retried(self._i2c.readfrom_mem_into, mem, buf, "read of 0x%04X from")

    def _read_word(self, mem):
        b = self._word
        self._read_into(mem, b)
        return (b[0] << 8) | b[1]

    def _write_word(self, mem, value):
        b = self._word
        b[0] = value >> 8
        b[1] = value & 0xFF
        self._retried(self._i2c.writeto_mem, mem, b, "write of 0x%04X to")

    def _set_control(self, mask, value):
        self._control = (self._control & ~mask & 0xFFFF) | value
        self._write_word(_REG_CONTROL, self._control)

    # -- settings ----------------------------------------------------------------------------

    @property
    def refresh_rate(self):
        """Subpage refresh rate in Hz: one of 0.5, 1, 2, 4, 8, 16, 32, 64."""
        return RATES[(self._control & _CTRL_RATE_MASK) >> _CTRL_RATE_SHIFT]

    @refresh_rate.setter
    def refresh_rate(self, hz):
        for code in range(len(RATES)):
            if RATES[code] == hz:
                self._set_control(_CTRL_RATE_MASK, code << _CTRL_RATE_SHIFT)
                return
        raise ValueError("refresh_rate must be one of 0.5, 1, 2, 4, 8, 16, 32, 64 Hz")

    @property
    def resolution(self):
        """ADC resolution in bits: 16, 17, 18 or 19."""
        return 16 + ((self._control & _CTRL_RES_MASK) >> _CTRL_RES_SHIFT)

    @resolution.setter
    def resolution(self, bits):
        if bits not in (16, 17, 18, 19):
            raise ValueError("resolution must be 16, 17, 18 or 19 bits")
        self._set_control(_CTRL_RES_MASK, (bits - 16) << _CTRL_RES_SHIFT)

    @property
    def chess_mode(self):
        """True: chess-pattern subpages (the default); False: interleaved (alternate rows)."""
        return bool(self._control & _CTRL_CHESS)

    @chess_mode.setter
    def chess_mode(self, on):
        self._set_control(_CTRL_CHESS, _CTRL_CHESS if on else 0)
        self._mode_changed()

    @property
    def emissivity(self):
        """Object emissivity used for To, 0 < e <= 1 (default 0.95)."""
        return self._emissivity

    @emissivity.setter
    def emissivity(self, e):
        if not 0.0 < e <= 1.0:
            raise ValueError("emissivity must be in (0, 1]")
        self._emissivity = float(e)

    @property
    def reflected_temperature(self):
        """Reflected temperature Tr in degC, or None for Ta - 8 (the sensor in open air)."""
        return self._tr

    @reflected_temperature.setter
    def reflected_temperature(self, tr):
        self._tr = None if tr is None else float(tr)

    # -- reading -----------------------------------------------------------------------------

    def _timeout(self):
        if self.timeout_ms is not None:
            return self.timeout_ms
        return int(2000 / self.refresh_rate) + 100

    def data_ready(self):
        """True when the sensor has a subpage that has not been read yet."""
        return bool(self._read_word(_REG_STATUS) & _STATUS_NEW_DATA)

    def _wait_ready(self):
        timeout = self._timeout()
        pause = min(10, max(1, int(125 / self.refresh_rate)))
        start = ticks_ms()
        while True:
            status = self._read_word(_REG_STATUS)
            if status & _STATUS_NEW_DATA:
                return status
            if ticks_diff(ticks_ms(), start) > timeout:
                raise DataReadyTimeout("MLX90640 at 0x%02X had no new data within %d ms (refresh "
                                       "rate %s Hz)" % (self.address, timeout, self.refresh_rate))
            sleep_ms(pause)

    def read_subpage(self, temps):
        """Wait for the next subpage, read it and write its pixels' To (degC) into ``temps``.

        ``temps`` is a preallocated 768-element float array (``array('f')``); pixels of the other
        subpage are left as they were. Updates :attr:`ta` and :attr:`vdd`. Returns the subpage
        number (0 or 1). Raises DataReadyTimeout, BusError or FrameError.
        """
        words = self._ram
        for attempt in range(self.retries + 1):
            status = self._wait_ready()
            subpage = status & _STATUS_SUBPAGE
            self._write_word(_REG_STATUS, _STATUS_CLEAR)
            self._read_into(_RAM_START, words)
            _big_endian_to_native(words)
            if _count_bad(words, self._idx[subpage], 384) == 0 and not self._bad_aux(words):
                break
        else:
            raise FrameError("MLX90640 at 0x%02X returned invalid data (0x7FFF) %d times in a row"
                             % (self.address, self.retries + 1))
        stuck = self._stuck_aux(words)
        if stuck is not None:
            raise FrameError("MLX90640 at 0x%02X reads 0x%04X where its gain and temperature "
                             "words are: bus or sensor stuck (check wiring and power)"
                             % (self.address, stuck))
        self._compute(words, subpage, temps)
        return subpage

    def read_frame(self, temps, before_subpage=None):
        """Read subpages until both have been updated in ``temps`` (a full frame); returns it.

        ``before_subpage()``, if given, is called before each subpage is waited for: a frame
        takes two subpage periods, and an app can poll its buttons meanwhile."""
        seen = 0
        for _ in range(4):
            if before_subpage is not None:
                before_subpage()
            seen |= 1 << self.read_subpage(temps)
            if seen == 3:
                return temps
        raise FrameError("MLX90640 kept returning the same subpage; is step mode enabled?")

    @staticmethod
    def _stuck_aux(w):
        """0x0000 or 0xFFFF in the gain, PTAT or VBE word (never a real reading: all-zero or
        all-ones bus data would divide by zero or give hundreds of degrees); else None."""
        for i in (_AUX_GAIN, _AUX_TA_PTAT, _AUX_TA_VBE):
            if (w[i] & 0xFFFF) in (0, 0xFFFF):
                return w[i] & 0xFFFF
        return None

    @staticmethod
    def _bad_aux(w):
        return (w[_AUX_TA_VBE] == _BAD_WORD or w[_AUX_CP_SP0] == _BAD_WORD or w[_AUX_GAIN] == _BAD_WORD
                or w[_AUX_TA_PTAT] == _BAD_WORD or w[_AUX_CP_SP1] == _BAD_WORD
                or w[_AUX_VDD] == _BAD_WORD)

    # -- maths -------------------------------------------------------------------------------

    def _ta_vdd(self, w):
        """Supply voltage and ambient temperature from the auxiliary words (datasheet 11.2.2.2/3)."""
        res_ram = (self._control & _CTRL_RES_MASK) >> _CTRL_RES_SHIFT
        res_corr = (1 << self.resolutionEE) / (1 << res_ram)
        vdd = (res_corr * w[_AUX_VDD] - self.vdd25) / self.kVdd + 3.3
        ptat = w[_AUX_TA_PTAT]
        ptat_art = ptat / (ptat * self.alphaPTAT + w[_AUX_TA_VBE]) * 262144
        ta = (ptat_art / (1 + self.KvPTAT * (vdd - 3.3)) - self.vPTAT25) / self.KtPTAT + 25
        return ta, vdd

    def _compute(self, w, subpage, temps):
        ta, vdd = self._ta_vdd(w)
        self.ta, self.vdd = ta, vdd
        dta = ta - 25
        dv = vdd - 3.3
        gain = self.gainEE / w[_AUX_GAIN]
        # compensation pixel of this subpage (11.2.2.6)
        cp_off = self.cpOffset[subpage]
        if subpage == 1 and self._IL is not None:
            cp_off += self.ilChessC[0]
        cp = (w[_AUX_CP_SP1 if subpage else _AUX_CP_SP0] * gain
              - cp_off * (1 + self.cpKta * dta) * (1 + self.cpKv * dv))
        # m folds emissivity and the Ta dependence of alpha into the gain and offsets
        m = 1 / (self._emissivity * (1 + self.KsTa * dta))
        tr = ta - 8 if self._tr is None else self._tr
        tr4 = (tr + _KELVIN) ** 4
        tatr = tr4 - (tr4 - (ta + _KELVIN) ** 4) / self._emissivity
        kv4 = self.kv4
        kvf = (m * (1 + kv4[0] * dv), m * (1 + kv4[1] * dv), m * (1 + kv4[2] * dv), m * (1 + kv4[3] * dv))
        c = -self.tgc * cp * m
        idx = self._idx[subpage]
        if self.compute == "ulab":
            self._ulab.compute(subpage, idx, temps, gain * m, dta, dv, m, c, tatr, self._rng)
        else:
            il = self._IL
            if il is not None:
                il = (il[0] * m, il[1] * m, il[2] * m, il[3] * m, il[4] * m, il[5] * m, il[6] * m, il[7] * m)
            if self.compute == "native" and type(temps) is array:  # the kernel checks it is 'f'
                _native.to_subpage(w, idx, temps, self._P, self._O, self._K,
                                   (gain * m, dta, kvf[0], kvf[1], kvf[2], kvf[3], c, tatr), il, self._rng)
            else:
                _to_python(w, idx, temps, self._P, self._O, self._K, gain * m, dta, kvf, c, il, tatr,
                           self._rng)
        for p, nb in self._bad_nb:
            if _in(idx, p):
                s = 0.0
                for q in nb:
                    s += temps[q]
                temps[p] = s / len(nb)

def _in(idx, p):
    """True when pixel ``p`` is in the sorted index array ``idx``."""
    lo, hi = 0, len(idx)
    while lo < hi:
        mid = (lo + hi) >> 1
        if idx[mid] < p:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(idx) and idx[lo] == p
