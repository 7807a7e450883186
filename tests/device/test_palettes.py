"""Palettes: table format, end points, the seed's cut points, ordering, caching."""

from heatface import palettes
from heatface.display import rgb565
from mptest import raises


def _entry(name, i):
    t = palettes.get(name)
    return (t[2 * i] << 8) | t[2 * i + 1]


def test_names_default_first():
    names = palettes.names()
    assert names[0] == "ironbow" == palettes.DEFAULT
    for n in ("ironbow", "rainbow", "grayscale", "seed"):
        assert n in names


def test_tables_are_512_byte_and_cached():
    for n in palettes.names():
        t = palettes.get(n)
        assert isinstance(t, bytes) and len(t) == 512, n
        assert palettes.get(n) is t


def test_end_points():
    assert _entry("ironbow", 0) == 0x0000 and _entry("ironbow", 255) == 0xFFFF
    assert _entry("grayscale", 0) == 0x0000 and _entry("grayscale", 255) == 0xFFFF
    assert _entry("rainbow", 0) == rgb565(0, 0, 96) and _entry("rainbow", 255) == 0xFFFF
    assert _entry("seed", 0) == rgb565(0, 0, 255)  # blue
    assert _entry("seed", 255) == rgb565(255, 0, 240)  # the seed's hot end: red with blue 240


def test_grayscale_is_gray():
    for i in range(256):
        assert _entry("grayscale", i) == rgb565(i, i, i), i
        assert palettes.color("grayscale", i) == rgb565(i, i, i)


def _seed_formula(i):
    # The seed's gradient written from its description (float, 0..1 over the range), independently
    # of the knot tables: a=.2121 b=.3182 c=.4242 d=.8182.
    a, b, c, d = 0.2121, 0.3182, 0.4242, 0.8182
    u = i / 255.0

    def clamp(v, top=255.0):
        return min(max(v, 0.0), top)

    red = clamp(255.0 * (u - b) / (c - b))
    if u < a:
        green = clamp(255.0 * u / a)
    elif u <= c:
        green = 255.0
    else:
        green = clamp(255.0 * (u - d) / (c - d))
    if u <= b:
        blue = clamp(255.0 * (u - b) / (a - b))
    elif u <= d:
        blue = 0.0
    else:
        blue = clamp(240.0 * (u - d) / (1.0 - d), 240.0)
    return red, green, blue


def test_seed_matches_its_cut_point_formula():
    for i in range(256):
        got = palettes.rgb888("seed", i)
        want = _seed_formula(i)
        for ch in range(3):
            assert abs(got[ch] - want[ch]) <= 0.5 + 1e-6, (i, got, want)


def test_seed_colours_at_cut_points():
    # blue -> cyan (a) -> green (b) -> yellow (c) -> red (d), in index units: a*255 = 54.1 ...
    r, g, b = palettes.rgb888("seed", 54)
    assert r == 0 and g >= 254 and b == 255  # cyan, just before a
    assert palettes.rgb888("seed", 82)[0] < 30 and palettes.rgb888("seed", 82)[1] == 255  # green
    r, g, b = palettes.rgb888("seed", 109)
    assert r >= 250 and g >= 250 and b == 0  # yellow (c*255 = 108.2 falls between entries)
    r, g, b = palettes.rgb888("seed", 209)
    assert r == 255 and g == 0 and b < 5  # red


def test_ironbow_and_grayscale_brighten_monotonically():
    for name in ("ironbow", "grayscale"):
        prev = -1.0
        for i in range(256):
            r, g, b = palettes.rgb888(name, i)
            luma = 0.299 * r + 0.587 * g + 0.114 * b
            assert luma >= prev - 1e-9, (name, i)
            prev = luma


def test_rainbow_hue_order():
    # dark blue, blue, cyan, green, yellow, red, white at the knots
    expect = ((0, (0, 0, 96)), (32, (0, 0, 255)), (128, (0, 255, 0)), (224, (255, 0, 0)), (255, (255, 255, 255)))
    for i, rgb in expect:
        got = palettes.rgb888("rainbow", i)
        for ch in range(3):
            assert abs(got[ch] - rgb[ch]) <= 2, (i, got, rgb)


def test_unknown_palette():
    exc = raises(ValueError, palettes.get, "viridis")
    assert "ironbow" in str(exc)
