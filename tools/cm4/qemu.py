"""Launch heatface's emulated Cortex-M4F board in QEMU and talk to it as mpremote talks to a board.

    board = Board(firmware_elf, disk="disk.img", romfs="romfs.img", heap_bytes=None, icount=True)
    board.exec("print(1)")          # raw REPL, returns the output (bytes); raises BoardError
    board.soft_reset()              # a fresh interpreter and heap, as mpremote's soft reset
    board.close()

The UART is a pty (``board.pty``), so ``mpremote connect <pty>`` works as well. Images are loaded
into guest memory with ``-device loader`` at the board's addresses (firmware/qemu_cm4/
mpconfigboard.h). ``icount=True`` runs with ``-icount shift=0``: guest time is the instruction
count, so ``time.ticks_us()`` on the board counts thousands of instructions.
"""

import os
import re
import struct
import subprocess
import tempfile
import time

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

QEMU = os.environ.get("HF_QEMU", "qemu-system-arm")
MACHINE = "mps2-an386"
CONFIG_ADDR = 0x21000000
ROMFS_ADDR = 0x21010000
ROMFS_MAX_BYTES = 0x00100000
DISK_ADDR = 0x21200000
DISK_BYTES = 0x00400000
CONFIG_MAGIC = 0x31434648
WIO_HEAP_BYTES = 176876  # the stock v1.28.0 Wio Terminal firmware's GC heap region


class BoardError(Exception):
    """The board raised (``.output`` holds what it printed first) or stopped answering."""

    def __init__(self, message, output=b""):
        super().__init__(message)
        self.output = output


class Board:
    """One emulated board: a QEMU process with its UART on a pty and a raw-REPL connection."""

    def __init__(self, firmware, disk=None, romfs=None, heap_bytes=None, icount=True, boot_timeout=30):
        self.heap_bytes = heap_bytes or WIO_HEAP_BYTES
        self._tmp = tempfile.TemporaryDirectory(prefix="hf-cm4-")
        romfs_bytes = 0
        loaders = []
        if romfs:
            romfs_bytes = os.path.getsize(romfs)
            if romfs_bytes > ROMFS_MAX_BYTES:
                raise ValueError("ROMFS image %s is %d bytes; the board holds %d" % (romfs, romfs_bytes, ROMFS_MAX_BYTES))
            loaders.append((romfs, ROMFS_ADDR))
        if disk:
            if os.path.getsize(disk) > DISK_BYTES:
                raise ValueError("disk image %s is larger than the RAM disk (%d bytes)" % (disk, DISK_BYTES))
            loaders.append((disk, DISK_ADDR))
        config = os.path.join(self._tmp.name, "config.bin")
        with open(config, "wb") as f:
            f.write(struct.pack("<III", CONFIG_MAGIC, self.heap_bytes, romfs_bytes))
        loaders.append((config, CONFIG_ADDR))
        args = [QEMU, "-machine", MACHINE, "-nographic", "-monitor", "null", "-semihosting",
                "-serial", "pty", "-kernel", firmware]
        for path, addr in loaders:
            args += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (path, addr)]
        if icount:
            args += ["-icount", "shift=0"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"char device redirected to (\S+)", line)
        if not m:
            self.proc.kill()
            raise BoardError("QEMU did not start: " + line + self.proc.stdout.read())
        self.pty = m.group(1)
        self.transport = SerialTransport(self.pty, baudrate=115200)
        try:
            self.transport.enter_raw_repl(soft_reset=False, timeout_overall=boot_timeout)
        except TransportError as exc:
            self.close()
            raise BoardError("the board did not answer: %s" % exc) from exc

    def exec(self, code, timeout=600, data_consumer=None):
        """Run ``code`` in the board's raw REPL; return its output (bytes). Raises BoardError with
        the board's traceback when the code raises, or on a timeout (the board is then closed)."""
        try:
            self.transport.exec_raw_no_follow(code)
            out, err = self.transport.follow(timeout, data_consumer)
        except TransportError as exc:
            self.close()
            raise BoardError("the board stopped answering: %s" % exc) from exc
        if err:
            raise BoardError(err.decode(errors="replace"), out)
        return out

    def soft_reset(self, timeout=60):
        """Soft-reset the board (a fresh heap, _boot.py runs again) and re-enter the raw REPL."""
        try:
            self.transport.serial.write(b"\x04")
            data = self.transport.read_until(1, b"soft reboot\r\n", timeout_overall=timeout)
            if not data.endswith(b"soft reboot\r\n"):
                raise TransportError("no soft reboot")
            data = self.transport.read_until(1, b"raw REPL; CTRL-B to exit\r\n", timeout_overall=timeout)
            if not data.endswith(b"raw REPL; CTRL-B to exit\r\n"):
                raise TransportError("no raw REPL after soft reboot")
        except TransportError as exc:
            self.close()
            raise BoardError("soft reset failed: %s" % exc) from exc

    def close(self):
        """Stop QEMU (idempotent)."""
        try:
            self.transport.close()
        except Exception:  # noqa: BLE001 - closing a dead pty
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
