"""Make a littlefs2 image of the emulated board's RAM disk (run by the MicroPython unix port).

    micropython tools/cm4/mklfs.py IMAGE BLOCKS LISTING

LISTING has one ``dest<TAB>src`` line per file (dest absolute on the board; a dest ending in ``/``
with an empty src makes a folder). The geometry (4096-byte blocks, progsize 256) is the board's
(firmware/qemu_cm4: board.c and _boot.py), so the board mounts the image as its own filesystem.
Trailing empty blocks are left out: the RAM disk beyond the image reads as zeros, which littlefs
does not take for data (it only uses blocks reachable from its metadata).
"""

import os
import sys
import vfs

BLOCK = 4096


class RAMBlocks:
    def __init__(self, count):
        self.data = bytearray(count * BLOCK)
        self.count = count

    def readblocks(self, n, buf, off=0):
        a = n * BLOCK + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, n, buf, off=0):
        a = n * BLOCK + off
        self.data[a : a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return self.count
        if op == 5:
            return BLOCK
        if op == 6:
            a = arg * BLOCK
            self.data[a : a + BLOCK] = b"\xff" * BLOCK
        return 0


def makedirs(path):
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        try:
            os.mkdir("/fs/" + "/".join(parts[:i]))
        except OSError:  # exists
            pass


def main(image, blocks, listing):
    bdev = RAMBlocks(int(blocks))
    vfs.VfsLfs2.mkfs(bdev, progsize=256)
    vfs.mount(vfs.VfsLfs2(bdev, progsize=256), "/fs")
    with open(listing) as f:
        lines = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
    for dest, src in lines:
        if dest.endswith("/"):
            makedirs(dest)
            continue
        makedirs(dest.rsplit("/", 1)[0])
        with open(src, "rb") as fin, open("/fs" + dest, "wb") as fout:
            while True:
                chunk = fin.read(4096)
                if not chunk:
                    break
                fout.write(chunk)
    vfs.umount("/fs")
    end = len(bdev.data)
    while end > 0 and not any(bdev.data[end - BLOCK : end]):
        end -= BLOCK
    with open(image, "wb") as f:
        f.write(memoryview(bdev.data)[:end])
    print(os.stat(image)[6])


main(*sys.argv[1:])
