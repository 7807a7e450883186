"""All-or-nothing captures on FAT: an undo journal between FatFs and the SD card's blocks.

FAT has no atomic update: a new file is a directory entry, FAT entries in two FAT copies, data
blocks and on FAT32 the free-space summary, written one block at a time in FatFs's order, and a
power cut between two of them leaves lost clusters, disagreeing FAT copies or (with a rename)
two files on the same clusters. So :func:`heatface.storage.mount_sd` mounts the card through a
:class:`JournalDevice`, and a capture (its file and its manifest line) is one transaction:

1. :meth:`JournalDevice.begin` marks the journal header block active;
2. before FatFs's first write to any block during the transaction, that block's old content is
   copied to a free slot of the journal and the header records (block, slot): two block writes,
   each atomic, made before the block itself changes;
3. :meth:`JournalDevice.end` marks the header idle: the transaction is committed.

At start-up :meth:`JournalDevice.recover` finds an active header (the power went in the middle)
and writes every saved block back, which puts the card exactly as it was before the capture:
``fsck.vfat`` finds nothing, and no block a complete file uses is ever touched. All-zero writes
are not saved: FatFs writes them only to clear clusters it has just taken from free space, which
the restored FAT frees again (heatface's transactions only create files, append and delete files
they created).

The journal is the file ``.heatface.jnl`` (``SLOTS`` + 1 blocks) in the card's root, created
once; its block numbers are learnt at every mount by writing a recognisable pattern through FatFs
and watching which blocks receive it. Only that one-time creation runs unprotected.
"""

import struct

from heatface.compat import ticks_ms

JOURNAL_NAME = ".heatface.jnl"
SLOTS = 24
_MAGIC = b"HFJ1"
_LEARN = b"HFJL"
_IDLE = 0
_ACTIVE = 1
_EFBIG = 27
_BS = 512

_mounted = {}  # mount point -> JournalDevice


class JournalDevice:
    """A block device (``readblocks``/``writeblocks``/``ioctl``) that journals transactions on
    the device it wraps; see the module notes. FatFs mounts this object."""

    def __init__(self, device):
        self.device = device
        self.header_block = -1  # where the journal lives, once learnt
        self.slot_blocks = [-1] * SLOTS
        self.active = False
        self._nonce = 0
        self._learning = False
        self._count = 0
        self._saved = [0] * SLOTS  # block numbers saved in this transaction
        self._digests = [0] * (2 * SLOTS)  # per block: digests of its last two new contents
        self._header = bytearray(_BS)
        self._old = bytearray(_BS)
        self._zero = bytes(_BS)

    # --- the block-device protocol (what FatFs calls) ---------------------------------------

    def readblocks(self, block, buf, offset=0):
        if offset:
            self.device.readblocks(block, buf, offset)
        else:
            self.device.readblocks(block, buf)

    def writeblocks(self, block, buf, offset=0):
        if offset or len(buf) % _BS:
            raise OSError(22)  # FatFs writes whole blocks; nothing else mounts this device
        if self.active or self._learning:
            mv = memoryview(buf)
            for i in range(len(buf) // _BS):
                part = mv[i * _BS:(i + 1) * _BS]
                if self._learning:
                    self._learn(block + i, part)
                elif part != self._zero:
                    self._save(block + i, part)
        self.device.writeblocks(block, buf)

    def ioctl(self, op, arg):
        return self.device.ioctl(op, arg)

    # --- transactions -----------------------------------------------------------------------

    def ready(self):
        """True once the journal's blocks are known (after :meth:`recover`)."""
        return self.header_block >= 0

    def begin(self):
        """Start a transaction: from now on every block FatFs changes can be put back."""
        if not self.ready():
            return
        self._count = 0
        self._write_header(_ACTIVE)
        self.active = True

    def end(self):
        """Commit: the transaction's writes stay."""
        if self.active:
            self.active = False
            self._write_header(_IDLE)

    def _save(self, block, new):
        """Before ``block`` changes: its old content to a slot (the first time), and in the
        header the block, the slot and a digest of what it is about to hold."""
        saved = self._saved
        i = 0
        while i < self._count and saved[i] != block:
            i += 1
        if i == self._count:
            if i == SLOTS:
                raise OSError(_EFBIG)  # more than the journal holds: FatFs reports a disk error
            self.device.readblocks(block, self._old)
            self.device.writeblocks(self.slot_blocks[i], self._old)
            saved[i] = block
            self._count += 1
            self._digests[2 * i] = 0
        else:
            self._digests[2 * i] = self._digests[2 * i + 1]  # the cut may come before this write
        self._digests[2 * i + 1] = digest(new)
        self._write_header(_ACTIVE)

    def _write_header(self, state):
        h = self._header
        struct.pack_into("<4sIII", h, 0, _MAGIC, state, self._count, self.header_block)
        for i in range(self._count):
            struct.pack_into("<IIII", h, 16 + 16 * i, self._saved[i], self.slot_blocks[i],
                             self._digests[2 * i], self._digests[2 * i + 1])
        self.device.writeblocks(self.header_block, h)

    def _learn(self, block, part):
        if part[0:4] == _LEARN and struct.unpack_from("<I", part, 4)[0] == self._nonce:
            index = struct.unpack_from("<i", part, 8)[0]
            if index < 0:
                self.header_block = block
            elif index < SLOTS:
                self.slot_blocks[index] = block

    # --- start-up ---------------------------------------------------------------------------

    def recover(self, mount_point, remount):
        """Undo a transaction a power cut interrupted, then (re)learn where the journal is.

        ``remount()`` mounts this device at ``mount_point`` again (FatFs must forget what it
        cached of the blocks being put back). Returns the number of blocks restored, -1 when
        the card was changed elsewhere since (then nothing is undone).
        Raises OSError when the card cannot be read or written.
        """
        path = mount_point.rstrip("/") + "/" + JOURNAL_NAME
        header = None
        try:
            with open(path, "rb") as f:
                header = f.read(_BS)
        except OSError as exc:
            if not exc.args or exc.args[0] != 2:
                raise
        self.active = False
        restored = 0
        if header and len(header) == _BS and header[0:4] == _MAGIC:
            state, count, header_block = struct.unpack_from("<III", header, 4)
            if state == _ACTIVE and count <= SLOTS:
                from heatface.sdmount import _vfs

                _vfs().umount(mount_point)
                restored = self._undo(header, count)
                self.device.writeblocks(header_block, self._zero)  # nothing left to undo
                remount()
        self._locate(path)
        return restored

    def _undo(self, header, count):
        """Put the saved blocks back, unless the card changed since (a PC wrote to it): each
        block must still hold what the transaction left there, or its saved old content.
        Returns the number of blocks restored (-1: the card changed, nothing undone)."""
        cur = bytearray(_BS)
        old = self._old
        for i in range(count):
            block, slot, before, last = struct.unpack_from("<IIII", header, 16 + 16 * i)
            self.device.readblocks(block, cur)
            self.device.readblocks(slot, old)
            d = digest(cur)
            if d != last and d != before and cur != old:
                return -1
        for i in range(count):
            block, slot = struct.unpack_from("<II", header, 16 + 16 * i)
            self.device.readblocks(slot, old)
            self.device.writeblocks(block, old)
        return count

    def _locate(self, path):
        """Write the learning pattern into every block of the journal file (creating it the first
        time) and note which device blocks receive it."""
        import os

        self._nonce = (self._nonce + 1 + (ticks_ms() & 0xFFFF)) & 0x7FFFFFFF  # no stale match
        block = bytearray(_BS)
        block[0:4] = _LEARN
        struct.pack_into("<I", block, 4, self._nonce)
        self.header_block = -1
        for i in range(SLOTS):
            self.slot_blocks[i] = -1
        try:
            exists = os.stat(path)[6] == _BS * (SLOTS + 1)
        except OSError:
            exists = False
        self._learning = True
        try:
            with open(path, "r+b" if exists else "wb") as f:
                for i in range(-1, SLOTS):
                    struct.pack_into("<i", block, 8, i)
                    f.write(block)
        finally:
            self._learning = False
        if self.header_block < 0 or -1 in self.slot_blocks:
            self.header_block = -1
            raise OSError(5)


def digest(block):
    """A 32-bit digest of a block's bytes (to recognise it, not to resist tampering)."""
    h = 0
    for i in range(len(block)):
        h = (h * 31 + block[i]) & 0x3FFFFFFF  # a small int on every port: no allocation
    return h


def register(mount_point, device):
    """Remember the journal device mounted at ``mount_point`` (by :func:`heatface.storage.mount_sd`)."""
    _mounted[mount_point.rstrip("/") or "/"] = device


def forget(mount_point):
    _mounted.pop(mount_point.rstrip("/") or "/", None)


def find(path):
    """(mount point, JournalDevice) of the journaled card holding ``path``, or (None, None)."""
    best = None
    for point in _mounted:
        if (path == point or path.startswith(point + "/")) and (best is None or len(point) > len(best)):
            best = point
    return (best, _mounted[best]) if best is not None else (None, None)
