"""Host tool for the captures pulled from the card: statistics, a burst-aware split, and export
for the Edge Impulse uploader.

Pull the card's files first, e.g. ``mpremote fs cp -r :/sd/ data/session1/``, then::

    python tools/dataset.py stats data/session1
    python tools/dataset.py split data/session1 --out data/split.csv
    python tools/dataset.py export data/session1 --split data/split.csv --out out/ei
    python tools/dataset.py from-recording data/recordings/rec.0.hfr --label face0 --out data/s2

Files are ``<label>.<n>.jpg`` (the label is everything before the first dot, as Edge Impulse
reads it). Frames of one long press (a burst) are near-duplicates, so a split that scatters them
leaks training images into validation/test. The device's ``captures.csv`` manifest records each
file's burst; without it (or for files it lacks) consecutive numbers of a label are grouped in
blocks of ``--block`` (default 10, the default burst length), since neighbouring captures are
alike anyway. Groups, never single files, are assigned to train/val/test, per label, in an order
fixed by a hash of the group's identity: the same input gives the same split on any machine.
Several folders (sessions, cards) may be given; their files are then exported with the folder's
name in the file name so they do not collide.
"""

import argparse
import csv
import hashlib
import os
import re
import shutil
import sys

SPLITS = ("train", "val", "test")
MANIFEST = "captures.csv"
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)
ROWS, COLS = 24, 32
DEFAULT_T_LO, DEFAULT_T_HI = 22.0, 37.0  # the seed's mapping, for JPEGs without a COM comment
_COMMENT_RE = re.compile(r"(t_lo|t_hi|ta|emissivity)=(-?[0-9.]+)")


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


def parse_comment(comment):
    """Key/value pairs of a heatface JPEG COM comment (bytes or str), e.g. ``heatface t_lo=22.0
    t_hi=37.0 ta=24.1 emissivity=0.95``; {} when absent."""
    if not comment:
        return {}
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "replace")
    return {k: float(v) for k, v in _COMMENT_RE.findall(comment)}


def read_gray(path):
    """(24x32 uint8 array, COM comment fields) of one capture; SystemExit naming the file when
    it is not a readable grayscale JPEG of the sensor's size."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            meta = parse_comment(im.info.get("comment"))
            gray = np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise SystemExit("%s: not a readable JPEG (%s); delete or replace it" % (path, exc))
    if gray.shape != (ROWS, COLS):
        raise SystemExit("%s is %dx%d; heatface images are %dx%d"
                         % (path, gray.shape[1], gray.shape[0], COLS, ROWS))
    return gray, meta


def load_images(dirs, block=10):
    """The images of ``dirs`` for training, as arrays; SystemExit with a clear message for a
    missing or empty folder, unreadable images, mixed t_lo/t_hi mappings or fewer than 2 labels.

    Returns a dict: ``x`` (N, 24, 32) uint8, ``labels`` (sorted), ``y`` (N,) label indices,
    ``groups`` (N,) burst keys (str), ``sessions`` (N,) session keys (str, "" when unknown),
    ``files`` (paths), ``t_lo``, ``t_hi``, ``notes`` (list of str) and ``burst_true`` (every
    file's burst comes from a captures.csv).
    """
    import numpy as np

    for d in dirs:
        if not os.path.isdir(d):
            raise SystemExit("no data folder %r (synthetic faces: make data; your captures: "
                             "make pull, then make train DATA=data/raw)" % d)
    samples, notes = load(dirs, block)
    if not samples:
        raise SystemExit("no <label>.<n>.jpg files in %s" % ", ".join(repr(d) for d in dirs))
    images, ranges = [], {}
    for s in samples:
        gray, meta = read_gray(s.path)
        images.append(gray)
        ranges.setdefault((meta.get("t_lo", DEFAULT_T_LO), meta.get("t_hi", DEFAULT_T_HI)), s.path)
    if len(ranges) > 1:
        raise SystemExit("the JPEGs were captured with different t_lo/t_hi mappings (%s); train on "
                         "one mapping at a time" % "; ".join("%.1f/%.1f e.g. %s" % (k + (v,))
                                                              for k, v in sorted(ranges.items())))
    labels = sorted({s.label for s in samples})
    if len(labels) < 2:
        raise SystemExit("need at least two labels, found %s" % labels)
    t_lo, t_hi = next(iter(ranges))
    multi = len(dirs) > 1
    return {"x": np.stack(images), "labels": labels,
            "y": np.array([labels.index(s.label) for s in samples]),
            "groups": np.array(["%s%s:%s:%s" % (os.path.basename(s.group[0]) + "/" if multi else "",
                                                s.label, s.group[2], s.group[3]) for s in samples]),
            "sessions": np.array(["" if s.session is None else "%s#%d" % s.session for s in samples]),
            "files": [s.path for s in samples], "t_lo": t_lo, "t_hi": t_hi, "notes": notes,
            "burst_true": all(s.group[2] == "burst" for s in samples)}


def label_stats(samples):
    """Per-label statistics: files, groups, largest group, number range, gaps, sizes, invalid."""
    out = {}
    for s in samples:
        st = out.setdefault(s.label, {"files": 0, "groups": {}, "numbers": [], "sizes": {},
                                      "invalid": 0, "sources": set()})
        st["files"] += 1
        st["sources"].add(s.source)
        st["groups"][s.group] = st["groups"].get(s.group, 0) + 1
        if s.n is not None:
            st["numbers"].append(s.n)
        if s.valid:
            key = "%dx%d" % (s.width, s.height)
            st["sizes"][key] = st["sizes"].get(key, 0) + 1
        else:
            st["invalid"] += 1
    result = {}
    for label, st in sorted(out.items()):
        numbers = sorted(st["numbers"]) or [-1]
        gaps = None  # numbers missing between first and last (one folder only)
        if len(st["sources"]) == 1 and st["numbers"]:
            gaps = numbers[-1] - numbers[0] + 1 - len(set(numbers))
        result[label] = {
            "files": st["files"],
            "groups": len(st["groups"]),
            "largest_group": max(st["groups"].values()),
            "first": numbers[0],
            "last": numbers[-1],
            "gaps": gaps,
            "sizes": st["sizes"],
            "invalid": st["invalid"],
        }
    return result


def _order(group, seed):
    text = "%s|%s" % (seed, "|".join(str(part) for part in (os.path.basename(group[0]),) + group[1:]))
    return hashlib.sha1(text.encode()).hexdigest()


def split(samples, fractions=DEFAULT_FRACTIONS, seed="heatface"):
    """Assign every sample to train/val/test keeping each group whole; return key -> split.

    Per label, groups are taken in an order fixed by a hash of their identity (folder name,
    label, burst) and ``seed``; each goes to the split furthest below its share of the label's
    files (ties: test, then val, then train). Deterministic and independent of file order or
    the folder's location.
    """
    total_fraction = float(sum(fractions))
    shares = {"train": fractions[0] / total_fraction, "val": fractions[1] / total_fraction,
              "test": fractions[2] / total_fraction}
    by_label = {}
    for s in samples:
        by_label.setdefault(s.label, {}).setdefault(s.group, []).append(s)
    assignment = {}
    for label in sorted(by_label):
        groups = by_label[label]
        total = sum(len(members) for members in groups.values())
        counts = {"train": 0, "val": 0, "test": 0}
        for group in sorted(groups, key=lambda g: _order(g, seed)):
            members = groups[group]
            which = max(("test", "val", "train"),
                        key=lambda k: (shares[k] * total - counts[k], -("test", "val", "train").index(k)))
            for s in members:
                assignment[s.key] = which
            counts[which] += len(members)
    return assignment


def write_split(path, samples, assignment):
    """Write ``source,name,label,group,split`` rows (CSV with a header)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "name", "label", "group", "split"])
        for s in samples:
            group = "%s:%s:%s" % (s.label, s.group[2], s.group[3])
            w.writerow([s.source, s.name, s.label, group, assignment[s.key]])


def read_split(path):
    """key -> split from a file written by :func:`write_split`."""
    assignment = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("split") not in SPLITS:
                raise SystemExit("%s: bad split %r for %s" % (path, row.get("split"), row.get("name")))
            assignment[(os.path.abspath(row["source"]), row["name"])] = row["split"]
    return assignment


def export_name(sample, multi):
    """``<label>.<n>.jpg``, or ``<label>.<folder>-<n>.jpg`` when several folders are exported."""
    number = sample.name[len(sample.label) + 1:-4] if sample.n is None else str(sample.n)
    if multi:
        tag = os.path.basename(os.path.abspath(sample.source)).replace(".", "_")
        return "%s.%s-%s.jpg" % (sample.label, tag, number)
    return "%s.%s.jpg" % (sample.label, number)


def export(samples, out, assignment=None):
    """Copy valid samples into ``out`` named for the Edge Impulse uploader.

    Without ``assignment`` all go flat into ``out``; with one, train and val go to
    ``out/training`` and test to ``out/testing`` (Edge Impulse's two categories). Returns
    {folder: count}.
    """
    multi = len({os.path.abspath(s.source) for s in samples}) > 1
    counts = {}
    for s in samples:
        if not s.valid:
            continue
        folder = out
        if assignment is not None:
            which = assignment.get(s.key)
            if which is None:
                raise SystemExit("%s is not in the split file; run split again" % s.path)
            folder = os.path.join(out, "testing" if which == "test" else "training")
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(s.path, os.path.join(folder, export_name(s, multi)))
        counts[folder] = counts.get(folder, 0) + 1
    return counts


def _fractions(text):
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise argparse.ArgumentTypeError("expected three numbers train,val,test like 0.7,0.15,0.15")
    return parts


def main(argv=None):
    parser = argparse.ArgumentParser(prog="dataset.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("stats", "per-label counts, bursts and image sizes"),
                           ("split", "burst-aware train/val/test split into a CSV file"),
                           ("export", "copy for the Edge Impulse uploader")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("dirs", nargs="+", metavar="DIR", help="folder(s) pulled from the card")
        p.add_argument("--block", type=int, default=10,
                       help="group size for files without a manifest entry (default 10)")
        if name == "split":
            p.add_argument("--out", required=True, help="split CSV to write")
            p.add_argument("--fractions", type=_fractions, default=DEFAULT_FRACTIONS,
                           help="train,val,test shares (default 0.7,0.15,0.15)")
            p.add_argument("--seed", default="heatface", help="changes the (deterministic) order")
        if name == "export":
            p.add_argument("--out", required=True, help="output folder")
            p.add_argument("--split", help="split CSV: write training/ and testing/ folders")
    p = sub.add_parser("from-recording", help="a raw recording (.hfr) -> <label>.<n>.jpg at any t_lo/t_hi")
    p.add_argument("recording", help="recorded on the card or by `make view`")
    p.add_argument("--label", required=True)
    p.add_argument("--out", required=True, help="folder for the images (numbers continue)")
    p.add_argument("--t-lo", type=float, default=22.0, help="degC mapped to 0 (default 22)")
    p.add_argument("--t-hi", type=float, default=37.0, help="degC mapped to 255 (default 37)")
    p.add_argument("--every", type=int, default=1, help="keep every n-th frame (default 1)")
    args = parser.parse_args(argv)
    if args.command == "from-recording":
        from recordings import recording_to_jpegs

        try:
            names = recording_to_jpegs(args.recording, args.label, args.out, args.t_lo, args.t_hi, args.every)
        except (OSError, ValueError) as exc:
            print("dataset: %s" % exc)
            return 1
        print("%d images -> %s (%s .. %s)" % (len(names), args.out, names[0] if names else "-",
                                              names[-1] if names else "-"))
        return 0

    samples, notes = load(args.dirs, block=args.block)
    for note in notes:
        print("note:", note)
    if not samples:
        print("no <label>.<n>.jpg files found")
        return 1
    if args.command == "stats":
        print("%-12s %6s %7s %8s %12s %5s %-14s %7s" % (
            "label", "files", "groups", "largest", "numbers", "gaps", "sizes", "invalid"))
        for label, st in label_stats(samples).items():
            sizes = " ".join("%s:%d" % kv for kv in sorted(st["sizes"].items())) or "-"
            gaps = "-" if st["gaps"] is None else str(st["gaps"])
            print("%-12s %6d %7d %8d %12s %5s %-14s %7d" % (
                label, st["files"], st["groups"], st["largest_group"],
                "%d..%d" % (st["first"], st["last"]), gaps, sizes, st["invalid"]))
        print("total: %d files" % len(samples))
    elif args.command == "split":
        assignment = split(samples, args.fractions, args.seed)
        write_split(args.out, samples, assignment)
        for which in SPLITS:
            n = sum(1 for v in assignment.values() if v == which)
            print("%-5s %5d files" % (which, n))
        print("wrote", args.out)
    else:
        assignment = read_split(args.split) if args.split else None
        counts = export(samples, args.out, assignment)
        skipped = sum(1 for s in samples if not s.valid)
        for folder, n in sorted(counts.items()):
            print("%5d files -> %s" % (n, folder))
        if skipped:
            print("skipped %d files that are not valid JPEGs" % skipped)
        if assignment is None:
            print("upload: edge-impulse-uploader --category split %s/*.jpg" % args.out)
        else:
            print("upload: edge-impulse-uploader --category training %s/training/*.jpg" % args.out)
            print("        edge-impulse-uploader --category testing %s/testing/*.jpg" % args.out)
            print("(validation files are in training/: Edge Impulse draws its own validation set "
                  "per file, which can split bursts; `make train DATA=<folder>` cross-validates "
                  "by burst from captures.csv instead)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
