"""False-colour palettes: 256-entry tables of big-endian RGB565 (512 bytes each), built once.

Every palette is piecewise linear in R, G and B between knots placed on the index range 0..255.
A knot position is given in units of 1/10000 of the range, so index ``i`` sits at ``i*10000/255``.
The channels are computed in integer arithmetic (identical on every runtime and board), rounded to
the nearest integer (halves up), then packed into RGB565 by truncation (as ``display.rgb565``).

- ``ironbow`` (default): black, indigo, purple, crimson, orange, yellow, white - the classic
  "iron" thermography map.
- ``rainbow``: dark blue, blue, cyan, green, yellow, red, white.
- ``grayscale``: black to white.
- ``seed``: the seed's gradient. The seed mapped its fixed 25..40 degC range with cut points
  a=0.2121, b=0.3182, c=0.4242, d=0.8182 of the range:
  red rises 0->255 over b..c and stays; green rises 0->255 over 0..a, holds to c, falls to 0 at d;
  blue is 255 up to a, falls to 0 at b, is 0 up to d, then rises to 240 at the top.
  So: blue (0) -> cyan (a) -> green (b) -> yellow (c) -> red (d) -> magenta-red (1).
  (The seed truncated its float channels; here they are rounded.)
"""

# name -> per channel, a tuple of (position in 1/10000 of the range, value 0..255) knots.
_KNOTS = {
    "ironbow": (
        ((0, 0), (1600, 40), (3200, 130), (4700, 200), (6300, 235), (7800, 250), (9200, 255), (10000, 255)),
        ((0, 0), (1600, 0), (3200, 0), (4700, 30), (6300, 90), (7800, 170), (9200, 230), (10000, 255)),
        ((0, 0), (1600, 130), (3200, 155), (4700, 110), (6300, 20), (7800, 0), (9200, 70), (10000, 255)),
    ),
    "rainbow": (
        ((0, 0), (3137, 0), (5020, 0), (6902, 255), (8784, 255), (10000, 255)),
        ((0, 0), (1255, 0), (3137, 255), (5020, 255), (6902, 255), (8784, 0), (10000, 255)),
        ((0, 96), (1255, 255), (3137, 255), (5020, 0), (8784, 0), (10000, 255)),
    ),
    "grayscale": (
        ((0, 0), (10000, 255)),
        ((0, 0), (10000, 255)),
        ((0, 0), (10000, 255)),
    ),
    "seed": (
        ((0, 0), (3182, 0), (4242, 255), (10000, 255)),
        ((0, 0), (2121, 255), (4242, 255), (8182, 0), (10000, 0)),
        ((0, 255), (2121, 255), (3182, 0), (8182, 0), (10000, 240)),
    ),
}

_NAMES = ("ironbow", "rainbow", "grayscale", "seed")
DEFAULT = "ironbow"

_cache = {}


def names():
    """The palette names, the default first."""
    return _NAMES


def _channel(knots, i):
    """Channel value at index ``i`` (0..255), piecewise linear between knots, rounded half up."""
    pos = i * 10000  # compared against knot * 255: both in units of 1/(255*10000) of the range
    k = 1
    while k < len(knots) - 1 and knots[k][0] * 255 < pos:
        k += 1
    p0, v0 = knots[k - 1]
    p1, v1 = knots[k]
    den = (p1 - p0) * 255
    num = (v1 - v0) * (pos - p0 * 255)
    return v0 + (num + den // 2) // den  # floor division: rounds half up for either sign


def _build(name):
    red, green, blue = _KNOTS[name]
    table = bytearray(512)
    for i in range(256):
        r = _channel(red, i)
        g = _channel(green, i)
        b = _channel(blue, i)
        c = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
        table[2 * i] = c >> 8
        table[2 * i + 1] = c & 0xFF
    return bytes(table)


def get(name):
    """The 512-byte big-endian RGB565 table of palette ``name`` (built on first use, then cached)."""
    table = _cache.get(name)
    if table is None:
        if name not in _KNOTS:
            raise ValueError("unknown palette %r; choose one of %s" % (name, ", ".join(_NAMES)))
        table = _build(name)
        _cache[name] = table
    return table


def color(name, index):
    """The RGB565 int of entry ``index`` (0..255) of palette ``name``."""
    table = get(name)
    return (table[2 * index] << 8) | table[2 * index + 1]


def rgb888(name, index):
    """The unpacked 8-bit (r, g, b) a palette entry was built from, before RGB565 truncation."""
    get(name)  # validates the name
    red, green, blue = _KNOTS[name]
    return (_channel(red, index), _channel(green, index), _channel(blue, index))
