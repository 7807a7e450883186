"""MLX90640 EEPROM decoding: every calibration parameter (datasheet section 11.1).

Split from :mod:`heatface.mlx90640` (which re-exports everything here) so that each module is
small to compile on a board; only used at start-up.
"""

from array import array

from micropython import const

_WORDS = const(832)
_PIXELS = const(768)


class MLX90640Error(Exception):
    """Base class of every error the MLX90640 driver raises."""



class EEPROMError(MLX90640Error):
    """The calibration EEPROM is unusable (blank, wrong device, uncorrectable bad pixels)."""



def _signed(value, bits):
    """Two's complement of the low ``bits`` of ``value``."""
    value &= (1 << bits) - 1
    if value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _nibbles(ee, first, count):
    """``count`` signed 4-bit values packed low-nibble-first in words ``ee[first:]``."""
    out = []
    for i in range(count):
        out.append(_signed(ee[first + (i >> 2)] >> (4 * (i & 3)), 4))
    return out


class Calibration:
    """Every calibration parameter of one sensor, extracted from its EEPROM words.

    Attribute names follow the Melexis API (``kVdd``, ``KsTa``, ``ksTo``, ``ct``, ...). Per pixel:
    ``alpha``, ``offset``, ``kta`` (``array('f')`` of 768) and ``kv4`` (kv for the four
    row/column parity classes: index ``2 * (row & 1) + (col & 1)``). ``broken`` and ``outliers``
    list the pixel indices the EEPROM marks. Raises :class:`EEPROMError` for unusable data.
    """

    def __init__(self, ee, alpha=None, offset=None, kta=None):
        # the three per-pixel arrays may be passed in, preallocated (keeps the heap unfragmented)
        self.alpha = alpha if alpha is not None else array("f", bytes(4 * _PIXELS))
        self.offset = offset if offset is not None else array("f", bytes(4 * _PIXELS))
        self.kta = kta if kta is not None else array("f", bytes(4 * _PIXELS))
        if len(ee) != _WORDS:
            raise EEPROMError("EEPROM image must have 832 words, got %d" % len(ee))
        first = ee[0]
        for w in ee:
            if w != first:
                break
        else:
            raise EEPROMError("EEPROM reads 0x%04X everywhere: blank or not an MLX90640" % first)
        if ee[10] & 0x0040:
            raise EEPROMError("EEPROM device-select bit says this is not an MLX90640")
        self._scalars(ee)
        self._check_ranges()
        self._pixels(ee)
        self._bad_pixels(ee)

    def _scalars(self, ee):
        self.kVdd = _signed(ee[51] >> 8, 8) * 32
        self.vdd25 = ((ee[51] & 0xFF) - 256) * 32 - 8192
        self.KvPTAT = _signed(ee[50] >> 10, 6) / 4096
        self.KtPTAT = _signed(ee[50], 10) / 8
        self.vPTAT25 = ee[49]
        self.alphaPTAT = (ee[16] >> 12) / 4 + 8
        self.gainEE = _signed(ee[48], 16)
        self.tgc = _signed(ee[60], 8) / 32
        self.KsTa = _signed(ee[60] >> 8, 8) / 8192
        self.resolutionEE = (ee[56] >> 12) & 3
        self.calibrationModeEE = ((ee[10] & 0x0800) >> 4) ^ 0x80
        # extended temperature ranges: corner temperatures and their KsTo
        step = ((ee[63] >> 12) & 3) * 10
        ct2 = ((ee[63] >> 4) & 0xF) * step
        self.ct = (-40, 0, ct2, ct2 + ((ee[63] >> 8) & 0xF) * step)
        scale = 1 << ((ee[63] & 0xF) + 8)
        self.ksTo = tuple(_signed(ee[61 + (i >> 1)] >> (8 * (i & 1)), 8) / scale for i in range(4))
        # compensation pixels
        alpha_scale = 1 << (((ee[32] >> 12) & 0xF) + 27)
        cp_alpha0 = _signed(ee[57], 10) / alpha_scale
        self.cpAlpha = (cp_alpha0, cp_alpha0 * (1 + _signed(ee[57] >> 10, 6) / 128))
        cp_off0 = _signed(ee[58], 10)
        self.cpOffset = (cp_off0, cp_off0 + _signed(ee[58] >> 10, 6))
        self.cpKta = _signed(ee[59], 8) / (1 << (((ee[56] >> 4) & 0xF) + 8))
        self.cpKv = _signed(ee[59] >> 8, 8) / (1 << ((ee[56] >> 8) & 0xF))
        # interleaved-vs-chess corrections
        self.ilChessC = (_signed(ee[53], 6) / 16, _signed(ee[53] >> 6, 5) / 2,
                         _signed(ee[53] >> 11, 5) / 8)
        if self.gainEE == 0 or self.kVdd == 0 or self.KtPTAT == 0:
            raise EEPROMError("EEPROM calibration is invalid (zero gain, kVdd or KtPTAT)")

    def _check_ranges(self):
        """The sensor has no EEPROM checksum: reject parameters no MLX90640 has (a corrupt
        calibration would give frames of hundreds of degrees). The limits are the fields'
        datasheet encodings narrowed to the physically possible sign and order of magnitude
        (Melexis' example part: kVdd -3200, KtPTAT 42.6, vPTAT25 12196, gain 5580)."""
        for name, value, lo, hi in (("kVdd", self.kVdd, -4096, -1024),
                                    ("KtPTAT", self.KtPTAT, 16, 64),
                                    ("vPTAT25", self.vPTAT25, 8000, 16384),
                                    ("gainEE", self.gainEE, 2048, 16384),
                                    ("cpAlpha", self.cpAlpha[0], 1e-10, 1e-6)):
            if not lo <= value <= hi:
                raise EEPROMError("EEPROM calibration is corrupt: %s = %r is outside %r..%r"
                                  % (name, value, lo, hi))

    def _pixels(self, ee):
        occ_rows = _nibbles(ee, 18, 24)
        occ_cols = _nibbles(ee, 24, 32)
        acc_rows = _nibbles(ee, 34, 24)
        acc_cols = _nibbles(ee, 40, 32)
        occ_rem = 1 << (ee[16] & 0xF)
        occ_col_shift = (ee[16] >> 4) & 0xF
        occ_row_shift = (ee[16] >> 8) & 0xF
        offset_ref = _signed(ee[17], 16)
        acc_rem = 1 << (ee[32] & 0xF)
        acc_col_shift = (ee[32] >> 4) & 0xF
        acc_row_shift = (ee[32] >> 8) & 0xF
        alpha_div = 1 << (((ee[32] >> 12) & 0xF) + 30)
        alpha_ref = ee[33]
        alpha_cp = self.tgc * (self.cpAlpha[0] + self.cpAlpha[1]) / 2
        # kta and kv per parity class: 0 = (even row, even col), 1 = (even, odd), 2, 3 = odd row
        kta_rc = (_signed(ee[54] >> 8, 8), _signed(ee[55] >> 8, 8),
                  _signed(ee[54], 8), _signed(ee[55], 8))
        kta_div = 1 << (((ee[56] >> 4) & 0xF) + 8)
        kta_mul = 1 << (ee[56] & 0xF)
        kv_div = 1 << ((ee[56] >> 8) & 0xF)
        self.kv4 = tuple(_signed(ee[52] >> s, 4) / kv_div for s in (12, 4, 8, 0))
        alpha, offset, kta = self.alpha, self.offset, self.kta
        for row in range(24):
            for col in range(32):
                p = row * 32 + col
                w = ee[64 + p]
                offset[p] = (offset_ref + (occ_rows[row] << occ_row_shift)
                             + (occ_cols[col] << occ_col_shift) + _signed(w >> 10, 6) * occ_rem)
                a = (alpha_ref + (acc_rows[row] << acc_row_shift)
                     + (acc_cols[col] << acc_col_shift) + _signed(w >> 4, 6) * acc_rem)
                alpha[p] = a / alpha_div - alpha_cp
                kta[p] = (kta_rc[2 * (row & 1) + (col & 1)] + _signed(w >> 1, 3) * kta_mul) / kta_div

    def _bad_pixels(self, ee):
        self.broken = [p for p in range(_PIXELS) if ee[64 + p] == 0]
        self.outliers = [p for p in range(_PIXELS) if ee[64 + p] & 1]
        bad = self.broken + self.outliers
        if len(bad) > 4:
            raise EEPROMError("EEPROM lists %d bad pixels; at most 4 can be corrected" % len(bad))
        for i in range(len(bad)):
            for j in range(i + 1, len(bad)):
                if _touching(bad[i], bad[j]):
                    raise EEPROMError("EEPROM lists touching bad pixels %d and %d; they cannot "
                                      "be interpolated" % (bad[i], bad[j]))
        for p in range(_PIXELS):
            if not 0 < self.alpha[p] < 1e-5 and p not in bad:
                raise EEPROMError("EEPROM gives pixel %d an impossible sensitivity (alpha %r)"
                                  % (p, self.alpha[p]))

    def kv(self, p):
        """kv of pixel ``p``."""
        return self.kv4[((p >> 4) & 2) | (p & 1)]


def _touching(p, q):
    """True when pixels ``p`` and ``q`` are neighbours (diagonals included)."""
    return abs((p >> 5) - (q >> 5)) <= 1 and abs((p & 31) - (q & 31)) <= 1
