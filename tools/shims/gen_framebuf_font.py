"""Regenerate ``framebuf_font.bin`` from the real MicroPython ``framebuf`` (run under micropython).

Usage, from the repository root: ``.venv/bin/micropython tools/shims/gen_framebuf_font.py``.
Each character 32..127 is drawn at (0, 0) into an 8x8 MONO_HLSB buffer; the 8 row bytes
(bit 7 = leftmost pixel) are stored in order, 96 * 8 = 768 bytes. MicroPython's ``text()`` draws
any byte outside 32..127 as glyph 127, so that range is the whole font. The CPython stand-in
``framebuf.py`` reads this file; ``tests/device/test_render_text.py`` checks it against the live
framebuf under MicroPython.
"""

import sys

import framebuf

OUT = "tools/shims/framebuf_font.bin"


def font_table():
    table = bytearray(96 * 8)
    cell = bytearray(8)
    fb = framebuf.FrameBuffer(cell, 8, 8, framebuf.MONO_HLSB)
    for code in range(32, 128):
        fb.fill(0)
        fb.text(chr(code), 0, 0, 1)
        table[(code - 32) * 8:(code - 31) * 8] = cell
    return table


def main():
    if sys.implementation.name != "micropython":
        raise SystemExit("run this under micropython: it reads the real framebuf font")
    with open(OUT, "wb") as f:
        f.write(font_table())
    print("wrote", OUT)


if __name__ == "__main__":
    main()
