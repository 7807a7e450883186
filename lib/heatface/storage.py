"""Capture storage on the SD card: crash-safe ``<label>.<n>.jpg`` files and a capture manifest.

Files are named as the seed and Edge Impulse expect, ``face0.13.jpg``: the label, the capture
number, ``.jpg``. Numbers start at 0 per label; the next free number is found once at start-up
(one directory listing), then counted up in memory.

Crash safety: each capture is written to ``.tmp-<label>.<n>.jpg``, flushed (and ``os.sync()``ed
where the port has it), then renamed to its final name. A power cut or card fault therefore
leaves at most a temporary file, never a truncated ``<label>.<n>.jpg``; temporaries are deleted at
the next start-up. Only after the rename does one complete line go into ``captures.csv``::

    name,label,n,burst,ta,ms
    face0.13.jpg,face0,13,12,24.50,123456

``burst`` is the number of the first capture of the press the file belongs to (the press's own
frame and the frames of its long-press burst share it), so the host can keep bursts together when it splits the data set.
A crash mid-line leaves a partial last line; readers skip malformed lines and the next start-up
begins a fresh line.

Faults never raise into the app loop: :meth:`Storage.save` returns None, ``storage.ready`` turns
False and ``storage.status`` holds a short message for the screen. Live view goes on; the next
save (or an explicit :meth:`Storage.retry`) re-mounts and re-scans first.

Mounting is separate (:func:`mount_sd`) and takes the block device from the board profile, so
this module never touches ``machine``.
"""

import os

from heatface.compat import ticks_ms

TMP_PREFIX = ".tmp-"
MANIFEST_HEADER = "name,label,n,burst,ta,ms\n"

_EACCES = 13
_ENOSPC = 28
_EROFS = 30
_EPERM = 1


def mount_sd(device, mount_point="/sd", readonly=False):
    """Mount a FAT-formatted block device at ``mount_point``; return ``(ok, message)``.

    ``device`` is a block device (``readblocks``/``writeblocks``/``ioctl``), e.g. micropython-lib's
    ``sdcard.SDCard(spi, cs)`` on the Wio Terminal or ``machine.SDCard()`` on an ESP32, or a
    factory (a callable) that constructs one; a factory lets :meth:`Storage.retry` re-initialise a
    card that was pulled and pushed back. A card already mounted there is unmounted first.
    Never raises for a missing or unreadable card.
    """
    try:
        import vfs
    except ImportError:  # MicroPython before 1.23 kept these in os
        vfs = os
    try:
        if not hasattr(device, "readblocks"):
            device = device()
        fs = vfs.VfsFat(device)
    except OSError as exc:
        if _errno(exc) is None and exc.args:  # the sdcard driver says e.g. "no SD card"
            return False, str(exc.args[0])
        return False, "no SD card (%s)" % _reason(exc)
    try:
        vfs.mount(fs, mount_point, readonly=readonly)
    except OSError as exc:
        if _errno(exc) != _EPERM:
            return False, "SD card mount failed (%s)" % _reason(exc)
        try:  # something is mounted there already (a pulled card): replace it
            vfs.umount(mount_point)
            vfs.mount(fs, mount_point, readonly=readonly)
        except OSError as exc2:
            return False, "SD card mount failed (%s)" % _reason(exc2)
    return True, "SD card mounted at " + mount_point


def umount_sd(mount_point="/sd"):
    """Unmount ``mount_point``; return True if something was unmounted."""
    try:
        import vfs
    except ImportError:
        vfs = os
    try:
        vfs.umount(mount_point)
        return True
    except OSError:
        return False


def _mount_adapter(mount_storage):
    """Turn a board's ``mount_storage()`` (which may return ``(ok, message)`` or a folder, or
    raise OSError when there is no card) into Storage's ``mount`` callable."""

    def mount():
        try:
            result = mount_storage()
        except OSError as exc:
            if _errno(exc) is None and exc.args:
                return False, str(exc.args[0])
            return False, "no SD card (%s)" % _reason(exc)
        if isinstance(result, tuple):
            return result
        return True, "SD card mounted"

    return mount


def _errno(exc):
    code = exc.args[0] if exc.args else None
    return code if isinstance(code, int) else None


def _reason(exc):
    code = _errno(exc)
    if code is None:
        return str(exc.args[0]) if exc.args else "error"
    return "errno %d" % code


class OsFs:
    """The file-system calls storage uses, on the real ``os`` (the default).

    Tests and the simulator pass another object with the same methods to count calls or inject
    faults; the storage logic is the same either way.
    """

    def listdir(self, path):
        return os.listdir(path)

    def open(self, path, mode):
        return open(path, mode)

    def remove(self, path):
        os.remove(path)

    def rename(self, old, new):
        os.rename(old, new)

    def mkdir(self, path):
        os.mkdir(path)

    def sync(self):
        sync = getattr(os, "sync", None)
        if sync is not None:
            sync()


def parse_name(name):
    """Split ``'face0.13.jpg'`` into ``('face0', 13)``; None for any other name."""
    parts = name.split(".")
    if len(parts) != 3 or parts[2] != "jpg" or not parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


class Storage:
    """Labelled captures in one folder of the SD card.

    ``root``: the captures folder (``"/sd"``, the card's root, by default; a sub-folder such as
    ``"/sd/captures"`` is created when missing, a top-level folder never is, so a missing card
    is not mistaken for an empty folder on internal flash). ``labels``: the label names.
    ``mount``: optional callable returning ``(ok, message)`` (e.g. ``lambda: mount_sd(factory)``)
    run by :meth:`start` and :meth:`retry`. ``manifest``: file name of the capture log in
    ``root`` (None or "" to disable). ``fs``: the file-system calls (default :class:`OsFs`).

    State for the screen: ``ready`` (captures possible), ``status`` (short text), ``counts``
    (label -> files on the card), ``next_n`` (label -> next number), ``last_name``.
    """

    def __init__(self, root="/sd", labels=("face0", "face1", "env"), mount=None,
                 manifest="captures.csv", fs=None, auto_retry=True):
        root = root.rstrip("/")
        self.root = root or "/"
        self._prefix = root + "/"
        self.labels = tuple(labels)
        self._mount = mount
        self._manifest = manifest or None
        self.fs = fs if fs is not None else OsFs()
        self.auto_retry = auto_retry
        self.ready = False
        self.status = "SD card not started"
        self.counts = {}
        self.next_n = {}
        self.last_name = ""
        self.last_n = -1
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
        """Mount (if a mount callable was given), list the folder once, delete stale temporaries,
        and find every label's next free number. Returns ``ready``."""
        self.ready = False
        if self._mount is not None:
            ok, message = self._mount()
            if not ok:
                self.status = message + ": capture off"
                return False
        try:
            names = self._listdir()
        except OSError as exc:
            self._fail(exc, "no SD card")
            return False
        for label in self.labels:
            self.counts[label] = 0
            self.next_n[label] = 0
        self._manifest_state = 0
        problem = None
        for name in names:
            if name.startswith(TMP_PREFIX):
                try:
                    self.fs.remove(self._prefix + name)
                except OSError as exc:
                    problem = exc
                continue
            if name == self._manifest:
                self._manifest_state = 1
                continue
            parsed = parse_name(name)
            if parsed is None or parsed[0] not in self.counts:
                continue
            label, n = parsed
            self.counts[label] += 1
            if n >= self.next_n[label]:
                self.next_n[label] = n + 1
        if self._manifest_state:
            self._check_manifest_tail()
        if problem is not None:  # a stale temporary could not be deleted: the card refuses writes
            self._fail(problem, "SD card")
            return False
        self.ready = True
        self.status = "SD ready"
        return True

    def retry(self):
        """Re-mount and re-scan after a fault (card re-inserted, space freed). Returns ``ready``."""
        return self.start()

    def _listdir(self):
        try:
            return self.fs.listdir(self.root)
        except OSError as exc:
            # Create a missing sub-folder of a mounted card, never a top-level folder.
            if _errno(exc) != 2 or self.root.count("/") < 2:
                raise
        self.fs.mkdir(self.root)
        return []

    def _check_manifest_tail(self):
        try:
            with self.fs.open(self._prefix + self._manifest, "rb") as f:
                f.seek(0, 2)
                if f.tell() == 0:
                    self._manifest_state = 0
                    return
                f.seek(-1, 2)
                last = f.read(1)
            self._manifest_state = 1 if last == b"\n" else 2
        except OSError:
            self._manifest_state = 2

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
        On failure nothing appears under a final name, the counter is not advanced, ``status``
        says why and ``ready`` turns False for card faults. When not ready, a save first tries
        :meth:`retry` (``auto_retry``), so re-inserting the card and pressing again just works.
        """
        if not self.ready and not (self.auto_retry and self.retry()):
            return None
        if label not in self.next_n:
            self.status = "unknown label " + str(label)
            return None
        n = self.next_n[label]
        name = "%s.%d.jpg" % (label, n)
        final = self._prefix + name
        tmp = self._prefix + TMP_PREFIX + name
        fs = self.fs
        f = None
        try:
            f = fs.open(tmp, "wb")
            if callable(data):
                data(f)
            else:
                written = f.write(data)
                if written is not None and written != len(data):
                    raise OSError(_ENOSPC)
            f.flush()
            f.close()
            f = None
            fs.sync()
            fs.rename(tmp, final)
        except Exception as exc:  # noqa: BLE001 - any failure must leave the card clean
            if f is not None:
                try:
                    f.close()
                except Exception:  # noqa: BLE001
                    pass
            try:
                fs.remove(tmp)
            except OSError:
                pass  # the card is gone or refuses writes: start-up removes it later
            if isinstance(exc, OSError):
                self._fail(exc, "SD write failed")
            else:
                self.status = "capture failed: %r" % (exc,)
            return None
        self.next_n[label] = n + 1
        self.counts[label] += 1
        self.last_name = name
        self.last_n = n
        if burst is True:
            burst = self._group.get(label, n)
        elif burst is False or burst is None or burst < 0:
            burst = n
        self._group[label] = burst
        if self._manifest is not None:
            if ms is None:
                ms = ticks_ms()
            ta_text = "" if ta is None else "%.2f" % ta
            self._append_manifest("%s,%s,%d,%d,%s,%d\n" % (name, label, n, burst, ta_text, ms))
        if self.ready:
            self.status = "saved " + name
        return name

    def _append_manifest(self, line):
        if self._manifest_state == 0:
            line = MANIFEST_HEADER + line
        elif self._manifest_state == 2:
            line = "\n" + line
        try:
            with self.fs.open(self._prefix + self._manifest, "ab") as f:
                f.write(line.encode())
            self._manifest_state = 1
        except OSError as exc:
            self._manifest_state = 2  # a partial line may be there: start the next one afresh
            self._fail(exc, "manifest not updated")

    def _fail(self, exc, what):
        code = _errno(exc)
        if code == _ENOSPC:
            text = "SD card full"
        elif code == _EROFS:
            text = "SD card read-only"
        elif code == _EACCES:
            text = "SD card refused write (folder full?)"
        elif code == 2 and what == "no SD card":
            text = "no SD card"
        else:
            text = "%s (%s), re-insert card" % (what, _reason(exc))
        self.ready = False
        self.status = text + ": capture off"
