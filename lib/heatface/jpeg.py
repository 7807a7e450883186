"""Baseline grayscale JPEG encoder (ITU T.81) for MicroPython and CPython.

One 8-bit component, 8x8 blocks, the Annex K luminance quantization table scaled by the IJG
quality formula, the Annex K standard Huffman tables, JFIF APP0 and an optional COM segment.
Images of any size: partial edge blocks are padded by replicating the last column/row.

``write_gray`` streams the file to any object with ``.write()`` in chunks of at most
``CHUNK`` bytes (the entropy-coded data goes through one preallocated buffer);
``encode_gray`` returns the whole file as bytes.

The per-block work (level shift, integer DCT, quantization, Huffman coding, byte stuffing) is one
viper function. All its intermediates stay below 2**31 so that 32-bit boards, the 64-bit unix
port and CPython (where the viper decorator is a no-op) produce identical bytes. Values kept in
``array('i')`` buffers are stored with a positive bias: viper's ptr32 loads are zero-extended on
64-bit ports, so a negative value would not read back the same everywhere.

Not re-entrant: the block and output buffers are module-level and shared by all calls.
"""

import struct
from array import array

import micropython
from micropython import const

# Annex K.1, the luminance quantization table, natural (row-major) order.
_LUMA_Q = bytes((
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
))

# Annex K.3, standard luminance Huffman tables: code counts per length 1..16, then symbols.
_DC_BITS = b"\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00"
_DC_VALS = b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
_AC_BITS = b"\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01\x7d"
_AC_VALS = (
    b"\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13\x51\x61\x07"
    b"\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0"
    b"\x24\x33\x62\x72\x82\x09\x0a\x16\x17\x18\x19\x1a\x25\x26\x27\x28"
    b"\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49"
    b"\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69"
    b"\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89"
    b"\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7"
    b"\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5"
    b"\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2"
    b"\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8"
    b"\xf9\xfa"
)

DEFAULT_QUALITY = 95
CHUNK = const(1024)  # entropy-coded output buffer: the largest write of image data
_FLUSH_AT = const(CHUNK - 432)  # one block can emit at most ~420 bytes (208 doubled by stuffing)

# Fixed-point cosines cos(k*pi/16) * 2**13.
_C1 = const(8035)
_C2 = const(7568)
_C3 = const(6811)
_C4 = const(5793)
_C5 = const(4551)
_C6 = const(3135)
_C7 = const(1598)
# The row pass keeps 4 fraction bits (|value| <= 362 * 16), the column pass 3 (|F * 8| <= 8200);
# the 1/2 of each 1-D DCT is in the shift. Worst-case column sum: 4 * 2 * 5792 * 5793 < 2**29.
_S1 = const(10)
_R1 = const(1 << 9)
_S2 = const(15)
_R2 = const(1 << 14)
# Quantization by reciprocal: q = (|F * 8| * round(2**16 / Q) + 2**18) >> 19 (product < 2**30).
_QS = const(19)
_QR = const(1 << 18)
_BIAS = const(1 << 20)

# Layout of the state/work array (all entries kept non-negative).
_ST_W = const(0)
_ST_H = const(1)
_ST_X = const(2)
_ST_Y = const(3)
_ST_DC = const(4)  # previous DC + _BIAS
_ST_ACC = const(5)  # pending bits (fewer than 8)
_ST_CNT = const(6)  # number of pending bits
_ST_POS = const(7)  # bytes used in the output buffer
_ST_WS = const(8)  # 64 DCT values + _BIAS, natural order
_ST_ZZ = const(72)  # 64 quantized values + _BIAS, zigzag order
_ST_ENT = const(136)  # Huffman output entries (size << 16 | bits), at most ~132 per block
_ST_LEN = const(296)

# Layout of the constant table array.
_T_DC = const(0)  # 12 DC entries (size << 16 | code) by category
_T_AC = const(16)  # 256 AC entries by run << 4 | size
_T_ZZ = const(272)  # zigzag position of each natural index
_T_LEN = const(336)


def _zigzag():
    """Natural index of each zigzag position (T.81 figure 5), by walking the anti-diagonals."""
    order = []
    for s in range(15):
        rows = list(range(max(0, s - 7), min(s, 7) + 1))
        if s % 2 == 0:
            rows.reverse()
        for r in rows:
            order.append(r * 8 + s - r)
    return bytes(order)


def _huffman_entries(bits, vals, tab, offset):
    """Canonical code assignment (T.81 Annex C) into ``tab[offset + symbol]``."""
    code = 0
    k = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            tab[offset + vals[k]] = (length << 16) | code
            code += 1
            k += 1
        code <<= 1


def _segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


_ZIGZAG = _zigzag()
_TAB = array("i", bytes(4 * _T_LEN))
_huffman_entries(_DC_BITS, _DC_VALS, _TAB, _T_DC)
_huffman_entries(_AC_BITS, _AC_VALS, _TAB, _T_AC)
for _k in range(64):
    _TAB[_T_ZZ + _ZIGZAG[_k]] = _k
del _k

_SOI_APP0 = b"\xff\xd8" + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
_DHT = _segment(0xC4, b"\x00" + _DC_BITS + _DC_VALS + b"\x10" + _AC_BITS + _AC_VALS)
_SOS = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")

_ST = array("i", bytes(4 * _ST_LEN))
_OUT = bytearray(CHUNK)
_OUT_MV = memoryview(_OUT)
_QCACHE = {}  # quality -> (DQT segment, reciprocal table); a few entries at most


def quant_table(quality=DEFAULT_QUALITY):
    """The quantization table for ``quality`` (1..100), natural order, IJG scaling of Annex K."""
    if not isinstance(quality, int) or quality < 1 or quality > 100:
        raise ValueError("JPEG quality must be an integer from 1 to 100, got %r" % (quality,))
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    table = []
    for q in _LUMA_Q:
        v = (q * scale + 50) // 100
        table.append(1 if v < 1 else (255 if v > 255 else v))
    return table


def _tables(quality):
    entry = _QCACHE.get(quality) if isinstance(quality, int) else None
    if entry is None:
        table = quant_table(quality)
        recip = array("i", [(65536 + q // 2) // q for q in table])
        dqt = _segment(0xDB, b"\x00" + bytes([table[n] for n in _ZIGZAG]))
        if len(_QCACHE) >= 4:
            _QCACHE.clear()
        entry = _QCACHE[quality] = (dqt, recip)
    return entry


@micropython.viper
def _encode_block(pix: ptr8, st: ptr32, out: ptr8, tab: ptr32, rq: ptr32):
    """Encode the 8x8 block at (st[_ST_X], st[_ST_Y]) and append its bits to ``out``."""
    width = st[_ST_W]
    height = st[_ST_H]
    x0 = st[_ST_X]
    y0 = st[_ST_Y]
    # Column offsets inside the row, clamped to the last column (edge replication).
    xl = width - 1 - x0
    o1 = 1
    if o1 > xl:
        o1 = xl
    o2 = 2
    if o2 > xl:
        o2 = xl
    o3 = 3
    if o3 > xl:
        o3 = xl
    o4 = 4
    if o4 > xl:
        o4 = xl
    o5 = 5
    if o5 > xl:
        o5 = xl
    o6 = 6
    if o6 > xl:
        o6 = xl
    o7 = 7
    if o7 > xl:
        o7 = xl

    # Row pass: 1-D DCT of each level-shifted row by even/odd decomposition.
    for r in range(8):
        y = y0 + r
        if y >= height:
            y = height - 1
        b = y * width + x0
        p0 = pix[b]
        p1 = pix[b + o1]
        p2 = pix[b + o2]
        p3 = pix[b + o3]
        p4 = pix[b + o4]
        p5 = pix[b + o5]
        p6 = pix[b + o6]
        p7 = pix[b + o7]
        s0 = p0 + p7 - 256
        s1 = p1 + p6 - 256
        s2 = p2 + p5 - 256
        s3 = p3 + p4 - 256
        d0 = p0 - p7
        d1 = p1 - p6
        d2 = p2 - p5
        d3 = p3 - p4
        a0 = s0 + s3
        a1 = s1 + s2
        e0 = s0 - s3
        e1 = s1 - s2
        w = _ST_WS + r * 8
        st[w] = (((a0 + a1) * _C4 + _R1) >> _S1) + _BIAS
        st[w + 4] = (((a0 - a1) * _C4 + _R1) >> _S1) + _BIAS
        st[w + 2] = ((e0 * _C2 + e1 * _C6 + _R1) >> _S1) + _BIAS
        st[w + 6] = ((e0 * _C6 - e1 * _C2 + _R1) >> _S1) + _BIAS
        st[w + 1] = ((d0 * _C1 + d1 * _C3 + d2 * _C5 + d3 * _C7 + _R1) >> _S1) + _BIAS
        st[w + 3] = ((d0 * _C3 - d1 * _C7 - d2 * _C1 - d3 * _C5 + _R1) >> _S1) + _BIAS
        st[w + 5] = ((d0 * _C5 - d1 * _C1 + d2 * _C7 + d3 * _C3 + _R1) >> _S1) + _BIAS
        st[w + 7] = ((d0 * _C7 - d1 * _C5 + d2 * _C3 - d3 * _C1 + _R1) >> _S1) + _BIAS

    # Column pass, in place: each column is read whole before it is overwritten.
    for u in range(8):
        w = _ST_WS + u
        v0 = st[w] - _BIAS
        v1 = st[w + 8] - _BIAS
        v2 = st[w + 16] - _BIAS
        v3 = st[w + 24] - _BIAS
        v4 = st[w + 32] - _BIAS
        v5 = st[w + 40] - _BIAS
        v6 = st[w + 48] - _BIAS
        v7 = st[w + 56] - _BIAS
        s0 = v0 + v7
        s1 = v1 + v6
        s2 = v2 + v5
        s3 = v3 + v4
        d0 = v0 - v7
        d1 = v1 - v6
        d2 = v2 - v5
        d3 = v3 - v4
        a0 = s0 + s3
        a1 = s1 + s2
        e0 = s0 - s3
        e1 = s1 - s2
        st[w] = (((a0 + a1) * _C4 + _R2) >> _S2) + _BIAS
        st[w + 32] = (((a0 - a1) * _C4 + _R2) >> _S2) + _BIAS
        st[w + 16] = ((e0 * _C2 + e1 * _C6 + _R2) >> _S2) + _BIAS
        st[w + 48] = ((e0 * _C6 - e1 * _C2 + _R2) >> _S2) + _BIAS
        st[w + 8] = ((d0 * _C1 + d1 * _C3 + d2 * _C5 + d3 * _C7 + _R2) >> _S2) + _BIAS
        st[w + 24] = ((d0 * _C3 - d1 * _C7 - d2 * _C1 - d3 * _C5 + _R2) >> _S2) + _BIAS
        st[w + 40] = ((d0 * _C5 - d1 * _C1 + d2 * _C7 + d3 * _C3 + _R2) >> _S2) + _BIAS
        st[w + 56] = ((d0 * _C7 - d1 * _C5 + d2 * _C3 - d3 * _C1 + _R2) >> _S2) + _BIAS

    # Quantize (rounded to nearest) and reorder to zigzag.
    for n in range(64):
        f = st[_ST_WS + n] - _BIAS
        if f < 0:
            q = 0 - (((0 - f) * rq[n] + _QR) >> _QS)
        else:
            q = (f * rq[n] + _QR) >> _QS
        st[_ST_ZZ + tab[_T_ZZ + n]] = q + _BIAS

    # Huffman symbols: DC difference, then AC run/size pairs, as (size << 16 | bits) entries.
    ne = _ST_ENT
    diff = st[_ST_ZZ] - st[_ST_DC]
    st[_ST_DC] = st[_ST_ZZ]
    a = diff
    if a < 0:
        a = 0 - a
    nb = 0
    while a != 0:
        nb += 1
        a = a >> 1
    st[ne] = tab[_T_DC + nb]
    ne += 1
    if nb != 0:
        if diff < 0:
            diff = diff + (1 << nb) - 1
        st[ne] = (nb << 16) | diff
        ne += 1
    run = 0
    for k in range(1, 64):
        v = st[_ST_ZZ + k] - _BIAS
        if v == 0:
            run += 1
            continue
        while run > 15:
            st[ne] = tab[_T_AC + 0xF0]
            ne += 1
            run -= 16
        if v > 1023:
            v = 1023
        if v < -1023:
            v = -1023
        a = v
        if a < 0:
            a = 0 - a
        nb = 0
        while a != 0:
            nb += 1
            a = a >> 1
        st[ne] = tab[_T_AC + (run << 4) + nb]
        ne += 1
        if v < 0:
            v = v + (1 << nb) - 1
        st[ne] = (nb << 16) | v
        ne += 1
        run = 0
    if run != 0:
        st[ne] = tab[_T_AC]
        ne += 1

    # Emit the bits MSB first, stuffing a zero byte after every 0xFF.
    acc = st[_ST_ACC]
    cnt = st[_ST_CNT]
    pos = st[_ST_POS]
    for i in range(_ST_ENT, ne):
        e = st[i]
        size = e >> 16
        acc = (acc << size) | (e & 0xFFFF)
        cnt += size
        while cnt >= 8:
            cnt -= 8
            byte = (acc >> cnt) & 0xFF
            out[pos] = byte
            pos += 1
            if byte == 0xFF:
                out[pos] = 0
                pos += 1
        acc = acc & ((1 << cnt) - 1)
    st[_ST_ACC] = acc
    st[_ST_CNT] = cnt
    st[_ST_POS] = pos


def _check(pixels, width, height, comment):
    if not isinstance(width, int) or not isinstance(height, int):
        raise TypeError("width and height must be integers")
    if width < 1 or height < 1 or width > 65535 or height > 65535:
        raise ValueError("JPEG size must be 1..65535 in each dimension, got %dx%d" % (width, height))
    if len(pixels) != width * height:
        raise ValueError(
            "expected %d pixels for %dx%d, got %d" % (width * height, width, height, len(pixels))
        )
    if comment is None:
        return None
    if isinstance(comment, str):
        comment = comment.encode("utf-8")
    elif not isinstance(comment, (bytes, bytearray)):
        raise TypeError("comment must be str or bytes")
    if len(comment) > 65533:
        raise ValueError("comment is too long for a COM segment (max 65533 bytes)")
    return bytes(comment)


def write_gray(f, pixels, width, height, quality=DEFAULT_QUALITY, comment=None):
    """Write a baseline grayscale JPEG of ``pixels`` to ``f`` (any object with ``.write()``).

    ``pixels``: bytes/bytearray/memoryview of ``width * height`` 8-bit values, row-major.
    ``quality``: 1..100 (IJG scaling); ``comment``: str or bytes stored in a COM segment.
    Writes the headers, then the entropy-coded data in pieces of at most ``CHUNK`` bytes (passed
    as memoryviews of a reused buffer: ``write`` must consume them before returning).
    Returns the number of bytes written.
    """
    comment = _check(pixels, width, height, comment)
    dqt, recip = _tables(quality)
    total = 0
    f.write(_SOI_APP0)
    total += len(_SOI_APP0)
    if comment is not None:
        com = _segment(0xFE, comment)
        f.write(com)
        total += len(com)
    f.write(dqt)
    sof = _segment(0xC0, struct.pack(">BHHBBBB", 8, height, width, 1, 1, 0x11, 0))
    f.write(sof)
    f.write(_DHT)
    f.write(_SOS)
    total += len(dqt) + len(sof) + len(_DHT) + len(_SOS)

    st = _ST
    out = _OUT
    st[_ST_W] = width
    st[_ST_H] = height
    st[_ST_DC] = _BIAS
    st[_ST_ACC] = 0
    st[_ST_CNT] = 0
    st[_ST_POS] = 0
    for y in range(0, height, 8):
        st[_ST_Y] = y
        for x in range(0, width, 8):
            st[_ST_X] = x
            _encode_block(pixels, st, out, _TAB, recip)
            pos = st[_ST_POS]
            if pos > _FLUSH_AT:
                f.write(_OUT_MV[:pos])
                total += pos
                st[_ST_POS] = 0

    # Pad the last byte with 1 bits, then end of image.
    pos = st[_ST_POS]
    cnt = st[_ST_CNT]
    if cnt:
        byte = ((st[_ST_ACC] << (8 - cnt)) | ((1 << (8 - cnt)) - 1)) & 0xFF
        out[pos] = byte
        pos += 1
        if byte == 0xFF:
            out[pos] = 0
            pos += 1
    out[pos] = 0xFF
    out[pos + 1] = 0xD9
    pos += 2
    f.write(_OUT_MV[:pos])
    st[_ST_POS] = 0
    return total + pos


class _Collector:
    def __init__(self):
        self.data = bytearray()

    def write(self, buf):
        self.data.extend(buf)
        return len(buf)


def encode_gray(pixels, width, height, quality=DEFAULT_QUALITY, comment=None):
    """Return a baseline grayscale JPEG of ``pixels`` as bytes (see :func:`write_gray`)."""
    sink = _Collector()
    write_gray(sink, pixels, width, height, quality, comment)
    return bytes(sink.data)
