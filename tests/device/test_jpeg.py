"""JPEG encoder: identical bytes under both runtimes, file structure, streaming, argument checks.

Decoding and image quality are checked against Pillow in tests/host/test_jpeg_pillow.py; the
SHA-256 digests below were produced under CPython, so matching them under MicroPython proves the
unix port (viper, 64-bit) writes the very bytes Pillow was shown to decode.
"""

import hashlib
from binascii import hexlify

from heatface.jpeg import CHUNK, encode_gray, quant_table, write_gray
from mptest import raises

# Annex K.1 luminance table in zigzag order (the first 16 entries), i.e. the DQT at quality 50.
_ANNEX_K_ZIGZAG_HEAD = [16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40]


def thermal_scene(w, h, noise=0, seed=1):
    """A warm head-shaped ellipse on a cooler, graded background; integer math only."""
    buf = bytearray(w * h)
    cx = w * 8
    cy = h * 7
    rx = w * 3 + 4
    ry = h * 5 + 4
    s = seed
    for y in range(h):
        ny = (y * 16 + 8 - cy) * 256 // ry
        for x in range(w):
            nx = (x * 16 + 8 - cx) * 256 // rx
            d = nx * nx + ny * ny
            v = 60 + 40 * y // h + 10 * x // w
            if d < 65536:
                v += 150 * (65536 - d) // 65536
            if noise:
                s = (s * 75 + 74) % 65537
                v += s % (2 * noise + 1) - noise
            buf[y * w + x] = 0 if v < 0 else (255 if v > 255 else v)
    return buf


def noise_image(w, h, seed=7):
    buf = bytearray(w * h)
    s = seed
    for i in range(w * h):
        s = (s * 75 + 74) % 65537
        buf[i] = s & 0xFF
    return buf


def gradient(w, h):
    buf = bytearray(w * h)
    for y in range(h):
        for x in range(w):
            buf[y * w + x] = (x * 255 // max(1, w - 1) + y * 3) & 0xFF
    return buf


def _digest(data):
    return hexlify(hashlib.sha256(data).digest()).decode()


# (name, image, width, height, quality, comment) -> SHA-256 of the output, generated under CPython.
_CASES = (
    ("thermal32x24", lambda: thermal_scene(32, 24), 32, 24, 95, None,
     "d1322950a4704e61092daa40885795d728e2271fb5d135746c72770f517ef469"),
    ("thermal32x24_noisy", lambda: thermal_scene(32, 24, 3), 32, 24, 95, "face0",
     "b12564388907d237754a7530ef4adb7c42f40a58195031c804f4b7bad4aaf742"),
    ("thermal33x25", lambda: thermal_scene(33, 25, 1), 33, 25, 95, b"t_lo=22 t_hi=37",
     "4397e9f7222ba4f6d3d120bba9e43187a413e28499b9dd64c1414ee192df7356"),
    ("gradient320x8", lambda: gradient(320, 8), 320, 8, 95, None,
     "7f5dab1d7cfe133ce3a38f58994f778d8b73a7e26363beba361d707bf612f29a"),
    ("noise32x24_q95", lambda: noise_image(32, 24), 32, 24, 95, None,
     "0e1f490bc0764d060fbc595c617e8dabb0049cbcc20e423c1efa7546967d8541"),
    ("noise32x24_q1", lambda: noise_image(32, 24), 32, 24, 1, None,
     "37b9e593a19d8606863f23094bf1af8503e835c383a78b512e554167925f78ad"),
    ("noise7x9_q100", lambda: noise_image(7, 9, 3), 7, 9, 100, None,
     "68c3947c215d9e894f07a439b87ab6c39d40271e7ed349a59e41385e4e743755"),
    ("gray1x1", lambda: bytearray([200]), 1, 1, 95, None,
     "f12c07de315539618fe192c590e4e7931c4385899e7cc2df8ca8147231cf24ee"),
    ("black8x8_q50", lambda: bytearray(64), 8, 8, 50, None,
     "6bf8ad1f729872e709a60c1f2d5c8e5b9e6d75d40adffb9c6e04f8a88a90a611"),
    ("white8x8", lambda: bytearray(b"\xff" * 64), 8, 8, 95, None,
     "d857e5cb6052976ac5f0d80a8004d3ed1549d01a34a83b20799c24b516059eb6"),
)


def _encode_case(case):
    name, make, w, h, q, comment, _ = case
    return encode_gray(make(), w, h, q, comment)


def test_digests_match_cpython():
    bad = []
    for case in _CASES:
        got = _digest(_encode_case(case))
        if got != case[-1]:
            bad.append("%s %s" % (case[0], got))
    assert not bad, bad


def _segments(data):
    """(marker, payload) for each header segment up to and including SOS, then the scan data."""
    assert data[0] == 0xFF and data[1] == 0xD8, "no SOI"
    segs = []
    i = 2
    while True:
        assert data[i] == 0xFF, ("marker expected at", i)
        marker = data[i + 1]
        length = (data[i + 2] << 8) | data[i + 3]
        segs.append((marker, bytes(data[i + 4:i + 2 + length])))
        i += 2 + length
        if marker == 0xDA:
            return segs, data[i:]


def test_structure_of_a_32x24_frame():
    data = encode_gray(thermal_scene(32, 24), 32, 24, comment="label=face0")
    segs, scan = _segments(data)
    markers = [m for m, _ in segs]
    assert markers == [0xE0, 0xFE, 0xDB, 0xC0, 0xC4, 0xDA], markers
    payload = dict(segs)
    assert payload[0xE0][:5] == b"JFIF\x00"
    assert payload[0xFE] == b"label=face0"
    sof = payload[0xC0]
    # precision 8, height 24, width 32, one component id 1, 1x1 sampling, table 0
    assert sof == b"\x08\x00\x18\x00\x20\x01\x01\x11\x00", sof
    assert payload[0xDA] == b"\x01\x01\x00\x00\x3f\x00"
    assert len(payload[0xDB]) == 65 and payload[0xDB][0] == 0
    assert scan[-2:] == b"\xff\xd9"
    # Entropy-coded data: every 0xFF is stuffed with a 0x00.
    body = scan[:-2]
    for i in range(len(body)):
        if body[i] == 0xFF:
            assert i + 1 < len(body) and body[i + 1] == 0, i


def test_dqt_follows_ijg_quality_scaling():
    def dqt(quality):
        segs, _ = _segments(encode_gray(bytearray(64), 8, 8, quality))
        return list(dict(segs)[0xDB][1:])

    assert dqt(50)[:16] == _ANNEX_K_ZIGZAG_HEAD
    assert dqt(100) == [1] * 64
    # quality 95: scale 10% -> round(16 * 0.1) = 2, round(11 * 0.1) = 1, ... round(99 * 0.1) = 10
    q95 = dqt(95)
    assert q95[:6] == [2, 1, 1, 1, 1, 1], q95
    assert q95[-1] == 10 and max(q95) == 12 and min(q95) == 1, q95
    # quality 10: scale 500% -> 16 * 5 = 80; 121 * 5 clamps to 255
    q10 = dqt(10)
    assert q10[0] == 80 and max(q10) == 255
    assert quant_table(50)[:8] == [16, 11, 10, 16, 24, 40, 51, 61]


def test_streaming_writes_small_chunks_that_add_up():
    class Recorder:
        def __init__(self):
            self.sizes = []
            self.data = bytearray()

        def write(self, buf):
            self.sizes.append(len(buf))
            self.data.extend(buf)

    pixels = noise_image(160, 24)
    rec = Recorder()
    n = write_gray(rec, pixels, 160, 24, comment=b"x")
    assert n == len(rec.data)
    assert bytes(rec.data) == encode_gray(pixels, 160, 24, comment="x")
    assert max(rec.sizes) <= CHUNK, rec.sizes
    assert sum(1 for s in rec.sizes if s > 200) >= 3, rec.sizes  # data arrives in pieces


def test_pixel_buffer_types_agree():
    pix = thermal_scene(9, 10, 2)
    ref = encode_gray(pix, 9, 10)
    assert encode_gray(bytes(pix), 9, 10) == ref
    assert encode_gray(memoryview(pix), 9, 10) == ref


def test_comment_str_and_bytes_are_the_same_segment():
    pix = thermal_scene(8, 8)
    a = encode_gray(pix, 8, 8, comment="t=22..37")
    b = encode_gray(pix, 8, 8, comment=b"t=22..37")
    assert a == b
    assert len(a) == len(encode_gray(pix, 8, 8)) + 4 + 8


def test_default_quality_is_95():
    pix = thermal_scene(16, 8)
    assert encode_gray(pix, 16, 8) == encode_gray(pix, 16, 8, 95)
    assert encode_gray(pix, 16, 8) != encode_gray(pix, 16, 8, 94)


def test_thermal_frame_fits_in_1_5_kb():
    for noise in (0, 2, 5):
        size = len(encode_gray(thermal_scene(32, 24, noise), 32, 24))
        assert size <= 1536, (noise, size)


def test_quality_bounds():
    pix = bytearray(64)
    for q in (0, 101, -5, 1000):
        raises(ValueError, encode_gray, pix, 8, 8, q)
    raises(ValueError, encode_gray, pix, 8, 8, 95.5)
    assert encode_gray(pix, 8, 8, 1)[-2:] == b"\xff\xd9"
    assert encode_gray(pix, 8, 8, 100)[-2:] == b"\xff\xd9"


def test_bad_sizes_and_arguments():
    raises(ValueError, encode_gray, bytearray(63), 8, 8)
    raises(ValueError, encode_gray, bytearray(0), 0, 0)
    raises(ValueError, encode_gray, bytearray(70000), 70000, 1)
    raises(TypeError, encode_gray, bytearray(64), 8, 8, 95, 12)
    raises(ValueError, encode_gray, bytearray(1), 1, 1, 95, b"x" * 65534)
