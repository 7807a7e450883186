# mprun: heapsize=512K
"""The PC link on the simulated board, under both runtimes: the framed messages, the commands
(a capture through the same path as button A), raw subpages over the link."""

import io
import json
import os
import struct
from binascii import crc32

from heatface.stream import FRAME_BYTES, FRAME_META, MAGIC, Framer, parse_command
from heatface_sim.recording import decode_header, decode_subpage, read_messages
from mptest import IS_MICROPYTHON, skip
from simapp import rmtree, scratch, sim_app

CARD = scratch("test_stream_card")


def _app(**extra):
    """The app and simulated board with the PC link on a loopback serial port."""
    return sim_app(sim_serial="loopback", **extra)


def _messages(serial):
    return list(read_messages(io.BytesIO(bytes(serial.output))))


def test_message_layout_and_checksum():
    out = io.BytesIO()
    Framer(out).send("I", 5, b"hello")
    data = out.getvalue()
    assert data[:3] == MAGIC and data[3] == 1 and data[4] == ord("I")
    assert data[5] == 5 and data[6] == 0 and data[7:12] == b"hello"
    assert struct.unpack("<I", data[12:])[0] == crc32(data[3:12]) & 0xFFFFFFFF
    spoiled = data[:8] + b"x" + data[9:]
    try:
        list(read_messages(io.BytesIO(spoiled)))
        assert False, "a bad checksum must be reported"
    except ValueError as exc:
        assert "checksum" in str(exc)


def test_commands_parse():
    assert parse_command("HF press A") == ("press", "A")
    assert parse_command("HF stream 1\r") == ("stream", "1")
    assert parse_command("print('HF press A')") == ("", "")


def test_nothing_is_sent_until_asked():
    app, board = _app(start_mode="live")
    app.run(max_frames=3)
    assert board._serial.output == bytearray()


def test_stream_sends_frames_and_state():
    app, board = _app(start_mode="live")
    serial = board._serial
    serial.host_send("HF stream 1")
    app.run(max_frames=4)
    msgs = _messages(serial)
    frames = [p for k, p in msgs if k == "T"]
    infos = [json.loads(p.decode()) for k, p in msgs if k == "I"]
    assert len(frames) == 4, [k for k, _ in msgs]
    assert len(frames[-1]) == FRAME_BYTES
    seq, _, ambient, lo, hi, _, flags = struct.unpack_from(FRAME_META, frames[-1], 0)
    assert seq == 4 and flags == 0 and (lo, hi) == (25.0, 40.0)
    assert abs(ambient - app.ambient) < 1e-4
    assert frames[-1][28:] == bytes(app.temps)  # the board's own float32 values
    assert infos and infos[0]["mode"] == "live" and infos[0]["unit"] == "C"
    assert len(infos) < len(frames) + 1  # state only when it changed
    serial.host_send("HF stream 0")
    app.run(max_frames=6)
    assert len([k for k, _ in _messages(serial) if k == "T"]) == 4


def test_page_button_captures_like_button_a():
    rmtree(CARD)
    app, board = _app(start_mode="collect", sim_card_dir=CARD)
    serial = board._serial
    serial.host_send("HF stream 1")
    app.run(max_frames=2)
    serial.host_send("HF press A")
    app.run(max_frames=4)
    assert sorted(os.listdir(CARD)) == ["captures.csv", "face0.0.jpg"], os.listdir(CARD)
    infos = [json.loads(p.decode()) for k, p in _messages(serial) if k == "I"]
    assert infos[-1]["status"] == "Saved face0.0.jpg", infos[-1]
    assert infos[-1]["labels"]["A"] == "face0"


def test_raw_subpages_over_the_link():
    app, board = _app(start_mode="live")
    serial = board._serial
    serial.host_send("HF raw 1")
    app.run(max_frames=3)
    msgs = _messages(serial)
    kinds = [k for k, _ in msgs]
    assert kinds[0] == "E" and kinds.count("R") == 4, kinds  # from the next frame on
    _, ee, settings = decode_header(msgs[0][1])
    assert ee == list(board.sensor.eeprom) and settings["board"] == "sim"
    _, ram, status, control = decode_subpage(msgs[-1][1])
    assert status & 0x0008 and control == board.sensor.control
    assert ram[:2] == bytes(board.sensor.ram[:2])
    serial.host_send("HF raw 0")
    app.run(max_frames=6)  # commands are read after each frame: the next frame is still sent
    assert [k for k, _ in _messages(serial)].count("R") == 6


def test_an_idle_link_allocates_nothing_per_frame():
    import gc

    if not IS_MICROPYTHON:
        skip("heap use is measured on the MicroPython runtime")
    app, board = _app(start_mode="live")
    app.run(max_frames=20)
    gc.collect()
    before = gc.mem_alloc()
    app.run(max_frames=60)
    gc.collect()
    assert gc.mem_alloc() - before <= 0, gc.mem_alloc() - before


class _BrokenSerial:
    def write(self, buf):
        raise OSError(5)

    def read_line(self):
        return None


def test_a_broken_link_stops_streaming_not_the_app():
    app, board = _app(start_mode="live")
    from heatface.stream import Link

    app.link = Link(_BrokenSerial())
    app.link.command(app, "HF stream 1")
    app.run(max_frames=3)
    assert app.frames == 3 and not app.link.streaming
    assert app.status.startswith("PC link:"), app.status
    try:
        Framer(io.BytesIO()).send("I", 70000, b"")  # the length is checked before anything is sent
        assert False, "an oversized payload must be refused"
    except ValueError:
        pass
