"""Simulated SD card with fault injection, for :mod:`heatface.storage` tests and the simulator.

Under the MicroPython unix port it is a real FAT file system: a RAM block device formatted with
``vfs.VfsFat`` and mounted through :func:`heatface.storage.mount_sd`, so a full card raises
ENOSPC and a failing block write raises EIO exactly where FatFs meets them. Under CPython it is
a temporary host folder seen through :class:`FaultFs`, which imitates the same errors.
Either way the storage code under test is the same; pass ``card.fs`` (None on MicroPython,
meaning the real ``os``) and ``card.mount`` to :class:`heatface.storage.Storage`.

Faults: ``SimCard(present=False)`` / :meth:`SimCard.remove` (no card, or pulled between
captures), :meth:`SimCard.fill` (card full), :meth:`SimCard.fail_after` (write error after N
bytes), :meth:`SimCard.set_readonly` (read-only card).
"""

import os
import sys

from heatface.sdmount import mount_sd, umount_sd

IS_MICROPYTHON = sys.implementation.name == "micropython"

_EIO = 5
_ENOSPC = 28
_EROFS = 30
BLOCK_SIZE = 512


class RamBlockDevice:
    """A block device in RAM (one bytearray per block, so no large contiguous allocation),
    with the faults the card can show."""

    def __init__(self, blocks, block_size=BLOCK_SIZE):
        self.block_size = block_size
        self.blocks = [bytearray(block_size) for _ in range(blocks)]
        self.present = True
        self.readonly = False
        self.budget = None  # bytes that may still be written before a write error; None: no limit
        self.bytes_written = 0

    def readblocks(self, block, buf, offset=0):
        if not self.present:
            raise OSError(_EIO)
        self._copy(block, offset, buf, False)

    def writeblocks(self, block, buf, offset=0):
        if not self.present:
            raise OSError(_EIO)
        if self.readonly:
            raise OSError(_EROFS)
        if self.budget is not None:
            if len(buf) > self.budget:
                self.budget = 0
                raise OSError(_EIO)
            self.budget -= len(buf)
        self.bytes_written += len(buf)
        self._copy(block, offset or 0, buf, True)

    def _copy(self, block, offset, buf, write):
        # Byte by byte on purpose: no allocation, because FatFs may flush from a file's finaliser
        # while the heap is locked.
        bs = self.block_size
        block += offset // bs
        offset %= bs
        data = self.blocks[block]
        for i in range(len(buf)):
            if offset == bs:
                block += 1
                offset = 0
                data = self.blocks[block]
            if write:
                data[offset] = buf[i]
            else:
                buf[i] = data[offset]
            offset += 1

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.blocks)
        if op == 5:  # block size
            return self.block_size
        return 0


class PowerCut(BaseException):
    """The simulated power went off (a BaseException, so no ``except Exception`` handles it)."""


class ImageBlockDevice:
    """A block device over a disk-image file (e.g. made by ``mkfs.vfat``), for power-cut tests.

    Writes go straight to the file, one block at a time, so the file always holds exactly what a
    card would after the last completed block write. :meth:`cut_after` makes the power fail
    after that many more block writes: that write raises :class:`PowerCut` and the device is
    dead (later writes are dropped silently, as with no power, reads return zeros). ``undo``
    (a dict shared across the devices of one trial) keeps each block's original content, so
    :meth:`rollback` restores the image; ``writes`` counts single-block writes.
    """

    def __init__(self, path, block_size=BLOCK_SIZE, undo=None):
        self.block_size = block_size
        self._f = open(path, "r+b")
        self._f.seek(0, 2)
        self._blocks = self._f.tell() // block_size
        self.undo = {} if undo is None else undo
        self.writes = 0
        self._cut_at = None
        self.dead = False

    def cut_after(self, writes):
        """Power fails after ``writes`` more block writes (None: never)."""
        self._cut_at = None if writes is None else self.writes + writes

    def readblocks(self, block, buf, offset=0):
        if self.dead:
            for i in range(len(buf)):
                buf[i] = 0
            return
        self._f.seek(block * self.block_size + offset)
        self._f.readinto(buf)

    def writeblocks(self, block, buf, offset=0):
        if self.dead:  # first: no allocation, as FatFs may flush from a finaliser (heap locked)
            return
        bs = self.block_size
        if offset:  # a partial block: FatFs never does this, littlefs-style callers might
            whole = bytearray(bs)
            self.readblocks(block, whole)
            whole[offset:offset + len(buf)] = buf
            block, buf = block, whole
        mv = memoryview(buf)
        for i in range(len(buf) // bs):
            if self._cut_at is not None and self.writes >= self._cut_at:
                self.dead = True
                raise PowerCut()
            b = block + i
            if b not in self.undo:
                old = bytearray(bs)
                self._f.seek(b * bs)
                self._f.readinto(old)
                self.undo[b] = old
            self._f.seek(b * bs)
            self._f.write(mv[i * bs:(i + 1) * bs])  # unbuffered: no flush (which fsyncs)
            self.writes += 1

    def rollback(self):
        """Put back every block written since ``undo`` was empty."""
        for b in self.undo:
            self._f.seek(b * self.block_size)
            self._f.write(self.undo[b])
        self.undo.clear()

    def close(self):
        self._f.close()

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self._blocks
        if op == 5:  # block size
            return self.block_size
        return 0


class _FaultFile:
    """A host file opened for writing through :class:`FaultFs` (unbuffered, so sizes are true)."""

    def __init__(self, card, f):
        self._card = card
        self._f = f

    def write(self, data):
        card = self._card
        card.check(True)
        n = len(data)
        allowed = n
        error = None
        if card.capacity is not None:
            room = max(0, card.capacity - card.used_bytes())
            if room < allowed:
                allowed, error = room, _ENOSPC
        if card.budget is not None and card.budget < allowed:
            allowed, error = card.budget, _EIO
        if allowed:
            self._f.write(memoryview(data)[:allowed])
            if card.budget is not None:
                card.budget -= allowed
        if error is not None:
            if error == _EIO:
                card.budget = 0
            raise OSError(error, os.strerror(error))
        return n

    def read(self, *args):
        return self._f.read(*args)

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def flush(self):
        self._card.check(True)

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FaultFs:
    """The file-system interface of :class:`heatface.storage.OsFs` on a host folder, raising the
    errors a FAT card would (EIO when pulled, EROFS read-only, ENOSPC full, EEXIST on create)."""

    def __init__(self, card):
        self._card = card

    def names(self, path):
        self._card.check(False)
        return iter(os.listdir(path))

    def open(self, path, mode):
        writing = "w" in mode or "a" in mode or "+" in mode or "x" in mode
        self._card.check(writing)
        if writing:
            return _FaultFile(self._card, open(path, mode, buffering=0))
        return open(path, mode)

    def create(self, path):
        return self.open(path, "xb")

    def size(self, path):
        self._card.check(False)
        return os.stat(path)[6]

    def remove(self, path):
        self._card.check(True)
        os.remove(path)

    def mkdir(self, path):
        self._card.check(True)
        os.mkdir(path)


def _read_folder(path, skip):
    out = {}
    for name in os.listdir(path):
        if name in skip or os.stat(path + "/" + name)[0] & 0x4000:  # S_IFDIR
            continue
        with open(path + "/" + name, "rb") as f:
            out[name] = f.read()
    return out


_serial = [0]


class SimCard:
    """One simulated SD card; ``root`` is where its files appear (the captures folder).

    ``blocks`` sizes the MicroPython RAM card (512-byte blocks; 128 blocks leave 94 data clusters
    of 512 bytes after FAT12's fixed root directory). Call :meth:`close` when done.
    """

    def __init__(self, blocks=128, present=True):
        _serial[0] += 1
        self.present = present
        self.readonly = False
        self.budget = None
        self.capacity = None
        if IS_MICROPYTHON:
            import vfs

            self.root = "/sdsim%d" % _serial[0]
            self.fs = None  # storage uses the real os on the mounted FAT
            self.device = RamBlockDevice(blocks)
            vfs.VfsFat.mkfs(self.device)
            self.device.present = present
        else:
            import tempfile

            self.root = tempfile.mkdtemp(prefix="heatface-sd-")
            self.fs = FaultFs(self)
            self.device = None

    # --- what Storage gets --------------------------------------------------------------------

    def _factory(self):
        if not self.present:
            raise OSError("no SD card")  # the message micropython-lib's sdcard driver uses
        return self.device

    def mount(self):
        """Mount the card at ``root`` (Storage's ``mount`` callable); ``(ok, message)``."""
        if IS_MICROPYTHON:
            return mount_sd(self._factory, self.root, readonly=self.readonly)
        if not self.present:
            return False, "no SD card"
        return True, "SD card mounted at " + self.root

    # --- faults -------------------------------------------------------------------------------

    def remove(self):
        """Pull the card out: every access fails until :meth:`insert`."""
        self.present = False
        if self.device is not None:
            self.device.present = False

    def insert(self):
        self.present = True
        if self.device is not None:
            self.device.present = True

    def set_readonly(self, flag=True):
        """A write-protected card: mounts read-only (EROFS) and refuses block writes."""
        self.readonly = flag
        if self.device is not None:
            self.device.readonly = flag

    def fail_after(self, nbytes):
        """Fail with EIO once ``nbytes`` more bytes have been written (None: never)."""
        self.budget = nbytes
        if self.device is not None:
            self.device.budget = nbytes

    def fill(self, leave_bytes=0):
        """Fill the card so about ``leave_bytes`` stay free (a ``filler.bin`` on FAT)."""
        if IS_MICROPYTHON:
            self._ensure_mounted()
            st = os.statvfs(self.root)
            free = st[0] * st[4]
            size = free - leave_bytes
            if size > 0:
                chunk = bytearray(BLOCK_SIZE)
                with open(self.root + "/filler.bin", "wb") as f:
                    while size > 0:
                        n = min(size, BLOCK_SIZE)
                        f.write(chunk if n == BLOCK_SIZE else chunk[:n])
                        size -= n
        else:
            self.capacity = self.used_bytes() + leave_bytes

    def unfill(self):
        """Free the space :meth:`fill` took."""
        if IS_MICROPYTHON:
            self._ensure_mounted()
            try:
                os.remove(self.root + "/filler.bin")
            except OSError:
                pass
        else:
            self.capacity = None

    # --- inspection (bypasses faults) ---------------------------------------------------------

    def check(self, writing):
        """Raise the error the current faults imply (used by :class:`FaultFs`)."""
        if not self.present:
            raise OSError(_EIO, "SD card not responding")
        if writing and self.readonly:
            raise OSError(_EROFS, os.strerror(_EROFS))

    def used_bytes(self):
        total = 0
        for name in os.listdir(self.root):
            total += os.stat(self.root + "/" + name)[6]
        return total

    def put(self, name, data):
        """Write a file onto the card directly (set-up for tests; the card must be healthy)."""
        self._ensure_mounted()
        with open(self.root + "/" + name, "wb") as f:
            f.write(data)

    def files(self, skip=("filler.bin", ".heatface.jnl")):
        """Every file in the card's root as name -> bytes (folders and ``skip`` left out), read as
        a PC would after pulling the card: on MicroPython through a fresh read-only mount of the
        block device, with the faults suspended."""
        if not IS_MICROPYTHON:
            return _read_folder(self.root, skip)
        import vfs

        dev = self.device
        saved = (dev.present, dev.readonly, dev.budget)
        dev.present, dev.readonly, dev.budget = True, True, None
        point = self.root + "chk"
        vfs.mount(vfs.VfsFat(dev), point, readonly=True)
        try:
            return _read_folder(point, skip)
        finally:
            vfs.umount(point)
            dev.present, dev.readonly, dev.budget = saved

    def _ensure_mounted(self):
        if IS_MICROPYTHON:
            try:
                os.stat(self.root)
                return
            except OSError:
                pass
            ok, message = self.mount()
            if not ok:
                raise OSError(message)

    def close(self):
        """Unmount (MicroPython) or delete the host folder (CPython)."""
        if IS_MICROPYTHON:
            umount_sd(self.root)
            self.device = None
        else:
            import shutil

            shutil.rmtree(self.root, ignore_errors=True)
