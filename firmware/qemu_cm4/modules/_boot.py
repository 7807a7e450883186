# Mount the board's RAM disk (littlefs2, as the samd port mounts its flash), format it when empty.
import gc
import sys
import vfs

import cm4board

bdev = cm4board.RAMDisk()
try:
    fs = vfs.VfsLfs2(bdev, progsize=256)
except OSError:
    vfs.VfsLfs2.mkfs(bdev, progsize=256)
    fs = vfs.VfsLfs2(bdev, progsize=256)
vfs.mount(fs, "/")
sys.path.append("/lib")

del fs, bdev, vfs, cm4board, sys
gc.collect()
del gc
