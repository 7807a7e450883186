"""The 8x8 font: the CPython framebuf stand-in's stored table is MicroPython's own font."""

import framebuf

from mptest import IS_MICROPYTHON, repo_path


def _stored_font():
    with open(repo_path("tools", "shims", "framebuf_font.bin"), "rb") as f:
        return f.read()


def _render(code):
    cell = bytearray(8)
    fb = framebuf.FrameBuffer(cell, 8, 8, framebuf.MONO_HLSB)
    fb.text(chr(code), 0, 0, 1)
    return bytes(cell)


def test_stored_font_matches_framebuf():
    # under MicroPython this is the live C framebuf; under CPython, the stand-in reading the table
    table = _stored_font()
    assert len(table) == 96 * 8
    for code in range(32, 128):
        assert _render(code) == table[(code - 32) * 8:(code - 31) * 8], (code, chr(code), IS_MICROPYTHON)


def test_glyphs_are_not_blank():
    table = _stored_font()
    assert table[:8] == bytes(8)  # space
    for code in range(33, 127):
        assert any(table[(code - 32) * 8:(code - 31) * 8]), chr(code)


def test_text_semantics_shared_by_both_runtimes():
    # clipping at the edges, transparent background, bytes outside 32..127 drawn as glyph 127
    buf = bytearray(2 * 8)
    fb = framebuf.FrameBuffer(buf, 16, 8, framebuf.MONO_HLSB)
    fb.fill(0)
    fb.text("\u00e9", 0, 0, 1)  # two UTF-8 bytes -> two glyphs 127
    g = _stored_font()[95 * 8:96 * 8]
    assert bytes([buf[2 * r] for r in range(8)]) == g and bytes([buf[2 * r + 1] for r in range(8)]) == g
    fb.fill(1)
    fb.text("A", -4, 3, 0)
    a = _stored_font()[(65 - 32) * 8:(66 - 32) * 8]
    for row in range(8):
        for col in range(16):
            src_col = col + 4
            ink = 0 <= row - 3 < 8 and src_col < 8 and (a[row - 3] >> (7 - src_col)) & 1
            assert fb.pixel(col, row) == (0 if ink else 1), (row, col)


def test_rgb565_framebuf_is_little_endian():
    buf = bytearray(4)
    fb = framebuf.FrameBuffer(buf, 2, 1, framebuf.RGB565)
    fb.pixel(1, 0, 0x1234)
    assert bytes(buf) == b"\x00\x00\x34\x12"
    assert fb.pixel(1, 0) == 0x1234
