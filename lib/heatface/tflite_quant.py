"""TFLite's fixed-point quantization arithmetic, exact in any runtime.

The requantization multipliers TFLM computes at prepare time come from float32 scales through C
``double`` arithmetic. MicroPython boards only have single floats, so the multipliers here are
computed from the scales' float32 bit patterns with exact integer (rational) arithmetic that
reproduces each C rounding step (float32 product, double quotient, ``frexp`` and ``std::round``).

Also here: gemmlowp's fixed-point exp and reciprocal (``exp_on_negative_values``,
``one_over_one_plus_x_for_x_in_0_1``) used by the int8 SOFTMAX, and the activation clamp ranges.
All functions use Python ints with explicit int32 semantics and run at load time, except
:func:`softmax_row` (a few operations per class per inference).
"""

from array import array

INT32_MAX = 2147483647
INT32_MIN = -2147483648


def float32_parts(bits):
    """(mantissa, exponent) of a positive float32 bit pattern: value = mantissa * 2**exponent."""
    e = (bits >> 23) & 0xFF
    m = bits & 0x7FFFFF
    if e == 0:
        return m, -149
    return m | 0x800000, e - 150


def bit_length(x):
    """int.bit_length for x >= 0 (MicroPython ints lack the method)."""
    n = 0
    while x >= 0x10000:
        x >>= 16
        n += 16
    while x:
        x >>= 1
        n += 1
    return n


def round_ratio(num, den, bits):
    """num/den (positive ints) rounded to nearest-even with ``bits`` significant bits: (M, e), M*2**e."""
    if num <= 0:
        return 0, 0
    e = bit_length(num) - bit_length(den) - bits
    while True:
        if e >= 0:
            n2, d2 = num, den << e
        else:
            n2, d2 = num << -e, den
        q, r = divmod(n2, d2)
        if q >= (1 << bits):
            e += 1
        elif q < (1 << (bits - 1)):
            e -= 1
        else:
            break
    if 2 * r > d2 or (2 * r == d2 and q & 1):
        q += 1
        if q == (1 << bits):
            q >>= 1
            e += 1
    return q, e


def quantize_multiplier(num, den, exp2=0):
    """TFLite's QuantizeMultiplier of the C double nearest to num/den * 2**exp2.

    Returns (multiplier, shift): a Q31 int in [2**30, 2**31) and a power-of-two exponent, so that
    value ~= multiplier * 2**(shift - 31).
    """
    if num == 0:
        return 0, 0
    m53, e53 = round_ratio(num, den, 53)  # the C double
    shift = e53 + exp2 + 53  # frexp: value = (m53 / 2**53) * 2**shift
    q = (m53 + (1 << 21)) >> 22  # std::round(fraction * 2**31), fraction > 0
    if q == (1 << 31):
        q >>= 1
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def conv_multiplier(in_bits, filt_bits, out_bits):
    """Per-channel conv / FC multiplier: (double)in * (double)filter / (double)out."""
    mi, ei = float32_parts(in_bits)
    mf, ef = float32_parts(filt_bits)
    mo, eo = float32_parts(out_bits)
    return quantize_multiplier(mi * mf, mo, ei + ef - eo)


def fc_multiplier(in_bits, filt_bits, out_bits):
    """Per-tensor FC multiplier: (double)(float)(in * filter) / (double)out."""
    mi, ei = float32_parts(in_bits)
    mf, ef = float32_parts(filt_bits)
    mo, eo = float32_parts(out_bits)
    mp, ep = round_ratio(mi * mf, 1, 24)  # the float32 product
    return quantize_multiplier(mp, mo, ep + ei + ef - eo)


def ratio_multiplier(in_bits, out_bits):
    """(double)in / (double)out, as MEAN uses."""
    mi, ei = float32_parts(in_bits)
    mo, eo = float32_parts(out_bits)
    return quantize_multiplier(mi, mo, ei - eo)


def activation_range(activation, scale_bits, zero_point):
    """CalculateActivationRangeQuantized for int8: (act_min, act_max) for NONE/RELU/RELU_N1_TO_1/RELU6."""
    lo, hi = -128, 127
    if activation == 1:  # RELU
        lo = max(lo, zero_point)
    elif activation == 3:  # RELU6
        lo = max(lo, zero_point)
        hi = min(hi, zero_point + _round_div_float32(6, scale_bits))
    elif activation == 2:  # RELU_N1_TO_1
        lo = max(lo, zero_point - _round_div_float32(1, scale_bits))
        hi = min(hi, zero_point + _round_div_float32(1, scale_bits))
    elif activation != 0:
        raise ValueError("unsupported fused activation %d" % activation)
    return lo, hi


def _round_div_float32(f, scale_bits):
    """std::round(float(f / scale)) for a positive integer f, exactly."""
    m, e = float32_parts(scale_bits)
    q, qe = round_ratio(f, m, 24)  # float32 quotient = q * 2**(qe - e)
    qe -= e
    if qe >= 0:
        return q << qe
    return (q + (1 << (-qe - 1))) >> -qe  # round half away from zero (positive)


# --- int32 fixed-point helpers (gemmlowp semantics) ---

def _wrap(x):
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    if ab >= 0:
        return (ab + (1 << 30)) >> 31
    return -((-(ab + 1 - (1 << 30))) >> 31)


def rdbpot(x, e):
    """RoundingDivideByPOT."""
    if e <= 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def _sat_shl(x, e):
    """SaturatingRoundingMultiplyByPOT with a positive exponent."""
    thr = (1 << (31 - e)) - 1
    if x > thr:
        return INT32_MAX
    if x < -thr:
        return INT32_MIN
    return x << e


def mbqm(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier (the double-rounding form TFLM uses)."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rdbpot(srdhm(_wrap(x * (1 << left)), multiplier), right)


def _exp_quarter(a):
    """exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 in and out."""
    x = _wrap(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_4 = rdbpot(x4, 2)
    poly = rdbpot(_wrap(srdhm(_wrap(x4_4 + x3), 715827883) + x2), 1)
    return _wrap(1895147668 + srdhm(1895147668, _wrap(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a):
    """gemmlowp exp for a Q5.26 input <= 0, result in Q0.31."""
    quarter = 1 << 24
    amq = (a & (quarter - 1)) - quarter
    result = _exp_quarter(_sat_shl(amq, 5))
    remainder = _wrap(amq - a)
    for exponent, mult in _EXP_BARREL:
        if remainder & (1 << (26 + exponent)):
            result = srdhm(result, mult)
    if a == 0:
        result = INT32_MAX
    return result


def _clz32(x):
    n = 0
    while n < 32 and not (x & (0x80000000 >> n)):
        n += 1
    return n


def reciprocal(x, integer_bits):
    """GetReciprocal: (Q0.31 1/x scaled, num_bits_over_unit) for a positive fixed-point x."""
    clz = _clz32(x)
    bits_over = integer_bits - clz
    a = ((x << clz) & 0xFFFFFFFF) - (1 << 31)
    s = a + INT32_MAX  # RoundingHalfSum(a, One)
    half_den = (s + 1) // 2 if s >= 0 else -((-(s - 1)) // 2)
    y = _wrap(1515870810 + srdhm(half_den, -1010580540))
    for _ in range(3):
        hdx = srdhm(half_den, y)
        y = _wrap(y + _sat_shl(srdhm(y, _wrap((1 << 29) - hdx)), 2))
    return _sat_shl(y, 1), bits_over


class Softmax:
    """TFLM's int8 -> int8 reference SOFTMAX, with exp() of every possible input difference tabled.

    The input differences (x - max) take only 256 values, so the Q0.31 exps and their Q12.19
    rescaled values are precomputed; per inference only the sum, one reciprocal and one multiply
    per class remain.
    """

    def __init__(self, beta_bits, in_scale_bits):
        mb, eb = float32_parts(beta_bits)
        mi, ei = float32_parts(in_scale_bits)
        mult, shift = quantize_multiplier(mb * mi, 1, eb + ei + 26)
        if shift < 0:
            raise ValueError("softmax input scale too small")
        diff_min = -((31 << 26) >> shift)
        # exps[d] = 0 marks differences below diff_min (output -128, as TFLM does).
        self.exps = array("i", (0 for _ in range(256)))
        self.accs = array("i", (0 for _ in range(256)))
        for d in range(256):
            if -d < diff_min:
                break
            e = exp_on_negative_values(srdhm(_wrap(-d << shift), mult))
            self.exps[d] = e
            self.accs[d] = rdbpot(e, 12)

    def row(self, inp, out, n):
        """Softmax of the ``n`` int8 values in ``inp`` (a bytes-like, two's complement) into ``out``."""
        mx = -128
        for c in range(n):
            v = inp[c]
            v = v - 256 if v > 127 else v
            if v > mx:
                mx = v
        total = 0
        for c in range(n):
            v = inp[c]
            v = v - 256 if v > 127 else v
            total += self.accs[mx - v]
        scale, bits_over = reciprocal(_wrap(total), 12)
        for c in range(n):
            v = inp[c]
            v = v - 256 if v > 127 else v
            e = self.exps[mx - v]
            if not e:
                out[c] = 0x80
                continue
            r = rdbpot(srdhm(scale, e), bits_over + 23) - 128
            r = -128 if r < -128 else (127 if r > 127 else r)
            out[c] = r & 0xFF
