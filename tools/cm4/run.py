"""Run code on the emulated Cortex-M4F board and count its instructions: the API other tools use.

Python (with tools/cm4 on sys.path)::

    from run import CM4, run_on_cm4, count_instructions

    out = run_on_cm4("import heatface.render; print('ok')", form="mpy")       # -> str
    n = count_instructions("f(x)", setup="from m import f; x = 3", form="frozen")  # -> int

    with CM4(form="default", files={"/bench.py": "tools/bench/x.py"}) as board:
        board.exec("import bench")                  # output as str; BoardError on an exception
        n = board.instructions("bench.frame()", setup="bench.setup()")
        board.reset()                               # soft reset: fresh heap

``form``: default (what ``make deploy`` uses), py, mpy, romfs or frozen (tools/cm4/images.py).
``files`` maps board paths to host paths or bytes; paths under /rom/ go into the ROMFS segment
(precompiled when .py), others onto the filesystem. The test infrastructure (tests/, the simulated
hardware, tools/cm4/lightboard.py) is in /rom and importable. ``heap_bytes`` defaults to the Wio
Terminal's 176,876. Instruction counts need ``icount=True`` (the default): QEMU then runs with
``-icount shift=0`` and one guest microsecond is 1,000 instructions; a count has a resolution of
1,000 instructions and excludes the measuring code itself (a calibrated empty run is subtracted).

Command line::

    python tools/cm4/run.py [--form F] [--heap N] [--file /board/path=host/path ...] -c CODE
    python tools/cm4/run.py ... --count CODE [--setup CODE]       prints the instruction count
    python tools/cm4/run.py ... --board                           boots a board, prints its pty
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import images  # noqa: E402
from qemu import Board, BoardError, WIO_HEAP_BYTES  # noqa: E402

__all__ = ["CM4", "run_on_cm4", "count_instructions", "BoardError", "WIO_HEAP_BYTES"]

# Defined on the board once per boot: runs a compiled snippet between two reads of the guest clock.
_COUNTER = """
import time as _t
def _hf_count(_code, _g, _n):
    _c = compile(_code, "count", "exec")
    _t0 = _t.ticks_us()
    for _i in range(_n):
        exec(_c, _g)
    return _t.ticks_diff(_t.ticks_us(), _t0)
"""


class CM4:
    """A booted board in one deployment form (context manager); see the module docstring."""

    def __init__(self, form="default", files=None, heap_bytes=None, icount=True, workdir=None):
        self.form = images.resolve_form(form)
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hf-cm4-img-")
            workdir = self._tmp.name
        self.images = images.board_images(self.form, workdir, extra_files=files)
        self.heap_bytes = heap_bytes or WIO_HEAP_BYTES
        self.icount = icount
        self.board = None
        self._boot()

    def _boot(self):
        self.board = Board(self.images["firmware"], disk=self.images["disk"], romfs=self.images["romfs"],
                           heap_bytes=self.heap_bytes, icount=self.icount)
        self._counter_ready = False

    def exec(self, code, timeout=1200):
        """Run ``code`` (str) in the raw REPL; return what it printed (str)."""
        if self.board is None:
            self._boot()
        try:
            return self.board.exec(code, timeout=timeout).decode(errors="replace").replace("\r\n", "\n")
        except BoardError:
            if self.board.proc.poll() is not None:
                self.board = None
            raise

    def eval(self, expression):
        """The value of a Python literal expression evaluated on the board (repr round trip)."""
        import ast

        return ast.literal_eval(self.exec("print(repr(%s))" % expression).strip())

    def reset(self):
        """Soft reset: a fresh interpreter and heap, the filesystem kept."""
        self.board.soft_reset()
        self._counter_ready = False

    def instructions(self, code, setup=None, repeat=1):
        """Instructions one run of ``code`` takes on the board (mean of ``repeat`` runs), after
        ``setup`` ran once; both share one namespace (the board's globals)."""
        if not self.icount:
            raise RuntimeError("instruction counts need icount=True")
        if not self._counter_ready:
            self.exec(_COUNTER)
            self._counter_ready = True
        if setup:
            self.exec(setup)
        g = "globals()"
        empty = self.eval("_hf_count('pass', %s, %d)" % (g, repeat))
        us = self.eval("_hf_count(%r, %s, %d)" % (code, g, repeat))
        return max(0, us - empty) * 1000 // repeat

    def close(self):
        if self.board:
            self.board.close()
            self.board = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_on_cm4(code, files=None, form="default", heap_bytes=None, icount=True, timeout=1200):
    """Boot a board in ``form`` with ``files``, run ``code``, return its output (str)."""
    with CM4(form, files, heap_bytes, icount) as board:
        return board.exec(code, timeout=timeout)


def count_instructions(code, setup=None, files=None, form="default", heap_bytes=None, repeat=1):
    """Instructions one run of ``code`` takes on a fresh board in ``form`` after ``setup``."""
    with CM4(form, files, heap_bytes) as board:
        return board.instructions(code, setup, repeat)


def _files_arg(pairs):
    files = {}
    for pair in pairs or ():
        dest, src = pair.split("=", 1)
        files[dest] = src
    return files


def main():
    ap = argparse.ArgumentParser(description="run code on the emulated Cortex-M4F board")
    ap.add_argument("--form", default="default", help="default, " + ", ".join(images.FORMS))
    ap.add_argument("--heap", type=int, help="GC heap bytes (default %d, the Wio Terminal's)" % WIO_HEAP_BYTES)
    ap.add_argument("--file", action="append", metavar="BOARD_PATH=HOST_PATH")
    ap.add_argument("--no-icount", action="store_true", help="run at full speed (no instruction counts)")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("-c", metavar="CODE", help="run CODE, print its output")
    what.add_argument("--count", metavar="CODE", help="print the instructions CODE takes")
    what.add_argument("--board", action="store_true", help="boot a board and keep it running")
    what.add_argument("script", nargs="?", help="run a host .py file on the board")
    ap.add_argument("--setup", metavar="CODE", help="with --count: run first, not counted")
    args = ap.parse_args()
    with CM4(args.form, _files_arg(args.file), args.heap, not args.no_icount) as board:
        if args.board:
            board.board.transport.exit_raw_repl()
            board.board.transport.close()
            print("cm4 board (%s form, %d-byte heap) on %s: mpremote connect %s; Ctrl-C stops it"
                  % (board.form, board.heap_bytes, board.board.pty, board.board.pty), flush=True)
            try:
                while board.board.proc.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        elif args.count:
            print(json.dumps({"instructions": board.instructions(args.count, args.setup)}))
        else:
            code = args.c
            if args.script:
                with open(args.script) as f:
                    code = f.read()
            try:
                sys.stdout.write(board.exec(code))
            except BoardError as exc:
                sys.stdout.write(exc.output.decode(errors="replace"))
                sys.stderr.write(str(exc))
                sys.exit(1)


if __name__ == "__main__":
    main()
