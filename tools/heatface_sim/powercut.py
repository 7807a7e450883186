"""Cut the power after every single block write of a capture, reboot, and check the card.

Run under the MicroPython unix port on a FAT image (``mkfs.vfat``)::

    micropython tools/heatface_sim/powercut.py IMAGE OUTDIR CAPTURES [PREFILL]

The card is driven through MicroPython's own VfsFat and :mod:`heatface.storage`, on an
:class:`heatface_sim.sdcard.ImageBlockDevice`. For each of CAPTURES successive captures (with
their manifest lines): count the block writes the capture makes, then for every cut point k
(after 0, 1, ... N-1 writes, and no cut) power off after k writes, "reboot" (a fresh device and
mount), run ``fsck.vfat -n`` on the image as the power left it, start storage (its recovery),
check that every earlier capture is byte-identical, the interrupted one complete or absent and
the manifest consistent, save the next capture (numbering must continue), run ``fsck.vfat -n``
again, and roll the image back. Then the capture is made for real and the next one is tested.

Prints one JSON object per trial (``{"capture", "cut", "writes", "fsck_cut", "fsck_after",
"errors"}``, fsck results as ``[exit status, findings]``) and writes every capture's intended
bytes to OUTDIR (for Pillow on the host). PREFILL: start the manifest with that many bytes of
comment lines (readers skip them), so a capture's line crosses into a new cluster.
"""

import gc
import json
import os
import sys

sys.path[:0] = ["lib", "tools"]

from heatface.jpeg import encode_gray  # noqa: E402
from heatface.sdmount import mount_sd, umount_sd  # noqa: E402
from heatface.storage import Storage  # noqa: E402
from heatface.fatjournal import find  # noqa: E402
from heatface_sim.sdcard import ImageBlockDevice, PowerCut  # noqa: E402

MOUNT = "/pc"
LABELS = ("face0", "face1", "env")


def capture_bytes(i):
    """A distinct, realistic JPEG per capture (a warm blob that moves)."""
    gray = bytearray(768)
    for p in range(768):
        r, c = p >> 5, p & 31
        d = (r - 12) * (r - 12) + (c - 8 - (i * 3) % 16) * (c - 8 - (i * 3) % 16)
        gray[p] = (40 + (i * 37 + p * 13) % 60) if d > 30 else (200 + (p + i) % 50)
    return encode_gray(gray, 32, 24, 95, "powercut %d" % i)


def label_of(i):
    return LABELS[i % len(LABELS)]


def fsck(image):
    """``fsck.vfat -n`` on the image: (exit status, findings other than the banner lines)."""
    out = image + ".fsck.txt"  # beside the image: runs in parallel never share it
    status = os.system("fsck.vfat -n %s > %s 2>&1" % (image, out))
    with open(out) as f:
        lines = f.read().split("\n")
    findings = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("fsck.fat") or line.startswith("Checking") \
                or line.startswith(image) or line.startswith("Leaving"):
            continue
        findings.append(line)
    return [status >> 8 if status > 255 else status, findings]


def mounted(device):
    ok, message = mount_sd(device, MOUNT)
    assert ok, message


def unmount():
    umount_sd(MOUNT)
    gc.collect()  # finalise the dead mount's file objects now


def read(name):
    try:
        with open(MOUNT + "/" + name, "rb") as f:
            return f.read()
    except OSError:
        return None


def manifest_names():
    text = read("captures.csv") or b""
    names = []
    for line in text.split(b"\n")[1:]:
        if line and not line.startswith(b"#"):
            names.append(str(line.split(b",", 1)[0], "ascii", "ignore"))
    return names


def check(done, interrupted, errors):
    """Earlier captures intact, the interrupted one whole or absent, manifest consistent."""
    for name in done:
        if read(name) != done[name]:
            errors.append("earlier capture %s changed" % name)
    name, data = interrupted
    got = read(name)
    if got is not None and got != data:
        errors.append("interrupted %s is there but not complete (%d of %d bytes)"
                      % (name, len(got), len(data)))
    listed = manifest_names()
    for n in done:
        if n not in listed:
            errors.append("manifest lost %s" % n)
    if got is not None and name not in listed:
        errors.append("%s is complete but not in the manifest" % name)
    for n in listed:
        if n not in done and n != name:
            errors.append("manifest lists %s, which is not on the card" % n)
    return got is not None


def prefill_manifest(image, size):
    dev = ImageBlockDevice(image)
    mounted(dev)
    with open(MOUNT + "/captures.csv", "wb") as f:
        f.write(b"name,label,n,burst,ta,ms\n")
        for _ in range(size // 32):
            f.write(b"# comment line, padding to 32 B\n")
    unmount()
    dev.close()


def main(image, outdir, captures, prefill=0):
    if prefill:
        prefill_manifest(image, prefill)
    undo = {}
    done = {}  # name -> bytes of the captures made so far
    numbers = {}
    for i in range(captures):
        label = label_of(i)
        data = capture_bytes(i)
        n = numbers.get(label, 0)
        name = "%s.%d.jpg" % (label, n)
        nxt = capture_bytes(i + 1000)
        with open("%s/%s" % (outdir, name), "wb") as f:
            f.write(data)
        # count the block writes of this capture
        dev = ImageBlockDevice(image, undo=undo)
        mounted(dev)
        st = Storage(MOUNT, LABELS)
        st.start()
        before = dev.writes
        assert st.save(label, data) == name, st.status
        total = dev.writes - before
        unmount()
        dev.rollback()
        dev.close()
        for cut in range(total + 1):
            dev = ImageBlockDevice(image, undo=undo)
            mounted(dev)
            st = Storage(MOUNT, LABELS)
            st.start()
            dev.cut_after(cut if cut < total else None)
            try:
                st.save(label, data)
            except PowerCut:
                find(MOUNT)[1].active = False  # no power: nothing more reaches the card
            unmount()
            dev.close()
            errors = []
            fsck_cut = fsck(image)
            dev = ImageBlockDevice(image, undo=undo)  # reboot
            mounted(dev)
            st = Storage(MOUNT, LABELS)
            if not st.start():
                errors.append("storage did not start after the cut: " + st.status)
            recovered = st.recovered
            present = check(done, (name, data), errors)
            want = "%s.%d.jpg" % (label, n + 1 if present else n)
            got = st.save(label, nxt)
            if got != want:
                errors.append("next capture is %s, expected %s (%s)" % (got, want, st.status))
            unmount()
            dev.close()
            fsck_after = fsck(image)
            dev = ImageBlockDevice(image, undo=undo)
            dev.rollback()
            dev.close()
            print(json.dumps({"capture": name, "cut": cut, "writes": total, "fsck_cut": fsck_cut,
                              "fsck_after": fsck_after, "recovered": recovered,
                              "errors": errors}))
        # make the capture for real and go on to the next
        dev = ImageBlockDevice(image, undo=undo)
        mounted(dev)
        st = Storage(MOUNT, LABELS)
        st.start()
        st.save(label, data)
        unmount()
        dev.close()
        undo.clear()
        done[name] = data
        numbers[label] = n + 1


main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
