"""Scene sources: CSV and .npy replay, with and without ambient, looping, bad files."""

import os
from array import array

from heatface_sim.scene import ConstantScene, ReplayScene
from mptest import raises

TMP = "out/test_sim_scene"


def _mkdir(path):
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        try:
            os.mkdir("/".join(parts[:i]))
        except OSError:
            pass


def _write(name, data):
    _mkdir(TMP)
    path = TMP + "/" + name
    with open(path, "wb") as f:
        f.write(data)
    return path


def _frame_line(base, ambient=None):
    vals = ["%.2f" % (base + i * 0.01) for i in range(768)]
    if ambient is not None:
        vals.insert(0, "%.1f" % ambient)
    return (",".join(vals) + "\n").encode()


def test_csv_with_ambient_loops():
    path = _write("a.csv", b"# two frames\n" + _frame_line(20.0, 18.5) + _frame_line(30.0, 19.5))
    scene = ReplayScene(path)
    temps = array("f", [0.0] * 768)
    assert scene.next_frame(temps) == 18.5
    assert abs(temps[767] - 27.67) < 1e-4
    assert scene.next_frame(temps) == 19.5
    assert abs(temps[0] - 30.0) < 1e-4
    assert scene.next_frame(temps) == 18.5  # looped
    assert scene.frames_played == 3
    scene.close()


def test_csv_without_ambient_uses_default():
    path = _write("b.csv", _frame_line(25.0))
    scene = ReplayScene(path, ambient=21.0)
    temps = array("f", [0.0] * 768)
    assert scene.next_frame(temps) == 21.0
    assert abs(temps[100] - 26.0) < 1e-4
    scene.close()


def test_csv_bad_line_is_a_clear_error():
    path = _write("c.csv", b"1,2,3\n")
    scene = ReplayScene(path)
    err = raises(ValueError, scene.next_frame, array("f", [0.0] * 768))
    assert "768" in str(err)
    scene.close()


def _npy(values, descr="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, 768), }" % (descr, len(values) // 768)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    head = b"\x93NUMPY\x01\x00" + bytes([len(header) & 0xFF, len(header) >> 8]) + header.encode()
    body = array("f" if descr == "<f4" else "d", values)
    return head + bytes(body)


def test_npy_float32_replay():
    values = [float(i % 50) for i in range(2 * 768)]
    path = _write("d.npy", _npy(values))
    scene = ReplayScene(path, ambient=22.0)
    temps = array("f", [0.0] * 768)
    assert scene.next_frame(temps) == 22.0
    assert temps[49] == 49.0 and temps[50] == 0.0
    scene.next_frame(temps)
    assert temps[0] == values[768]
    scene.next_frame(temps)
    assert temps[49] == 49.0
    scene.close()


def test_not_npy_rejected():
    path = _write("e.npy", b"garbage")
    raises(ValueError, ReplayScene, path)


def test_constant_scene():
    scene = ConstantScene([30.0] * 768, ambient=20.0)
    temps = array("f", [0.0] * 768)
    assert scene.next_frame(temps) == 20.0 and temps[5] == 30.0
    raises(ValueError, ConstantScene, [1.0])
