"""Viper inner loops of the int8 interpreter: conv, depthwise conv, fully connected, pooling, mean.

These are the portable kernels and the bit-exact reference for the native ones
(:mod:`heatface.tflite_native`); they run wherever viper does (and as plain Python in CPython).

Conventions, shared by every kernel:

- Activations are int8 in bytearrays (two's complement, NHWC, batch 1). A ptr8 load is unsigned,
  so ``(b ^ 128) - 128`` gives the signed value; the ``- 128`` is folded into an offset.
- Weights and biases are read in place from the model's bytes: int8 weights like activations,
  int32 little-endian biases byte by byte (any alignment; the top byte sign-extended, so the
  value is right on 32-bit boards and 64-bit hosts alike). Multipliers are < 2**31 and read with
  ptr32; shifts are split into left and right shift bytes.
- Requantization is TFLM's MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul then
  RoundingDivideByPOT. Viper ints are 32-bit on the boards, so the 32x32->64-bit product is built
  from 16-bit halves in uint arithmetic; no intermediate exceeds 2**32 (same result on 64-bit).
  It lives in :func:`requantize_row` only: conv, depthwise conv and fully connected fill an int32
  scratch row (``array('i')``, sized at load to the widest output row of the model) with
  accumulators, then requantize it into the output in one call per row.
- Scalar parameters come in a tuple ``p`` read once per call; requantization's in ``q``.
"""

import sys

import micropython

if sys.implementation.name != "micropython":
    # CPython runs these functions as plain Python: ``uint(x)`` is then an identity (every value
    # cast here is non-negative and below 2**32 on the paths that use it).
    uint = int  # noqa: A001

    def ptr32(buf):
        """Viper's cast of a buffer to a pointer; CPython indexes the array itself."""
        return buf


@micropython.viper
def requantize_row(acc: ptr32, out: ptr8, start: int, n: int, oc: int, mult: ptr32, lsh: ptr8, rsh: ptr8,
                   q):
    """out[start + i] = clamp(MultiplyByQuantizedMultiplier(acc[i], channel c) + out_zp) as int8,
    for i < n, where c = i % oc runs through mult/lsh/rsh (shift = lsh[c] - rsh[c], mult[c] in
    [0, 2**31)); q = (out_zp, act_min, act_max). The one requantization of the int8 kernels."""
    out_zp = int(q[0])
    lo = int(q[1])
    hi = int(q[2])
    c = 0
    o = start
    for i in range(n):
        v = int(acc[i])
        # sign-extend the 32-bit value (a ptr32 load is zero-extended on 64-bit hosts)
        x = (((((v >> 16) & 0xFFFF) ^ 0x8000) - 0x8000) << 16) | (v & 0xFFFF)
        x = x << int(lsh[c])
        neg = x < 0
        a = uint(x)
        rl = uint(0)
        rh = uint(0x4000)
        if neg:
            a = uint(0 - x)
            rl = uint(0xFFFF)
            rh = uint(0x3FFF)
        b = uint(mult[c])
        al = a & uint(0xFFFF)
        ah = a >> 16
        bl = b & uint(0xFFFF)
        bh = b >> 16
        lw = al * bl
        m1 = ah * bl
        m2 = al * bh
        w0 = (lw & uint(0xFFFF)) + rl
        w1 = (lw >> 16) + (m1 & uint(0xFFFF)) + (m2 & uint(0xFFFF)) + rh + (w0 >> 16)
        w2 = ah * bh + (m1 >> 16) + (m2 >> 16) + (w1 >> 16)
        res = int((w2 << 1) + ((w1 & uint(0xFFFF)) >> 15))
        if neg:
            res = 0 - res
        rs = int(rsh[c])
        if rs > 0:
            mask = (1 << rs) - 1
            rem = res & mask
            thr = mask >> 1
            if res < 0:
                thr += 1
            res = res >> rs
            if rem > thr:
                res += 1
        res += out_zp
        if res < lo:
            res = lo
        if res > hi:
            res = hi
        out[o] = res & 0xFF
        o += 1
        c += 1
        if c == oc:
            c = 0


@micropython.viper
def conv2d(inp: ptr8, wts: ptr8, out, bias: ptr8, mult, lsh, rsh, row, q, p):
    """CONV_2D, per-channel. Filter [oc, kh, kw, ic]; ``row`` is an int32 scratch array of
    at least ow * oc; q = (output_zp, act_min, act_max); p = (ih, iw, ic, oh, ow, oc, kh, kw,
    sh, sw, ph, pw, dh, dw, -input_zp)."""
    ih = int(p[0])
    iw = int(p[1])
    ic = int(p[2])
    oh = int(p[3])
    ow = int(p[4])
    oc = int(p[5])
    kh = int(p[6])
    kw = int(p[7])
    sh = int(p[8])
    sw = int(p[9])
    ph = int(p[10])
    pw = int(p[11])
    dh = int(p[12])
    dw = int(p[13])
    in_off = int(p[14]) - 128
    accs = ptr32(row)
    n = ow * oc
    for oy in range(oh):
        iy0 = oy * sh - ph
        j = 0
        for ox in range(ow):
            ix0 = ox * sw - pw
            for c in range(oc):
                b = 4 * c
                acc = ((((int(bias[b + 3]) ^ 128) - 128) << 24) | (int(bias[b + 2]) << 16)
                       | (int(bias[b + 1]) << 8) | int(bias[b]))
                wc = c * kh * kw * ic
                for ky in range(kh):
                    iy = iy0 + ky * dh
                    if iy < 0 or iy >= ih:
                        continue
                    for kx in range(kw):
                        ix = ix0 + kx * dw
                        if ix < 0 or ix >= iw:
                            continue
                        ib = (iy * iw + ix) * ic
                        wb = wc + (ky * kw + kx) * ic
                        for k in range(ic):
                            acc += ((int(inp[ib + k]) ^ 128) + in_off) * ((int(wts[wb + k]) ^ 128) - 128)
                accs[j] = acc
                j += 1
        requantize_row(row, out, oy * n, n, oc, mult, lsh, rsh, q)


@micropython.viper
def depthwise_conv2d(inp: ptr8, wts: ptr8, out, bias: ptr8, mult, lsh, rsh, row, q, p):
    """DEPTHWISE_CONV_2D, per-channel. Filter [1, kh, kw, oc], oc = ic * depth_multiplier;
    ``row`` and q as for conv2d; p = (ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw, dh, dw,
    -input_zp, depth_multiplier)."""
    ih = int(p[0])
    iw = int(p[1])
    ic = int(p[2])
    oh = int(p[3])
    ow = int(p[4])
    oc = int(p[5])
    kh = int(p[6])
    kw = int(p[7])
    sh = int(p[8])
    sw = int(p[9])
    ph = int(p[10])
    pw = int(p[11])
    dh = int(p[12])
    dw = int(p[13])
    in_off = int(p[14]) - 128
    dm = int(p[15])
    accs = ptr32(row)
    n = ow * oc
    for oy in range(oh):
        iy0 = oy * sh - ph
        j = 0
        for ox in range(ow):
            ix0 = ox * sw - pw
            for c in range(oc):
                ci = c // dm
                b = 4 * c
                acc = ((((int(bias[b + 3]) ^ 128) - 128) << 24) | (int(bias[b + 2]) << 16)
                       | (int(bias[b + 1]) << 8) | int(bias[b]))
                for ky in range(kh):
                    iy = iy0 + ky * dh
                    if iy < 0 or iy >= ih:
                        continue
                    for kx in range(kw):
                        ix = ix0 + kx * dw
                        if ix < 0 or ix >= iw:
                            continue
                        acc += ((int(inp[(iy * iw + ix) * ic + ci]) ^ 128) + in_off) * (
                            (int(wts[(ky * kw + kx) * oc + c]) ^ 128) - 128)
                accs[j] = acc
                j += 1
        requantize_row(row, out, oy * n, n, oc, mult, lsh, rsh, q)


@micropython.viper
def fully_connected(inp: ptr8, wts: ptr8, out, bias: ptr8, mult, lsh, rsh, row, q, p):
    """FULLY_CONNECTED, per-channel (a per-tensor model repeats its one multiplier). Weights
    [n, k]; ``row`` is an int32 scratch array of at least n; q as for conv2d;
    p = (k, n, -input_zp)."""
    kk = int(p[0])
    nn = int(p[1])
    in_off = int(p[2]) - 128
    accs = ptr32(row)
    for c in range(nn):
        b = 4 * c
        acc = ((((int(bias[b + 3]) ^ 128) - 128) << 24) | (int(bias[b + 2]) << 16)
               | (int(bias[b + 1]) << 8) | int(bias[b]))
        wb = c * kk
        for k in range(kk):
            acc += ((int(inp[k]) ^ 128) + in_off) * ((int(wts[wb + k]) ^ 128) - 128)
        accs[c] = acc
    requantize_row(row, out, 0, nn, nn, mult, lsh, rsh, q)


@micropython.viper
def pool2d(inp: ptr8, out: ptr8, p):
    """MAX_POOL_2D (p[11] == 0) or AVERAGE_POOL_2D (p[11] == 1), int8, no requantization.
    p = (ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw, is_avg, act_min, act_max)."""
    ih = int(p[0])
    iw = int(p[1])
    ch = int(p[2])
    oh = int(p[3])
    ow = int(p[4])
    kh = int(p[5])
    kw = int(p[6])
    sh = int(p[7])
    sw = int(p[8])
    ph = int(p[9])
    pw = int(p[10])
    is_avg = int(p[11])
    lo = int(p[12])
    hi = int(p[13])
    o = 0
    for oy in range(oh):
        y0 = oy * sh - ph
        fy0 = 0 if y0 >= 0 else 0 - y0
        fy1 = kh if ih - y0 > kh else ih - y0
        for ox in range(ow):
            x0 = ox * sw - pw
            fx0 = 0 if x0 >= 0 else 0 - x0
            fx1 = kw if iw - x0 > kw else iw - x0
            for c in range(ch):
                acc = 0
                if not is_avg:
                    acc = -128
                cnt = 0
                for fy in range(fy0, fy1):
                    row = (y0 + fy) * iw
                    for fx in range(fx0, fx1):
                        v = (int(inp[(row + x0 + fx) * ch + c]) ^ 128) - 128
                        if is_avg:
                            acc += v
                        elif v > acc:
                            acc = v
                        cnt += 1
                if is_avg and cnt > 0:
                    half = cnt >> 1
                    if acc > 0:
                        acc = (acc + half) // cnt
                    else:
                        acc = 0 - ((half - acc) // cnt)
                if acc < lo:
                    acc = lo
                if acc > hi:
                    acc = hi
                out[o] = acc & 0xFF
                o += 1


@micropython.viper
def channel_sums(inp: ptr8, sums: ptr32, n: int, ch: int, in_zp: int):
    """sums[c] = sum over the n positions of (input - in_zp) for each of ch channels (int32)."""
    for c in range(ch):
        acc = 0
        for i in range(n):
            acc += ((int(inp[i * ch + c]) ^ 128) - 128) - in_zp
        sums[c] = acc

