"""Capture storage on the SD card: ``<label>.<n>.jpg`` files that survive power cuts, and a manifest.

Files are named as the seed and Edge Impulse expect, ``face0.13.jpg``: the label, the capture
number, ``.jpg``. Numbers start at 0 per label; the next free number is found once at start-up
(one streamed directory listing, so thousands of files cost no heap), then counted up in memory.
FAT compares names case-insensitively, so ``FACE0.5.JPG`` counts as capture 5 of ``face0``; a
file is always created with "create new" (``"xb"``), so an existing file is never overwritten.

Power cuts (FAT as FatFs writes it; :mod:`heatface_sim.sdcard` proves it block write by block
write): a capture is written once, under its final name, and closed, which stores its size and
first cluster in one directory-entry write; only then does one complete line go into
``captures.csv``, the capture's completion mark::

    name,label,n,burst,ta,ms
    face0.13.jpg,face0,13,12,24.50,123456

No rename, no temporary: a temporary renamed onto its final name leaves two directory entries on
the same clusters when the power goes between FatFs's two directory writes, and deleting the
temporary at the next start frees clusters the complete file still uses. Here every file owns its
clusters alone. At start-up the newest file of each label without a manifest line is checked:
a complete JPEG gets its missing line (``ta``/``ms`` empty), anything else (a cut mid-write) is
deleted, which frees only its own clusters. Older captures are never touched again. A power cut
can leave clusters allocated that no file uses (lost clusters, the FAT copies or the free-space
hint disagreeing until FatFs next writes that sector); they cost space, never a capture, and
``fsck.vfat -a`` reclaims them. ``.tmp-*`` files an older heatface left are never deleted for the
same reason (they may share clusters with a capture).

``burst`` is the number of the first capture of the press the file belongs to (the press's own
frame and the frames of its long-press burst share it), so the host can keep bursts together when
it splits the data set. A crash mid-line leaves a partial last line; readers skip malformed lines
and the next start-up begins a fresh line.

Faults never raise into the app loop: :meth:`Storage.save` returns None, ``storage.ready`` turns
False and ``storage.status`` holds a short message for the screen. Live view goes on; the next
save, or :meth:`Storage.poll` every ``retry_ms`` from the app loop, re-mounts and re-scans, so a
re-inserted card just works.

Mounting is separate (:func:`heatface.sdmount.mount_sd`, importable from here too) and takes the
block device from the board profile, so this module never touches ``machine``.
"""

import os

from heatface.compat import ticks_diff, ticks_ms
from heatface.sdmount import _errno, _mount_adapter, _reason, _vfs, mount_sd, umount_sd  # noqa: F401

MANIFEST_HEADER = "name,label,n,burst,ta,ms\n"

_ENOENT = 2
_EACCES = 13
_EEXIST = 17
_ENOSPC = 28
_EROFS = 30


class OsFs:
    """The file-system calls storage uses, on the real ``os`` (the default).

    Tests and the simulator pass another object with the same methods to count calls or inject
    faults; the storage logic is the same either way.
    """

    def names(self, path):
        """The names in folder ``path``, one at a time (``os.ilistdir`` where it exists)."""
        ilistdir = getattr(os, "ilistdir", None)
        if ilistdir is None:  # CPython
            return iter(os.listdir(path))
        return (entry[0] for entry in ilistdir(path))

    def open(self, path, mode):
        return open(path, mode)

    def create(self, path):
        """Open a new file for writing; raises OSError(EEXIST) if ``path`` exists (never
        overwrites). FAT has "create new" (``"xb"``); the unix port's host files ignore "x"."""
        try:
            os.stat(path)
            raise OSError(_EEXIST)
        except OSError as exc:
            if _errno(exc) != _ENOENT:
                raise
        try:
            return open(path, "xb")
        except OSError as exc:
            if _errno(exc) != _ENOENT:
                raise
        return open(path, "wb")  # a host folder: "x" unsupported, and the name was just free

    def size(self, path):
        """Size of the file at ``path`` in bytes; raises OSError when it does not exist."""
        return os.stat(path)[6]

    def remove(self, path):
        os.remove(path)

    def mkdir(self, path):
        os.mkdir(path)


def parse_name(name):
    """Split ``'face0.13.jpg'`` into ``('face0', 13)``; None for any other name. The extension
    is matched case-insensitively (FAT names are)."""
    parts = name.split(".")
    if len(parts) != 3 or parts[2].lower() != "jpg" or not parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def jpeg_complete(head, tail, size):
    """True when a file's first two and last two bytes frame a JPEG (SOI ... EOI)."""
    return size >= 4 and head == b"\xff\xd8" and tail == b"\xff\xd9"



class Storage:
    """Labelled captures in one folder of the SD card.

    ``root``: the captures folder (``"/sd"``, the card's root, by default; a sub-folder such as
    ``"/sd/captures"`` is created when missing, a top-level folder never is, so a missing card
    is not mistaken for an empty folder on internal flash). ``labels``: the label names (compared
    case-insensitively, as FAT does; a second spelling of a label is ignored). ``mount``: optional
    callable returning ``(ok, message)`` (e.g. ``lambda: mount_sd(factory)``) run by
    :meth:`start` and :meth:`retry`. ``manifest``: file name of the capture log in ``root``
    (None or "" to disable). ``fs``: the file-system calls (default :class:`OsFs`).
    ``retry_ms``: how often :meth:`poll` re-mounts a missing or failing card.

    State for the screen: ``ready`` (captures possible), ``status`` (short text), ``counts``
    (label -> files on the card), ``next_n`` (label -> next number), ``last_name``.
    """

    def __init__(self, root="/sd", labels=("face0", "face1", "env"), mount=None,
                 manifest="captures.csv", fs=None, auto_retry=True, retry_ms=3000):
        root = root.rstrip("/")
        self.root = root or "/"
        self._prefix = root + "/"
        self._keys = {}  # lower-case label -> label
        names = []
        for label in labels:
            if label.lower() not in self._keys:
                self._keys[label.lower()] = label
                names.append(label)
        self.labels = tuple(names)
        self._mount = mount
        self._manifest = manifest or None
        self.fs = fs if fs is not None else OsFs()
        self.auto_retry = auto_retry
        self.retry_ms = retry_ms
        self._retry_at = None  # poll() retries at once after a new fault
        self._card_fault = False  # the last failure was the card itself: poll() retries
        self._journal = None
        self.ready = False
        self.status = "SD card not started"
        self.counts = {}
        self.next_n = {}
        self.last_name = ""
        self.last_n = -1
        self.recovered = []  # what start-up repaired after a power cut, for the serial console
        self._group = {}  # label -> burst id of its last capture this session
        self._manifest_state = 0  # 0 missing (write a header first), 1 ends with a newline, 2 needs one
        for label in self.labels:
            self.counts[label] = 0
            self.next_n[label] = 0

    @classmethod
    def open(cls, board, config):
        """Storage for the app: folder, labels and manifest from ``config`` (see
        :mod:`heatface.config`), mounting through ``board.mount_storage()``; started."""
        from heatface.config import DEFAULTS

        labels = config.get("labels") or DEFAULTS["labels"]
        names = []
        for button in sorted(labels):
            if labels[button] not in names:
                names.append(labels[button])
        mount = getattr(board, "mount_storage", None)
        storage = cls(config.get("captures_dir", "/sd"), names,
                      mount=None if mount is None else _mount_adapter(mount),
                      manifest=config.get("manifest", "captures.csv"))
        storage.start()
        return storage

    # --- start-up ---------------------------------------------------------------------------

    def start(self):
        """Mount (if a mount callable was given), list the folder once, finish or delete a capture
        a power cut interrupted, and find every label's next free number. Returns ``ready``."""
        self.ready = False
        self._card_fault = True
        if self._mount is not None:
            ok, message = self._mount()
            if not ok:
                self.status = message + ": capture off"
                return False
        if not self._open_journal():
            return False
        try:
            top = self._scan()
        except OSError as exc:
            self._fail(exc, "no SD card")
            return False
        try:
            confirmed = self._read_manifest()
        except OSError as exc:
            self._fail(exc, "manifest %s unreadable" % self._manifest)
            return False
        for label in self.labels:
            try:
                self._recover(label, top[label], confirmed[label])
            except OSError as exc:
                if _errno(exc) != _EROFS:  # read-only: nothing to repair with; the next save says so
                    self._fail(exc, "SD card")
                    return False
                self.next_n[label] = max(top[label][1], confirmed[label]) + 1
        self.ready = True
        self.status = "SD ready"
        return True

    def _open_journal(self):
        """Undo a capture a power cut interrupted (see :mod:`heatface.fatjournal`)."""
        from heatface.fatjournal import find

        self._journal = None
        point, device = find(self.root)
        if device is None:
            return True  # not a card mount_sd journals (a host folder in the simulator)
        vfs = _vfs()
        try:
            restored = device.recover(point, lambda: vfs.mount(vfs.VfsFat(device), point))
        except OSError as exc:
            if _errno(exc) in (_ENOSPC, _EROFS):  # no room for it, or nothing can be written
                return True
            self._fail(exc, "SD card journal")
            return False
        if restored > 0:
            self.recovered.append("undid an interrupted capture (%d blocks)" % restored)
        elif restored < 0:
            self.recovered.append("an interrupted capture was not undone: the card was changed")
        self._journal = device
        return True

    def retry(self):
        """Re-mount and re-scan after a fault (card re-inserted, space freed). Returns ``ready``."""
        return self.start()

    def poll(self, now_ms=None):
        """Call often (the collect mode does, every frame): every ``retry_ms`` while the card is
        missing or failing, try :meth:`retry`, so capture comes back by itself."""
        if self.ready or not (self.auto_retry and self._card_fault):
            return self.ready
        now = ticks_ms() if now_ms is None else now_ms
        if self._retry_at is not None and ticks_diff(now, self._retry_at) < 0:
            return False
        ok = self.retry()
        self._retry_at = now + self.retry_ms
        return ok

    def _names(self):
        try:
            return self.fs.names(self.root)
        except OSError as exc:
            # Create a missing sub-folder of a mounted card, never a top-level folder.
            if _errno(exc) != _ENOENT or self.root.count("/") < 2:
                raise
        self.fs.mkdir(self.root)
        return iter(())

    def _scan(self):
        """One pass over the folder: counts and the newest file (name, number) per label."""
        top = {}
        for label in self.labels:
            self.counts[label] = 0
            top[label] = (None, -1)
        keys = self._keys
        for name in self._names():
            parsed = parse_name(name)
            if parsed is None:
                continue
            label = keys.get(parsed[0].lower())
            if label is None:
                continue
            self.counts[label] += 1
            if parsed[1] > top[label][1]:
                top[label] = (name, parsed[1])
        return top

    def _read_manifest(self):
        """Stream the manifest once: label -> highest number it has a complete line for."""
        confirmed = {}
        for label in self.labels:
            confirmed[label] = -1
        self._manifest_state = 0
        if self._manifest is None:
            return confirmed
        try:
            f = self.fs.open(self._prefix + self._manifest, "rb")
        except OSError as exc:
            if _errno(exc) == _ENOENT:
                return confirmed
            raise
        pending = b""
        last = b""
        with f:
            while True:
                chunk = f.read(512)
                if not chunk:
                    break
                last = chunk[-1:]
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                if len(pending) > 256:  # no line is this long: garbage, not a capture
                    pending = b""
                for line in lines:
                    self._confirm(line, confirmed)
        if last:
            self._manifest_state = 1 if last == b"\n" else 2
        return confirmed

    def _confirm(self, line, confirmed):
        parsed = parse_name(str(line.split(b",", 1)[0], "ascii", "ignore"))
        if parsed is not None:
            label = self._keys.get(parsed[0].lower())
            if label is not None and parsed[1] > confirmed[label]:
                confirmed[label] = parsed[1]

    def _recover(self, label, top, confirmed):
        """Finish or delete the newest capture of ``label`` if it has no manifest line."""
        name, n = top
        if n > confirmed:
            path = self._prefix + name
            size = self.fs.size(path)
            with self.fs.open(path, "rb") as f:
                head = f.read(2)
                f.seek(max(0, size - 2))
                tail = f.read(2)
            if jpeg_complete(head, tail, size):
                if self._manifest is not None:  # give the capture its missing line
                    self._append_manifest("%s,%s,%d,%d,,\n" % (name, label, n, n))
                    self.recovered.append("kept " + name)
            else:  # cut mid-write: it owns its clusters alone, so deleting it is safe
                self.fs.remove(path)
                self.counts[label] -= 1
                self.recovered.append("deleted incomplete " + name)
                n -= 1
        self.next_n[label] = (n if n > confirmed else confirmed) + 1

    # --- captures ---------------------------------------------------------------------------

    def count(self, label):
        """Files with ``label`` on the card (as counted at start-up plus this session's)."""
        return self.counts.get(label, 0)

    def save(self, label, data, burst=False, ta=None, ms=None):
        """Store one capture under ``label``; return its file name, or None on failure.

        ``data`` is the JPEG as bytes-like, or a callable ``data(f)`` writing it into the open
        file (e.g. ``lambda f: jpeg.write_gray(f, gray, 32, 24)``). ``burst``: False for a capture
        of its own (a press), True to join the group of this label's previous capture (the frames
        of a long press), or an explicit group number. ``ta`` (ambient degC) and ``ms``
        (ticks_ms, taken now when None) go into the manifest.
        The file and its manifest line are one journaled transaction on a card mounted by
        :func:`mount_sd`. On failure nothing stays under the new name (or start-up undoes it),
        the counter is not advanced, ``status`` says why and ``ready`` turns False for card
        faults. When not ready, a save first tries :meth:`retry` (``auto_retry``).
        """
        if not self.ready and not (self.auto_retry and self.retry()):
            return None
        if label not in self.next_n:
            self.status = "unknown label " + str(label)
            return None
        n = self.next_n[label]
        fs = self.fs
        journal = self._journal
        f = None
        path = None
        stage = "SD write failed"
        try:
            if journal is not None:
                journal.begin()
            for _ in range(100):  # a file the scan did not see (put there meanwhile): skip it
                path = self._prefix + "%s.%d.jpg" % (label, n)
                try:
                    f = fs.create(path)
                    break
                except OSError as exc:
                    if _errno(exc) != _EEXIST:
                        raise
                    n += 1
            if f is None:
                raise OSError(_EEXIST)
            if callable(data):
                data(f)
            else:
                written = f.write(data)
                if written is not None and written != len(data):
                    raise OSError(_ENOSPC)
            f.close()  # size and first cluster reach the card in one directory-entry write
            f = None
            if burst is True:
                burst = self._group.get(label, n)
            elif burst is False or burst is None or burst < 0:
                burst = n
            if self._manifest is not None:
                stage = None
                ta_text = "" if ta is None else "%.2f" % ta
                self._append_manifest("%s.%d.jpg,%s,%d,%d,%s,%d\n" % (
                    label, n, label, n, burst, ta_text, ticks_ms() if ms is None else ms))
            if journal is not None:
                journal.end()
        except Exception as exc:  # noqa: BLE001 - any failure must leave the card clean
            if f is not None:
                try:
                    f.close()
                except Exception:  # noqa: BLE001
                    pass
                try:
                    fs.remove(path)  # ours alone: no other file uses its clusters
                except OSError:
                    pass  # the card is gone or refuses writes: start-up undoes it
            if isinstance(exc, OSError):
                if journal is not None and _errno(exc) in (_ENOSPC, _EEXIST):
                    try:  # FatFs failed cleanly and the file is gone: nothing to undo
                        journal.end()
                    except OSError:
                        pass  # otherwise the journal stays open: start-up undoes the rest
                if stage is None:
                    self._fail(exc, "manifest %s not updated" % self._manifest, plain=True)
                else:
                    self._fail(exc, stage)
                return None
            self.status = "capture failed: %r" % (exc,)
            try:
                if journal is not None:
                    journal.end()
            except OSError as exc2:
                self._fail(exc2, "SD card")
            return None
        name = path[len(self._prefix):]
        self.next_n[label] = n + 1
        self.counts[label] += 1
        self.last_name = name
        self.last_n = n
        self._group[label] = burst
        self.status = "saved " + name
        return name

    def _append_manifest(self, line):
        """Append one line (raises OSError)."""
        if self._manifest_state == 0:
            line = MANIFEST_HEADER + line
        elif self._manifest_state == 2:
            line = "\n" + line
        self._manifest_state = 2  # until the line is complete
        with self.fs.open(self._prefix + self._manifest, "ab") as f:
            f.write(line.encode())
        self._manifest_state = 1

    def _fail(self, exc, what, plain=False):
        """Capture off, with the reason; ``plain``: say ``what`` and the error as they are."""
        code = _errno(exc)
        self._card_fault = code not in (_ENOSPC, _EROFS, _EACCES)
        if plain:
            text = "%s (%s)" % (what, _reason(exc))
        elif code == _ENOSPC:
            text = "SD card full"
        elif code == _EROFS:
            text = "SD card read-only"
        elif code == _EACCES:
            text = "SD card refused write (folder full?)"
        elif code == _ENOENT and what == "no SD card":
            text = "no SD card"
        else:
            text = "%s (%s), re-insert card" % (what, _reason(exc))
        self.ready = False
        self._retry_at = None
        self.status = text + ": capture off"
