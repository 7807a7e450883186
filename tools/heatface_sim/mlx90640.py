"""A register-level simulated MLX90640 behind the machine.I2C interface (host only, never deployed).

Runs under CPython and the MicroPython unix port. Built from any EEPROM image (832 words), it
keeps the sensor's memory map — EEPROM 0x2400.., RAM 0x0400.., status 0x8000, control 0x800D —
and, for each measured subpage, synthesizes the raw RAM words a real part would produce for a
scene (768 object temperatures + ambient): the inverse of the datasheet's To calculation,
including the Ta (PTAT/Vbe), Vdd, gain and compensation-pixel words, written here from the
datasheet and independent of the driver's code. The control register (refresh rate, ADC
resolution, chess/interleaved pattern) is honoured in the data produced.

Timing without sleeping: with ``auto_ready`` (default) a new subpage is measured on the
``polls_per_subpage``-th status read since the last RAM read or measurement; ``tick(ms)``
advances a virtual clock by ``ms`` and measures when a subpage period (1 / refresh rate) has
passed, or at once when ``ms`` is None.

Faults: ``present = False`` (NACK: ``OSError(ENODEV)``), ``fail_next(n)`` (``OSError(EIO)`` on
the next n transfers), ``bad_reads = n`` (the next n RAM reads contain 0x7FFF words),
``stuck = True`` (data-ready never set), ``break_pixel(p)`` (broken or outlier pixel in the
EEPROM and garbage in its raw data), ``corrupt_eeprom(kind)``.

``I2CDeviceAdapter`` is a stand-in for ``adafruit_bus_device.i2c_device.I2CDevice`` over the same
bus, so the Adafruit CircuitPython driver can run against the simulator.
"""

import errno as _errno
import math
import struct
import sys
from array import array

import micropython

_IS_MICROPYTHON = sys.implementation.name == "micropython"
ENODEV = _errno.ENODEV
EIO = _errno.EIO
KELVIN = 273.15
_RATES = (0.5, 1, 2, 4, 8, 16, 32, 64)


def _s(value, bits):
    """Signed value of the low ``bits`` bits."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _field(word, shift, bits, signed=True):
    v = (word >> shift) & ((1 << bits) - 1)
    return _s(v, bits) if signed else v


class _Params:
    """Calibration decoded from the EEPROM (datasheet section 11.1), for the forward model."""

    def __init__(self, ee):
        w = ee
        self.kvdd = _field(w[51], 8, 8) * 32
        self.vdd25 = (_field(w[51], 0, 8, False) - 256) * 32 - 8192
        self.kv_ptat = _field(w[50], 10, 6) / 4096.0
        self.kt_ptat = _field(w[50], 0, 10) / 8.0
        self.vptat25 = w[49]
        self.alpha_ptat = _field(w[16], 12, 4, False) / 4.0 + 8.0
        self.gain_ee = _s(w[48], 16)
        self.tgc = _field(w[60], 0, 8) / 32.0
        self.ks_ta = _field(w[60], 8, 8) / 8192.0
        self.res_ee = _field(w[56], 12, 2, False)
        self.cal_chess = not (w[10] & 0x0800)
        step = _field(w[63], 12, 2, False) * 10
        ct3 = _field(w[63], 4, 4, False) * step
        self.ct = (-40.0, 0.0, float(ct3), float(ct3 + _field(w[63], 8, 4, False) * step))
        div = float(2 ** (_field(w[63], 0, 4, False) + 8))
        self.ks_to = (_field(w[61], 0, 8) / div, _field(w[61], 8, 8) / div,
                      _field(w[62], 0, 8) / div, _field(w[62], 8, 8) / div)
        a_exp = _field(w[32], 12, 4, False)
        cpa0 = _field(w[57], 0, 10) / 2.0 ** (a_exp + 27)
        self.cp_alpha = (cpa0, cpa0 * (1.0 + _field(w[57], 10, 6) / 128.0))
        cpo0 = _field(w[58], 0, 10)
        self.cp_offset = (cpo0, cpo0 + _field(w[58], 10, 6))
        kta_exp1 = _field(w[56], 4, 4, False) + 8
        kta_exp2 = _field(w[56], 0, 4, False)
        kv_exp = _field(w[56], 8, 4, False)
        self.cp_kta = _field(w[59], 0, 8) / 2.0 ** kta_exp1
        self.cp_kv = _field(w[59], 8, 8) / 2.0 ** kv_exp
        self.il_chess = (_field(w[53], 0, 6) / 16.0, _field(w[53], 6, 5) / 2.0,
                         _field(w[53], 11, 5) / 8.0)
        # per pixel: row/column tables; the pixel's own bits are decoded when it is synthesized
        self.ee = ee
        self.occ_row = [_field(w[18 + i // 4], 4 * (i % 4), 4) for i in range(24)]
        self.occ_col = [_field(w[24 + j // 4], 4 * (j % 4), 4) for j in range(32)]
        self.acc_row = [_field(w[34 + i // 4], 4 * (i % 4), 4) for i in range(24)]
        self.acc_col = [_field(w[40 + j // 4], 4 * (j % 4), 4) for j in range(32)]
        self.occ_scales = (2 ** _field(w[16], 8, 4, False), 2 ** _field(w[16], 4, 4, False),
                           2 ** _field(w[16], 0, 4, False))
        self.acc_scales = (2 ** _field(w[32], 8, 4, False), 2 ** _field(w[32], 4, 4, False),
                           2 ** _field(w[32], 0, 4, False))
        self.off_ref = _s(w[17], 16)
        self.alpha_ref = w[33]
        self.alpha_div = 2.0 ** (a_exp + 30)
        self.cp_corr = self.tgc * (self.cp_alpha[0] + self.cp_alpha[1]) / 2.0
        # kta/kv per (row parity, column parity) in the datasheet's 1-based naming:
        # RoCo = row 1, 3, ... (index even) & column index even; ReCe = both index odd.
        self.kta_rc = ((_field(w[54], 8, 8), _field(w[55], 8, 8)), (_field(w[54], 0, 8), _field(w[55], 0, 8)))
        self.kv_rc = ((_field(w[52], 12, 4), _field(w[52], 4, 4)), (_field(w[52], 8, 4), _field(w[52], 0, 4)))
        self.kta_div = 2.0 ** kta_exp1
        self.kta_mul = 2 ** kta_exp2
        self.kv_div = 2.0 ** kv_exp

    def pixel(self, p):
        """(offset, alpha, kta, kv) of pixel ``p``."""
        i, j = p // 32, p % 32
        word = self.ee[64 + p]
        offset = (self.off_ref + self.occ_row[i] * self.occ_scales[0] + self.occ_col[j] * self.occ_scales[1]
                  + _field(word, 10, 6) * self.occ_scales[2])
        alpha = (self.alpha_ref + self.acc_row[i] * self.acc_scales[0] + self.acc_col[j] * self.acc_scales[1]
                 + _field(word, 4, 6) * self.acc_scales[2]) / self.alpha_div - self.cp_corr
        kta = (self.kta_rc[i % 2][j % 2] + _field(word, 1, 3) * self.kta_mul) / self.kta_div
        kv = self.kv_rc[i % 2][j % 2] / self.kv_div
        return offset, alpha, kta, kv


def _subpage_of(p, chess):
    row_parity = (p // 32) % 2
    return (row_parity + p % 2) % 2 if chess else row_parity


if _IS_MICROPYTHON:
    @micropython.viper
    def _copy_into(dst: ptr8, src: ptr8, n: int):
        for i in range(n):
            dst[i] = src[i]
else:
    def _copy_into(dst, src, n):
        memoryview(dst).cast("B")[:n] = src[:n]


def _nbytes(buf):
    if isinstance(buf, (bytearray, bytes)) or not len(buf):
        return len(buf)
    # MicroPython's memoryview has no itemsize: measure one element (no copy of the buffer)
    return len(buf) * len(bytes(memoryview(buf)[:1]))


class SimulatedMLX90640:
    """The simulated sensor; pass it wherever a machine.I2C is expected.

    ``eeprom``: 832 words (any sequence of ints). The scene defaults to 30 degC everywhere at an
    ambient of 25 degC; ``emissivity`` (0.95) and ``reflected_temperature`` (None = Ta - 8) are
    what the sensor "assumes" when it synthesizes raw words — set them to match the driver's.
    """

    def __init__(self, eeprom, address=0x33):
        if len(eeprom) != 832:
            raise ValueError("an MLX90640 EEPROM image has 832 words")
        self.address = address
        # long-lived buffers first, in one go, so set-up garbage does not fragment them
        self.eeprom = array("H", bytes(1664))
        for i in range(832):
            self.eeprom[i] = eeprom[i]
        self.ram = bytearray(2 * 832)
        self.control = self.eeprom[12]
        self.status = 0x0001  # last measured subpage 1, so the first one measured is 0
        self.emissivity = 0.95
        self.reflected_temperature = None
        self.vdd = 3.3
        self.gain_drift = 0.987  # raw gain word relative to the calibration gain
        self.cp_signal = (-2.0, -1.5)  # compensated compensation-pixel signal per subpage
        self.scene = None  # None: 30 degC everywhere
        self.ambient = 25.0
        # timing and faults
        self.auto_ready = True
        self.polls_per_subpage = 1
        self.present = True
        self.stuck = False
        self.bad_reads = 0
        self.broken_pixels = []
        self.subpages_measured = 0
        self._fail = 0
        self._polls = 0
        self._clock_ms = 0.0
        self._word = bytearray(2)
        self.state = None
        self._player = None
        self._params = _Params(self.eeprom)

    # -- scene and time ------------------------------------------------------------------

    def set_scene(self, temps, ambient):
        """Object temperatures (768, degC, row-major) and ambient (degC) for the next subpages.

        ``temps`` is kept by reference (no copy, no allocation): the sensor reads it at each
        measurement, so a caller may also update it in place frame after frame."""
        if len(temps) != 768:
            raise ValueError("a scene has 768 temperatures")
        self.scene = temps
        self.ambient = ambient

    def load_ram(self, words, subpage, control=None):
        """Replay a recorded subpage: RAM words (the first 832 of ``words``), the subpage number
        in the status register with new data ready, and optionally the control register."""
        for i in range(832):
            struct.pack_into(">H", self.ram, 2 * i, words[i])
        if control is not None:
            self.control = control
        self.status = (self.status & 0x0030) | 0x0008 | subpage
        self._polls = 0

    def play(self, subpages):
        """Replay a recording (tools/heatface_sim/recording.py): ``subpages`` yields
        ``(ticks_ms, ram, status, control)`` with ``ram`` the 1664 bytes the board read. Each is
        loaded, byte for byte, when the driver next polls for new data; after the last one the
        sensor reports no new data (``played_out`` becomes True)."""
        self._player = iter(subpages)
        self.played_out = False
        self.last_ticks = 0  # the board's ticks_ms when it read the subpage loaded last

    def _load_recorded(self):
        try:
            self.last_ticks, ram, status, control = next(self._player)
        except StopIteration:
            self.played_out = True
            self.stuck = True
            return
        _copy_into(self.ram, ram, 1664)
        self.control = control
        self.status = status
        self.subpages_measured += 1
        self._polls = 0

    def refresh_rate(self):
        """The subpage rate (Hz) the control register selects."""
        return _RATES[(self.control >> 7) & 7]

    def tick(self, ms=None):
        """Advance the virtual clock by ``ms``; measure a subpage once a period has passed
        (``ms=None``: measure now). Returns True when new data became ready."""
        if ms is not None:
            self._clock_ms += ms
            period = 1000.0 / self.refresh_rate()
            if self._clock_ms < period:
                return False
            self._clock_ms %= period
        return self._measure()

    # -- faults --------------------------------------------------------------------------

    def fail_next(self, n, errno=EIO):
        """Make the next ``n`` I2C transfers raise ``OSError(errno)``."""
        self._fail = n
        self._fail_errno = errno

    def break_pixel(self, p, outlier=False):
        """Mark pixel ``p`` broken (EEPROM word 0) or an outlier (bit 0 set) and make its raw
        output garbage."""
        if outlier:
            self.eeprom[64 + p] |= 1
        else:
            self.eeprom[64 + p] = 0
        self.broken_pixels.append(p)
        self._params = _Params(self.eeprom)

    def corrupt_eeprom(self, kind):
        """``"blank"`` (all 0xFFFF), ``"device"`` (device-select bit set: not an MLX90640) or
        ``"gain"`` (zero gain calibration)."""
        if kind == "blank":
            for i in range(832):
                self.eeprom[i] = 0xFFFF
        elif kind == "device":
            self.eeprom[10] |= 0x0040
        elif kind == "gain":
            self.eeprom[48] = 0
        else:
            raise ValueError("unknown EEPROM corruption %r" % kind)

    # -- the I2C interface ----------------------------------------------------------------

    def _transfer(self, addr, addrsize):
        if addrsize != 16:
            raise ValueError("the MLX90640 uses 16-bit register addresses (addrsize=16)")
        if addr != self.address or not self.present:
            raise OSError(ENODEV)
        if self._fail:
            self._fail -= 1
            raise OSError(self._fail_errno)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        """machine.I2C.readfrom_mem_into: big-endian words from ``memaddr`` into ``buf``."""
        self._transfer(addr, addrsize)
        n = _nbytes(buf)
        if 0x2400 <= memaddr and memaddr + n // 2 <= 0x2740:
            src = bytearray(n)
            base = memaddr - 0x2400
            for i in range(n // 2):
                struct.pack_into(">H", src, 2 * i, self.eeprom[base + i])
        elif 0x0400 <= memaddr and memaddr + n // 2 <= 0x0740:
            start = 2 * (memaddr - 0x0400)
            if self.bad_reads:
                self.bad_reads -= 1
                src = self.ram[start:start + n]
                self._spoil(src, start)
            else:
                src = memoryview(self.ram)[start:start + n]
            self._polls = 0
        elif 0x8000 <= memaddr and memaddr + n // 2 <= 0x8017:
            src = bytearray(n)
            for i in range(n // 2):
                struct.pack_into(">H", src, 2 * i, self._register(memaddr + i))
        else:
            raise OSError(EIO)
        _copy_into(buf, src, n)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        """machine.I2C.writeto_mem: one big-endian word to the status or control register."""
        self._transfer(addr, addrsize)
        value = (buf[0] << 8) | buf[1]
        if memaddr == 0x8000:
            self.status = (self.status & 0x0007) | (value & 0x0038)
        elif memaddr == 0x800D:
            self.control = value
        elif 0x2400 <= memaddr < 0x2740:
            raise OSError(EIO)  # EEPROM writes need the erase/write sequence; not modelled

    def _register(self, reg):
        if reg == 0x800D:
            return self.control
        if reg == 0x8000:
            if self._player is not None and not self.status & 0x0008 and not self.stuck:
                self._load_recorded()
            elif self.auto_ready and not self.status & 0x0008 and not self.stuck:
                self._polls += 1
                if self._polls >= self.polls_per_subpage:
                    self._measure()
            return self.status
        return 0

    def _spoil(self, data, start):
        # 0x7FFF in the first pixel the last subpage measured, and in the Vdd word
        chess = bool(self.control & 0x1000)
        sp = self.status & 1
        for p in range(768):
            if _subpage_of(p, chess) == sp:
                if 2 * p >= start and 2 * p + 2 <= start + len(data):
                    data[2 * p - start] = 0x7F
                    data[2 * p - start + 1] = 0xFF
                break

    # -- the physics, inverted ---------------------------------------------------------------

    def _measure(self):
        if self.stuck:
            return False
        sp = 1 - (self.status & 1)
        state = self._frame_state(sp)
        chess = bool(self.control & 0x1000)
        words = self.ram
        scene = self.scene
        for p in range(768):
            if _subpage_of(p, chess) != sp:
                continue
            if p in self.broken_pixels:
                raw = -20000
            else:
                to = 30.0 if scene is None else scene[p]
                raw = int(math.floor(self._raw_float(p, to, state) + 0.5))
            struct.pack_into(">h", words, 2 * p, min(max(raw, -32768), 32766))
        for index, value in state["aux"]:
            struct.pack_into(">h", words, 2 * index, value)
        self.status = (self.status & 0x0030) | 0x0008 | sp
        self.state = state
        self.subpages_measured += 1
        self._polls = 0
        return True

    def _frame_state(self, sp):
        """Auxiliary words for this subpage and the conditions they encode (after rounding)."""
        prm = self._params
        res_ram = (self.control >> 10) & 3
        res_corr = 2.0 ** prm.res_ee / 2.0 ** res_ram
        vdd_word = int(math.floor(((self.vdd - 3.3) * prm.kvdd + prm.vdd25) / res_corr + 0.5))
        dv = (res_corr * vdd_word - prm.vdd25) / prm.kvdd
        ptat = 1700
        ptat_art = ((self.ambient - 25.0) * prm.kt_ptat + prm.vptat25) * (1.0 + prm.kv_ptat * dv)
        vbe = int(math.floor(ptat * 262144.0 / ptat_art - ptat * prm.alpha_ptat + 0.5))
        art = ptat / (ptat * prm.alpha_ptat + vbe) * 262144.0
        ta = (art / (1.0 + prm.kv_ptat * dv) - prm.vptat25) / prm.kt_ptat + 25.0
        dta = ta - 25.0
        gain_word = int(math.floor(prm.gain_ee * 2.0 ** (res_ram - prm.res_ee) * self.gain_drift + 0.5))
        gain = prm.gain_ee / gain_word
        mismatch = bool(self.control & 0x1000) != prm.cal_chess
        cp_words = []
        cp_comp = []
        for s in (0, 1):
            off = prm.cp_offset[s] + (prm.il_chess[0] if (s == 1 and mismatch) else 0.0)
            off *= (1.0 + prm.cp_kta * dta) * (1.0 + prm.cp_kv * dv)
            word = int(math.floor((self.cp_signal[s] + off) / gain + 0.5))
            cp_words.append(word)
            cp_comp.append(word * gain - off)
        tr = ta - 8.0 if self.reflected_temperature is None else self.reflected_temperature
        e = self.emissivity
        tatr = (tr + KELVIN) ** 4 - ((tr + KELVIN) ** 4 - (ta + KELVIN) ** 4) / e
        aux = ((768, vbe), (776, cp_words[0]), (778, gain_word), (800, ptat), (808, cp_words[1]),
               (810, vdd_word))
        return {"ta": ta, "dv": dv, "dta": dta, "gain": gain, "cp": cp_comp[sp], "tatr": tatr,
                "mismatch": mismatch, "aux": aux, "subpage": sp}

    def _raw_float(self, p, to, state):
        """The unrounded raw pixel word that makes the datasheet model read ``to`` (degC)."""
        prm = self._params
        ct = prm.ct
        r = 0 if to < ct[1] else (1 if to < ct[2] else (2 if to < ct[3] else 3))
        ks = prm.ks_to
        corr = 1.0
        if r == 0:
            corr = 1.0 / (1.0 + ks[0] * (ct[1] - ct[0]))
        elif r >= 2:
            corr = 1.0 + ks[1] * (ct[2] - ct[1])
            if r == 3:
                corr *= 1.0 + ks[2] * (ct[3] - ct[2])
        offset, alpha, kta, kv = prm.pixel(p)
        alpha_comp = alpha * (1.0 + prm.ks_ta * state["dta"])
        signal = ((to + KELVIN) ** 4 - state["tatr"]) * alpha_comp * corr * (1.0 + ks[r] * (to - ct[r]))
        v = signal * self.emissivity + prm.tgc * state["cp"]
        if state["mismatch"]:
            row_odd = (p // 32) % 2
            conv = (0, -1, 0, 1)[p % 4] * (1 - 2 * row_odd)
            v -= prm.il_chess[2] * (2 * row_odd - 1) - prm.il_chess[1] * conv
        v += offset * (1.0 + kta * state["dta"]) * (1.0 + kv * state["dv"])
        return v / state["gain"]

    def counts_per_degree(self, p, to):
        """Raw counts per degC of pixel ``p`` at object temperature ``to`` under the conditions of
        the last measured subpage (so half a count, in degC, is 0.5 / this)."""
        h = 0.01
        return (self._raw_float(p, to + h, self.state) - self._raw_float(p, to - h, self.state)) / (2 * h)


class I2CDeviceAdapter:
    """Stand-in for ``adafruit_bus_device.i2c_device.I2CDevice`` over a machine.I2C-like bus
    with 16-bit register addresses (the simulator): what the Adafruit MLX90640 driver uses."""

    def __init__(self, i2c, device_address, probe=True):
        self.i2c = i2c
        self.device_address = device_address

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, buf, start=0, end=None):
        end = len(buf) if end is None else end
        self.i2c.writeto_mem(self.device_address, (buf[start] << 8) | buf[start + 1],
                             bytes(buf[start + 2:end]), addrsize=16)

    def write_then_readinto(self, out_buffer, in_buffer, out_start=0, out_end=None,
                            in_start=0, in_end=None):
        in_end = len(in_buffer) if in_end is None else in_end
        reg = (out_buffer[out_start] << 8) | out_buffer[out_start + 1]
        tmp = bytearray(in_end - in_start)
        self.i2c.readfrom_mem_into(self.device_address, reg, tmp, addrsize=16)
        in_buffer[in_start:in_end] = tmp
