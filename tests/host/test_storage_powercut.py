"""Power cut after every single block write of a capture, on real FAT12/16/32 images.

mkfs.vfat (dosfstools) makes the images; MicroPython's own VfsFat writes them through
heatface.storage and its journal (tools/heatface_sim/powercut.py, one interpreter run per image
covering every cut point); fsck.vfat -n checks the image after each "reboot"; Pillow decodes
every capture. See heatface.fatjournal for the design.
"""

import io
import json
import os
import shutil
import subprocess

import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")

# (FAT type, image size, captures, manifest prefill bytes)
CASES = [(12, "2M", 3, 0), (16, "8M", 6, 0), (32, "34M", 5, 440)]


def _tool(name):
    path = shutil.which(name) or ("/usr/sbin/" + name if os.path.exists("/usr/sbin/" + name) else None)
    assert path, "%s missing: apt-get install dosfstools (make setup does it as root)" % name
    return path


@pytest.mark.parametrize("fat,size,captures,prefill", CASES)
def test_power_cut_after_every_block_write(tmp_path, fat, size, captures, prefill):
    image = tmp_path / ("fat%d.img" % fat)
    with open(image, "wb") as f:
        f.truncate({"M": 1 << 20}[size[-1]] * int(size[:-1]))
    subprocess.run([_tool("mkfs.vfat"), "-F", str(fat), "-s", "1", str(image)], check=True,
                   capture_output=True)
    out = tmp_path / "captures"
    out.mkdir()
    env = dict(os.environ, PATH=os.path.dirname(_tool("fsck.vfat")) + os.pathsep + os.environ["PATH"])
    run = subprocess.run([MICROPYTHON, "-X", "heapsize=2M", "tools/heatface_sim/powercut.py",
                          str(image), str(out), str(captures), str(prefill)],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    trials = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    by_capture = {}
    for t in trials:
        by_capture.setdefault(t["capture"], []).append(t)
    assert len(by_capture) == captures
    for name, cuts in by_capture.items():
        writes = cuts[0]["writes"]
        assert [t["cut"] for t in cuts] == list(range(writes + 1)), name  # every block write
        # the power really left the card broken at some cut points: recovery had work to do
        assert any(t["fsck_cut"][0] != 0 for t in cuts), name
        for t in cuts:
            assert t["errors"] == [], t
            assert t["fsck_after"] == [0, []], t
    for name in by_capture:
        with Image.open(io.BytesIO((out / name).read_bytes())) as im:
            im.load()
            assert im.size == (32, 24)
