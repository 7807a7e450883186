"""Host helpers for raw recordings (heatface.recorder's format): images for a dataset.

``tools/dataset.py from-recording REC --label face0 --out DIR [--t-lo 22 --t-hi 37] [--every 1]``
decodes a recording with heatface's own driver (through the simulated sensor's registers, as
``make replay`` does) and writes each frame as ``<label>.<n>.jpg`` with the board's mapping and
JPEG encoder at any t_lo/t_hi: a dataset can be re-mapped later without capturing again.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _sub in ("tools/shims", "lib", "tools"):
    if os.path.join(ROOT, _sub) not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, _sub))

from heatface.config import valid_label  # noqa: E402
from heatface.grayscale import T_HI, T_LO, to_gray8  # noqa: E402
from heatface.jpeg import encode_gray  # noqa: E402
from heatface.modes import capture_comment  # noqa: E402
from heatface_sim.recording import replay_frames, read_recording  # noqa: E402


def next_number(folder, label):
    """The first n after every ``<label>.<n>.jpg`` already in ``folder``."""
    pattern = re.compile(r"^%s\.(\d+)\.jpg$" % re.escape(label))
    found = [int(m.group(1)) for m in map(pattern.match, os.listdir(folder)) if m]
    return max(found) + 1 if found else 0


def recording_to_jpegs(path, label, out, t_lo=T_LO, t_hi=T_HI, every=1, quality=95):
    """Write every ``every``-th frame of the recording at ``path`` as ``out/<label>.<n>.jpg``
    (numbers continue after existing files); returns the names written."""
    if not valid_label(label):
        raise ValueError("label %r: letters, digits, - and _ only" % label)
    if not t_hi > t_lo:
        raise ValueError("t_hi must be above t_lo, got %r..%r" % (t_lo, t_hi))
    emissivity = read_recording(path).settings.get("emissivity", 0.95)
    os.makedirs(out, exist_ok=True)
    n = next_number(out, label)
    gray = bytearray(768)
    names = []
    for i, (_, temps, ta) in enumerate(replay_frames(path)):
        if i % every:
            continue
        to_gray8(temps, gray, t_lo, t_hi)
        name = "%s.%d.jpg" % (label, n)
        tmp = os.path.join(out, "." + name)
        with open(tmp, "wb") as f:
            f.write(encode_gray(gray, 32, 24, quality, capture_comment(t_lo, t_hi, ta, emissivity)))
        os.replace(tmp, os.path.join(out, name))
        names.append(name)
        n += 1
    return names
