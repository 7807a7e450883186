"""Host tool for the captures pulled from the card: statistics, a burst-aware split, and export
for the Edge Impulse uploader.

Pull the card's files first, e.g. ``mpremote fs cp -r :/sd/ data/session1/``, then::

    python tools/dataset.py stats data/session1
    python tools/dataset.py split data/session1 --out data/split.csv
    python tools/dataset.py export data/session1 --split data/split.csv --out out/ei
    python tools/dataset.py from-recording data/recordings/rec.0.hfr --label face0 --out data/s2

Files and bursts are read by tools/captures.py (``captures.csv``, else blocks of ``--block``
consecutive numbers): a split that scattered a burst's near-identical frames would leak training
images into validation/test, so groups, never single files, are assigned to train/val/test, per
label, in an order fixed by a hash of the group's identity: the same input gives the same split on
any machine.
Several folders (sessions, cards) may be given; their files are then exported with the folder's
name in the file name so they do not collide.
"""

import argparse
import csv
import hashlib
import os
import shutil
import sys

from captures import load

SPLITS = ("train", "val", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


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
