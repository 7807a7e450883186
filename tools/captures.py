"""A folder of captures as the board writes them: ``<label>.<n>.jpg`` files and the
``captures.csv`` manifest that records each file's burst.

Frames of one long press (a burst) are near-duplicates, so every split must keep a burst whole.
:func:`load` finds each file's group: its burst from ``captures.csv`` when the manifest lists it,
else (no manifest, or a file it lacks) the block of ``block`` consecutive numbers of its label
(default 10, the board's burst length), since neighbouring captures are alike anyway. The label is
everything before the first dot, as Edge Impulse reads it. Shared by tools/dataset.py (stats,
split, export) and tools/training_data.py (the images as arrays for training).
"""

import os

MANIFEST = "captures.csv"


class Sample:
    """One capture file: where it is, its label and number, its group (burst) and image facts."""

    __slots__ = ("source", "name", "label", "n", "group", "session", "width", "height", "valid")

    def __init__(self, source, name, label, n):
        self.source = source
        self.name = name
        self.label = label
        self.n = n
        self.group = None
        self.session = None
        self.width = self.height = 0
        self.valid = False

    @property
    def path(self):
        return os.path.join(self.source, self.name)

    @property
    def key(self):
        return (os.path.abspath(self.source), self.name)


def parse_name(name):
    """``'face0.13.jpg'`` -> ``('face0', 13)``; None for other names (as on the device)."""
    parts = name.split(".")
    if len(parts) != 3 or parts[2].lower() != "jpg" or not parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def parse_any_name(name):
    """``(label, n)`` for any ``<label>.<rest>.jpg`` (Edge Impulse's rule: the label is the text
    before the first dot); ``n`` is the capture number for device names, else None. None for
    files that are not such JPEGs or are hidden (``.tmp-`` files are unfinished captures)."""
    parsed = parse_name(name)
    if parsed is not None:
        return parsed
    parts = name.split(".")
    if len(parts) < 3 or not parts[0] or parts[-1].lower() not in ("jpg", "jpeg"):
        return None
    return parts[0], None


def jpeg_size(data):
    """(width, height) from a baseline/progressive JPEG's frame header, or None if not a JPEG."""
    if len(data) < 4 or data[0:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > len(data):
                return None
            height = (data[i + 5] << 8) | data[i + 6]
            width = (data[i + 7] << 8) | data[i + 8]
            return width, height
        if marker == 0xDA:  # scan before any frame header
            return None
        i += 2 + length
    return None


def read_text(path):
    """A text file's content in whatever encoding it was saved (UTF-8, with or without BOM, else
    Latin-1/cp1252 from a spreadsheet): decoding never fails."""
    with open(path, "rb") as f:
        data = f.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def read_manifest(path):
    """name -> {"burst", "ta", "ms", "boot"} from a device ``captures.csv``.

    The columns are the board's (heatface.storage): ``name,label,n,burst,ta,ms`` and possibly
    more appended at the end; a header line names them. Malformed lines are skipped (a crash can
    leave a partial last line). ``boot`` counts restarts of the board: its ``ms`` clock starts
    again at each boot, so a line whose ms is below the previous line's begins a new session.
    Missing file: {}.
    """
    try:
        text = read_text(path)
    except OSError:
        return {}
    rows = {}
    columns = ("name", "label", "n", "burst", "ta", "ms")
    boot, last_ms = 0, None
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if fields and fields[0] == "name":
            columns = tuple(fields)
            continue
        if len(fields) < len(columns):
            continue
        row = dict(zip(columns, fields))
        name, label, n, burst = (row.get(k, "") for k in ("name", "label", "n", "burst"))
        parsed = parse_name(name)
        if parsed is None or parsed != (label, int(n) if n.isdigit() else -1) or not burst.isdigit():
            continue
        ms = int(row["ms"]) if row.get("ms", "").isdigit() else None
        if ms is not None:
            if last_ms is not None and ms < last_ms:
                boot += 1
            last_ms = ms
        try:
            ta = float(row.get("ta", ""))
        except ValueError:
            ta = None
        rows[name] = {"burst": int(burst), "ta": ta, "ms": ms, "boot": boot}
    return rows


def load(dirs, block=10):
    """Read every ``<label>.<n>.jpg`` (and other ``<label>.*.jpg``) in ``dirs``; return
    ``(samples, notes)``.

    Each sample gets ``group`` = (folder, label, kind, id): the manifest's burst when it lists the
    file (kind "burst"), else the block of ``block`` consecutive numbers it falls in ("block"),
    else the file itself ("file", names without a capture number), and ``session`` = (folder,
    boot) from the manifest (None when unknown).
    """
    samples = []
    notes = []
    for source in dirs:
        if not os.path.isdir(source):
            raise SystemExit("not a folder: %s" % source)
        bursts = read_manifest(os.path.join(source, MANIFEST))
        if not bursts:
            notes.append("%s: no %s, grouping numbers in blocks of %d" % (source, MANIFEST, block))
        unlisted = 0
        for name in sorted(os.listdir(source)):
            if name.startswith(".tmp-"):
                notes.append("%s: ignoring unfinished capture %s" % (source, name))
                continue
            parsed = parse_any_name(name)
            if parsed is None:
                continue
            sample = Sample(source, name, parsed[0], parsed[1])
            tag = os.path.abspath(source)
            row = bursts.get(name)
            if row is not None:
                sample.group = (tag, sample.label, "burst", row["burst"])
                sample.session = (tag, row["boot"])
            else:
                if bursts:
                    unlisted += 1
                if sample.n is None:
                    sample.group = (tag, sample.label, "file", name)
                else:
                    sample.group = (tag, sample.label, "block", sample.n // block)
            with open(sample.path, "rb") as f:
                size = jpeg_size(f.read())
            if size is not None:
                sample.width, sample.height = size
                sample.valid = True
            samples.append(sample)
        if unlisted:
            notes.append("%s: %d files missing from %s, grouped in blocks" % (source, unlisted, MANIFEST))
    samples.sort(key=lambda s: (s.label, s.source, -1 if s.n is None else s.n, s.name))
    return samples, notes
