"""The virtual board answers mpremote as a board does: fs, exec, run, mount, soft reset, Ctrl-C.

Every subprocess has a timeout and every board is stopped by its context manager.
"""

import hashlib
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from virtual_board import VirtualBoard  # noqa: E402

BIN = os.path.dirname(sys.executable)
MPREMOTE = os.path.join(BIN, "mpremote")


def mpremote(port, *args, timeout=120):
    """Run ``mpremote connect <port> args...``; return stdout; fail with its output on error.

    A call takes about 1 s; the timeout only catches a hang (mpremote alone took over 30 s to
    start on a starved CI machine)."""
    proc = subprocess.run([MPREMOTE, "connect", port] + list(args), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, "mpremote %s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr)
    return proc.stdout


@pytest.fixture
def board(tmp_path):
    with VirtualBoard(tmp_path / "board") as vb:
        yield vb


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_filesystem_is_the_root_folder(board):
    out = mpremote(board.port, "exec", "import os, sys; print(os.getcwd()); print(sys.path)")
    assert out.splitlines() == ["/", "['', '.frozen', '/lib']"]
    src = os.path.join(ROOT, "lib", "heatface", "grayscale.py")
    mpremote(board.port, "fs", "mkdir", ":lib", "+", "fs", "cp", src, ":/lib/grayscale.py")
    assert sha256(os.path.join(board.root, "lib", "grayscale.py")) == sha256(src)
    listing = mpremote(board.port, "fs", "ls", ":/lib")
    assert "grayscale.py" in listing
    out = mpremote(board.port, "fs", "sha256sum", ":lib/grayscale.py")
    assert out.split()[-1] == sha256(src)
    # a file written on the board by code lands in the folder too
    mpremote(board.port, "exec", "open('/note.txt', 'w').write('hi')")
    with open(os.path.join(board.root, "note.txt")) as f:
        assert f.read() == "hi"
    # the card folder is mounted at /sd
    mpremote(board.port, "exec", "open('/sd/x.bin', 'wb').write(bytes(range(256)))")
    with open(os.path.join(board.sd, "x.bin"), "rb") as f:
        assert f.read() == bytes(range(256))


def test_binary_file_round_trip(board, tmp_path):
    data = bytes(range(256)) * 40 + b"\r\n\n\r\x03\x04\x1a\x1c"
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    mpremote(board.port, "fs", "cp", str(src), ":blob.bin")
    back = tmp_path / "back.bin"
    mpremote(board.port, "fs", "cp", ":blob.bin", str(back))
    assert back.read_bytes() == data
    assert (open(os.path.join(board.root, "blob.bin"), "rb").read()) == data


def test_run_and_mount(board, tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "hostmod.py").write_text("VALUE = 6 * 7\n")
    script = tmp_path / "script.py"
    script.write_text("import sys\nprint('run', __name__, sys.platform)\n")
    assert mpremote(board.port, "run", str(script)).strip() == "run __main__ linux"
    out = mpremote(board.port, "mount", str(host), "exec", "import os, hostmod; print(os.getcwd(), hostmod.VALUE)")
    assert out.splitlines()[-1] == "/remote 42"


def test_soft_reset_clears_state_and_runs_boot(board):
    with open(os.path.join(board.root, "boot.py"), "w") as f:
        f.write("BOOTED = 1\n")
    # each mpremote session starts with a soft reset in the raw REPL (boot.py runs, main.py does not)
    mpremote(board.port, "exec", "x = 5")
    resets = board.resets
    out = mpremote(board.port, "resume", "exec", "print(x, BOOTED)")
    assert out.strip() == "5 1"
    mpremote(board.port, "soft-reset")
    assert board.resets > resets
    out = mpremote(board.port, "resume", "exec", "print('x' in globals(), BOOTED)")
    assert out.strip() == "False 1"


def test_sys_exit_is_a_soft_reset(board):
    proc = subprocess.run([MPREMOTE, "connect", board.port, "exec", "import sys; sys.exit()"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr  # a board reboots; mpremote may report the lost line
    assert mpremote(board.port, "exec", "print(1 + 1)").strip() == "2"


def test_power_on_runs_main_and_ctrl_c_interrupts_it(tmp_path):
    root = tmp_path / "board"
    root.mkdir()
    (root / "boot.py").write_text("print('boot ran')\n")
    (root / "main.py").write_text(
        "import time\nopen('/started', 'w').write('1')\nwhile True:\n    time.sleep(0.01)\n")
    with VirtualBoard(root) as vb:
        deadline = time.monotonic() + 10
        while not (root / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (root / "started").exists(), "main.py did not run at power-on"
        # mpremote's Ctrl-C stops the running main.py, as on a board
        assert mpremote(vb.port, "exec", "print('stopped main')").strip() == "stopped main"


def test_friendly_repl_ctrl_d_reboots_into_boot_and_main(board):
    import serial

    with open(os.path.join(board.root, "boot.py"), "w") as f:
        f.write("print('boot ran')\n")
    with open(os.path.join(board.root, "main.py"), "w") as f:
        f.write("print('main ran')\n")
    with serial.Serial(board.port, timeout=0.2) as s:

        def read_until(token, seconds=10):
            data = b""
            deadline = time.monotonic() + seconds
            while token not in data and time.monotonic() < deadline:
                data += s.read(4096)
            return data

        s.write(b"\r\x03\r\x02")
        assert read_until(b">>> ").endswith(b">>> ")
        s.write(b"\x04")
        out = read_until(b">>> ")
        assert b"MPY: soft reboot\r\n" in out
        assert out.index(b"boot ran") < out.index(b"main ran") < out.index(b"MicroPython")
        s.write(b"print(6 * 7)\r")
        assert b"42" in read_until(b"42")


def test_running_code_ignores_ctrl_c_bytes_when_kbd_intr_is_off(board):
    # mpremote mount streams file data with kbd_intr(-1): a 0x03 in it must stay data
    code = ("import micropython, sys\nmicropython.kbd_intr(-1)\n"
            "b = sys.stdin.buffer.read(3)\nmicropython.kbd_intr(3)\nprint(list(b))\n")
    import serial

    with serial.Serial(board.port, timeout=0.2) as s:
        s.write(b"\r\x03\r\x01")
        data = b""
        deadline = time.monotonic() + 10
        while not data.endswith(b"raw REPL; CTRL-B to exit\r\n>") and time.monotonic() < deadline:
            data += s.read(4096)
        s.write(code.encode() + b"\x04")
        ok = b""
        deadline = time.monotonic() + 10  # the reply's timing follows the machine's load, not the code
        while len(ok) < 2 and time.monotonic() < deadline:
            ok += s.read(2 - len(ok))
        assert ok == b"OK"
        time.sleep(0.3)
        s.write(b"\x03\x01\x03")
        out = b""
        deadline = time.monotonic() + 10
        while out.count(b"\x04") < 2 and time.monotonic() < deadline:
            out += s.read(4096)
        assert out.split(b"\x04")[0].strip() == b"[3, 1, 3]"
