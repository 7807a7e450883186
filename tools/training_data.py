"""Captures as arrays for training (tools/train.py): the gray images, labels, burst and session
groups, and the t_lo/t_hi mapping they were captured with, with a clear error for anything a
training run cannot use (a missing or empty folder, an unreadable or wrongly sized image, mixed
mappings, fewer than two labels).
"""

import os
import re

import captures

ROWS, COLS = 24, 32
DEFAULT_T_LO, DEFAULT_T_HI = 22.0, 37.0  # the seed's mapping, for JPEGs without a COM comment
_COMMENT_RE = re.compile(r"(t_lo|t_hi|ta|emissivity)=(-?[0-9.]+)")


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
    samples, notes = captures.load(dirs, block)
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
