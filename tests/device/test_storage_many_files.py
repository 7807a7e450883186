"""2,000 captures on the card: the app boots in collect mode, counts them, numbers on and captures,
at the Wio Terminal's heap (this module asks for no more: the f32 suite runs it at 176,876 bytes).

Under MicroPython the card is a real FAT volume (VfsFat) in a host image file, outside the heap as
a card's blocks are; under CPython a host folder. The app and its data share the heap with
this test, so a listing that held the 2,000 names (the old os.listdir) ran out of memory here.
"""

import gc
import os
import sys

from heatface.app import App
from heatface.config import DEFAULTS
from heatface.storage import mount_sd, umount_sd
from mptest import IS_MICROPYTHON, scratch_path, skip
from simapp import rmtree
from test_app_memory import LightBoard

FILES = 2000
MOUNT = "/sd_many"
FOLDER = MOUNT + "/caps"  # FAT12/16's root holds 512 entries at most: captures in a folder
JPEG = b"\xff\xd8\xff\xd9"


class ImageBlocks:
    """A block device over a host image file: blocks cost no heap."""

    def __init__(self, path, blocks):
        self.blocks = blocks
        self.f = open(path, "r+b")

    def readblocks(self, n, buf, offset=0):
        self.f.seek(512 * n + offset)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, offset=0):
        self.f.seek(512 * n + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        return self.blocks if op == 4 else (512 if op == 5 else 0)


class CardBoard(LightBoard):
    """The memory test's light board with a card that holds ``FILES`` captures."""

    name = "many-files"

    def __init__(self, device):
        LightBoard.__init__(self)
        self.device = device

    def sensor_bus(self):
        if IS_MICROPYTHON:  # the recorded part's bytes: no simulated sensor in the heap
            return LightBoard.sensor_bus(self)
        from heatface_sim.mlx90640 import SimulatedMLX90640
        from test_sim_mlx90640 import _eeprom

        return SimulatedMLX90640(_eeprom())

    def mount_storage(self):
        return mount_sd(self.device, MOUNT) if self.device is not None else (True, "host folder")


def _card():
    """The card's block device: a sparse 4 MB host image file."""
    path = scratch_path("many_files.img")
    blocks = 8192
    with open(path, "wb") as f:
        f.seek(512 * blocks - 1)
        f.write(b"\0")
    return ImageBlocks(path, blocks)


def _fill_card():
    """A fresh FAT volume with FILES captures (face0.<n>.jpg, n = 0..FILES-1) in FOLDER. Only the
    newest holds JPEG bytes (start-up looks into that one alone): the others take no clusters."""
    import vfs

    dev = _card()
    vfs.VfsFat.mkfs(dev)
    vfs.mount(vfs.VfsFat(dev), MOUNT)
    try:
        os.mkdir(FOLDER)
        for n in range(FILES):
            with open("%s/face0.%d.jpg" % (FOLDER, n), "wb") as f:
                if n == FILES - 1:
                    f.write(JPEG)
    finally:
        vfs.umount(MOUNT)
    return dev


def test_boot_and_capture_with_2000_files_on_the_card():
    if IS_MICROPYTHON:
        if sys.maxsize > 1 << 32:
            skip("collect mode at a board's heap needs a board's 32-bit objects: the f32 and "
                 "cm4 suites run this at the Wio heap (the 64-bit port's 160 KB holds live mode)")
        try:
            import cm4board  # noqa: F401
        except ImportError:
            pass
        else:
            skip("2,000 creates through FatFs take minutes on the emulated board (each one scans "
                 "the folder): the f32 suite runs this at the same 176,876-byte heap")
        dev = _fill_card()
        folder = FOLDER
    else:
        folder = scratch_path("many_files_card")
        rmtree(folder)
        os.mkdir(folder)
        for n in range(FILES):
            with open("%s/face0.%d.jpg" % (folder, n), "wb") as f:
                f.write(JPEG)
        dev = None
    config = dict(DEFAULTS)
    config.update({"captures_dir": folder, "retry_sleep_ms": 0, "print_predictions": False})
    gc.collect()
    try:
        app = App(CardBoard(dev), config)  # boots in collect mode: mounts, lists, recovers
        storage = app.mode.storage
        assert storage.ready, storage.status
        assert storage.counts["face0"] == FILES and storage.next_n["face0"] == FILES
        app.run(max_frames=2)
        app.mode.on_button(app, "press", "A")
        app.run(max_frames=4)
        assert app.status.startswith("Saved face0.%d.jpg" % FILES), app.status
        assert storage.counts["face0"] == FILES + 1
        names = 0
        for name in storage.fs.names(folder):
            names += 1
        assert names == FILES + 2  # and the manifest
    finally:
        if dev is not None:
            umount_sd(MOUNT)
