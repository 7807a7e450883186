"""The PC view's pieces without a browser: splitting the board's byte stream, the link over a pty
(commands out, frames/state/recordings in) and the HTTP endpoints."""

import json
import os
import pty
import struct
import threading
import time
import tty
import urllib.error
import urllib.request

import pytest

from heatface.stream import FRAME_META
from heatface_sim.recording import Splitter, read_recording
from pcview.link import BoardLink, framed
from pcview.server import make_server

EEPROM = bytes(range(256)) * 6 + bytes(128)  # 1664 bytes


def _header():
    return struct.pack("<I", 5) + EEPROM + json.dumps({"board": "test", "refresh_rate": 16}).encode()


def _subpage(i):
    return struct.pack("<I", 100 + i) + bytes([i]) * 1664 + struct.pack(">HH", 0x0008 | (i & 1), 0x1901)


def _frame(seq):
    temps = struct.pack("<768f", *[20.0 + k / 100.0 for k in range(768)])
    return struct.pack(FRAME_META, seq, 1000, 24.5, 25.0, 40.0, 7.5, 0) + temps


def test_splitter_separates_text_and_messages_at_any_cut():
    stream = (b"hello\n" + framed("I", b'{"mode": "live"}') + b"predict env\n" + framed("T", _frame(1))
              + b"tail")
    for step in (1, 7, 4096):
        s = Splitter()
        items = []
        for i in range(0, len(stream), step):
            items += s.feed(stream[i:i + step])
        text = b"".join(p for k, p in items if k == "text")
        kinds = [k for k, _ in items if k != "text"]
        assert text == b"hello\npredict env\ntail" and kinds == ["I", "T"], (step, kinds, text)
    bad = bytearray(framed("I", b"{}"))
    bad[8] ^= 1
    s = Splitter()
    items = s.feed(bytes(bad) + framed("I", b"[]"))
    assert s.bad == 1 and [k for k, _ in items if k != "text"] == ["I"]
    assert items[-1] == ("I", b"[]")


@pytest.fixture()
def link(tmp_path):
    host, board = pty.openpty()
    tty.setraw(board)
    tty.setraw(host)
    os.set_blocking(host, False)
    lk = BoardLink(os.ttyname(board), rec_dir=str(tmp_path / "rec"))
    lk.start()
    yield lk, host
    lk.close()
    os.close(host)


def _read_commands(fd, n, timeout=5.0):
    data = b""
    end = time.monotonic() + timeout
    while data.count(b"\n") < n and time.monotonic() < end:
        try:
            data += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.01)
    return data.decode().splitlines()


def _wait(check, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_link_reads_frames_state_console_and_records(link):
    lk, board = link
    assert _read_commands(board, 1) == ["HF stream 1"]
    os.write(board, b"boot\n" + framed("I", b'{"mode": "collect", "labels": {"A": "face0"}}')
             + framed("T", _frame(3)))
    assert _wait(lambda: lk.frames == 1)
    snap = lk.snapshot()
    assert snap["board"]["mode"] == "collect" and snap["seq"] == 3 and "boot" in snap["console"]
    assert lk.frame_bytes() == _frame(3)
    path = lk.start_recording()
    assert _read_commands(board, 1) == ["HF raw 1"]
    os.write(board, framed("R", _subpage(0)) + framed("E", _header()))  # a subpage before the header
    os.write(board, framed("R", _subpage(1)) + framed("R", _subpage(2)))
    assert _wait(lambda: lk.recorded == 2)
    assert lk.stop_recording() == path
    assert _read_commands(board, 1) == ["HF raw 0"]
    rec = read_recording(path)
    subs = list(rec.subpages())
    rec.close()
    assert rec.eeprom[:2] == [0x0001, 0x0203] and rec.settings["board"] == "test"
    assert [s[0] for s in subs] == [101, 102] and subs[0][2] == 0x0009 and subs[1][3] == 0x1901


def test_http_endpoints(link):
    lk, board = link
    _read_commands(board, 1)
    httpd = make_server(lk, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % httpd.server_address[1]
    try:
        with urllib.request.urlopen(base + "/frame") as r:
            assert r.status == 204
        os.write(board, framed("T", _frame(9)))
        assert _wait(lambda: lk.frames == 1)
        with urllib.request.urlopen(base + "/frame") as r:
            assert r.read() == _frame(9)
        with urllib.request.urlopen(base + "/palettes") as r:
            pals = json.loads(r.read())
        assert len(pals["ironbow"]) == 256 and pals["grayscale"][255] == [255, 255, 255]
        with urllib.request.urlopen(base + "/") as r:
            assert b"heatface live view" in r.read()
        req = urllib.request.Request(base + "/button?name=A&kind=press", method="POST")
        with urllib.request.urlopen(req) as r:
            assert json.loads(r.read()) == {"ok": True}
        assert _read_commands(board, 1) == ["HF press A"]
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(base + "/button?name=Z", method="POST"))
        assert err.value.code == 400
        req = urllib.request.Request(base + "/cardrec?on=1", method="POST")
        urllib.request.urlopen(req).read()
        assert _read_commands(board, 1) == ["HF sdrec 1"]
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.shutdown()
        httpd.server_close()
