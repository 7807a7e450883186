"""Derive the compact MLX90640 test fixtures from the Melexis example JSON (CPython, host only).

The JSON (~100 KB) is too big to ``json.load`` in a 160 KB MicroPython heap, so the device tests
read two small files made from it:

``mlx90640_example.bin`` (little header-less layout, offsets in bytes):

=======  ======  ==============================================================
offset   size    content
=======  ======  ==============================================================
0        1664    EEPROM, 832 words, big-endian uint16 (as read from 0x2400)
1664     1668    frame0, 834 words, big-endian (768 pixels, 64 aux, ctrl, subpage)
3332     1668    frame1, 834 words, big-endian
5000     3072    expected To of frame0, 768 little-endian float32 (0.0 off-subpage)
8072     3072    expected To of frame1
11144    3072    params alpha[768], little-endian float32
14216    3072    params offset[768]
17288    3072    params kta[768]
20360    3072    params kv[768]
=======  ======  ==============================================================

``mlx90640_example_params.json``: the scalar parameters (everything in ``params`` that is not a
per-pixel list), as name -> number, with list entries kept as lists (``ksTo``: [4], ...).

Run from the repository root: ``python tests/data/mlx90640_make_fixtures.py``.
``tests/host/test_mlx90640_fixtures.py`` checks the committed files match the JSON.
"""

import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "mlx90640_melexis_example.json")
BIN_OUT = os.path.join(HERE, "mlx90640_example.bin")
PARAMS_OUT = os.path.join(HERE, "mlx90640_example_params.json")
PER_PIXEL = ("alpha", "offset", "kta", "kv")


def build(source=SOURCE):
    """Return (bin_bytes, params_text) derived from the example JSON."""
    with open(source) as f:
        data = json.load(f)
    out = bytearray()
    out += struct.pack(">832H", *data["eeprom"])
    out += struct.pack(">834H", *data["frame0"])
    out += struct.pack(">834H", *data["frame1"])
    for key in ("to_frame0", "to_frame1"):
        flat = [v for row in data[key] for v in row]
        out += struct.pack("<768f", *flat)
    params = data["params"]
    for name in PER_PIXEL:
        out += struct.pack("<768f", *[params["%s[%d]" % (name, i)] for i in range(768)])
    scalars = {}
    for key, value in params.items():
        m = re.match(r"(\w+)\[(\d+)\]$", key)
        if m is None:
            scalars[key] = value
        elif m.group(1) not in PER_PIXEL:
            scalars.setdefault(m.group(1), []).append((int(m.group(2)), value))
    for key, value in scalars.items():
        if isinstance(value, list):
            scalars[key] = [v for _, v in sorted(value)]
    return bytes(out), json.dumps(scalars, indent=1, sort_keys=True) + "\n"


def main():
    blob, text = build()
    with open(BIN_OUT, "wb") as f:
        f.write(blob)
    with open(PARAMS_OUT, "w") as f:
        f.write(text)
    sys.stdout.write("wrote %s (%d bytes), %s\n" % (BIN_OUT, len(blob), PARAMS_OUT))


if __name__ == "__main__":
    main()
