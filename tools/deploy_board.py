"""Copy a staged deployment (``make deploy-stage``) onto a board so that an interrupted deploy
never leaves it half-updated: the step ``make deploy`` runs.

    python tools/deploy_board.py send --port auto --stage out/deploy [--romfs out/deploy.romfs]
    python tools/deploy_board.py romfs --stage out/deploy --rom out/deploy-rom --image IMG --bytes N

``romfs`` (at stage time, DEPLOY_FORM=romfs) moves what fits of the staged files into a ROMFS
image of at most N bytes (:func:`split_romfs`): the model files (read in place: no heap), then
the ``heatface`` package (bytecode and strings run in place) module by module, in the order
``--first`` gives (tools/deploy.mk's ROMFS_FIRST), while they fit. MicroPython looks for a
package's modules in one folder (its ``__path__``), so a module that does not fit gets a small
forwarding stub in ROMFS and goes to ``/lib/heatface_fs`` under a flat name; the stub imports it
from there and hands over its names (and ``sys.modules`` the module itself). The Wio Terminal's
64 KB partition holds the model and most of the package this way (/rom/lib comes before /lib on
sys.path); the rest stays in the stage for the filesystem.

``send``:

1. One ``mpremote exec`` lists the board's files with their SHA-256 (``/lib/heatface``,
   ``/lib/heatface_fs``, ``/lib/heatface_nn_*``, ``/lib/heatface_pixels.mpy``, ``/models``,
   ``/boot.py``, ``/main.py``) and deletes the temporary files a killed deploy left behind.
2. ``--romfs``: the image is written to ROMFS partition 0 (``mpremote romfs deploy``) unless the
   partition already holds it. A cut write is detected by its hash and redone on the next run.
   Without ``--romfs``, a partition holding heatface (from an earlier ROMFS deploy) is emptied:
   it would shadow the package in /lib.
3. Every staged file whose hash differs is sent under a temporary name (``<name>.hfnew``); the
   board's files are untouched, so killing the copy at any point leaves the previous version.
4. One short ``mpremote exec`` checks every temporary file's hash, then renames them all into
   place and removes heatface's files that the stage no longer has (e.g. ``.py`` twins of ``.mpy``
   files, which MicroPython would import first, or modules that moved into ROMFS). It runs on the
   board even if the host goes away.

Prints ``Up to date: <path>`` per unchanged file and ``sent: <path>`` per replaced one.
"""

import argparse
import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys

TMP_SUFFIX = ".hfnew"
ROOT_FILES = ("boot.py", "main.py")

# Runs on the board: hashes of the files a deploy manages; removes leftover temporary files.
_STATE = """
import os
try:
    import hashlib, binascii
except ImportError:
    hashlib = None
def _h(p):
    if hashlib is None:
        return '-'
    d = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            d.update(b if n == 512 else b[:n])
    return binascii.hexlify(d.digest()).decode()
def _w(d):
    try:
        ents = list(os.ilistdir(d))
    except OSError:
        return
    for e in ents:
        p = d + '/' + e[0]
        if d == '/lib' and not (e[0] in ('heatface', 'heatface_fs', 'heatface_pixels.mpy')
                                or e[0].startswith('heatface_nn_')):
            continue
        if e[1] == 0x4000:
            _w(p)
        elif p.endswith('%(tmp)s'):
            os.remove(p)
        else:
            print('H', p, _h(p))
_w('/lib')
_w('/models')
for _f in %(root)r:
    try:
        os.stat('/' + _f)
        print('H', '/' + _f, _h('/' + _f))
    except OSError:
        pass
    try:
        os.remove('/' + _f + '%(tmp)s')
    except OSError:
        pass
try:
    import vfs
    _r = vfs.rom_ioctl(2, 0)
    print('R', len(_r))
except Exception:
    print('R', -1)
try:
    os.stat('/rom/lib/heatface')
    print('RP')
except OSError:
    pass
"""

# Runs on the board: verify the temporary files, rename them into place, prune.
_COMMIT = """
import os
_new = %(new)r
_prune = %(prune)r
def _mv(a, b):
    try:
        os.rename(a, b)
        return
    except OSError:
        pass
    try:
        os.remove(b)  # FAT cannot rename onto an existing name
    except OSError:
        pass
    try:
        os.rename(a, b)
        return
    except OSError:
        pass
    # no working rename (the unix port's VfsPosix with a root, i.e. the virtual board): copy
    buf = bytearray(512)
    with open(a, 'rb') as s, open(b, 'wb') as d:
        while True:
            n = s.readinto(buf)
            if not n:
                break
            d.write(buf if n == 512 else buf[:n])
    os.remove(a)
for _p, _want in _new:
    if _want != '-' and _h(_p + '%(tmp)s') != _want:
        raise OSError('deploy: %%s arrived damaged; the board keeps its previous files' %% _p)
for _p, _want in _new:
    _mv(_p + '%(tmp)s', _p)
for _p in _prune:
    os.remove(_p)
    print('removed', _p)
print('deploy: committed')
"""

# Runs on the board: the SHA-256 of the first n bytes of ROMFS partition 0.
_ROM_HASH = """
import vfs, hashlib, binascii
print('RH', binascii.hexlify(hashlib.sha256(vfs.rom_ioctl(2, 0)[:%d]).digest()).decode())
"""


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Board:
    def __init__(self, mpremote, port):
        self.cmd = [mpremote, "connect", port]

    def run(self, *args):
        proc = subprocess.run(self.cmd + list(args), capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("deploy: mpremote %s failed" % args[0])
        return proc.stdout

    def exec(self, code):
        return self.run("exec", code)


def staged_files(stage):
    """{board path: host path} of every file under ``stage``."""
    files = {}
    for here, dirs, names in os.walk(stage):
        dirs.sort()
        for name in sorted(names):
            host = os.path.join(here, name)
            files["/" + os.path.relpath(host, stage).replace(os.sep, "/")] = host
    return files


def prunable(path):
    """Whether a board file not in the stage is heatface's to remove: its package and native
    modules only (never the user's other /lib files, models or captures)."""
    return (path.startswith(("/lib/heatface/", "/lib/heatface_fs/", "/lib/heatface_nn_"))
            or path == "/lib/heatface_pixels.mpy")


def deploy(board, stage, romfs=None, send_dir="out/deploy-send"):
    state = board.exec(_STATE % {"tmp": TMP_SUFFIX, "root": ROOT_FILES})
    on_board = {}
    rom_size = -1
    rom_package = False
    for line in state.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "H":
            on_board[parts[1]] = parts[2]
        elif len(parts) == 2 and parts[0] == "R":
            rom_size = int(parts[1])
        elif parts == ["RP"]:
            rom_package = True
    if romfs:
        deploy_romfs(board, romfs, rom_size)
    elif rom_package:
        # a ROMFS deploy's package would shadow the one in /lib (/rom/lib comes first on sys.path)
        empty = os.path.join(os.path.dirname(send_dir) or ".", "deploy-empty.romfs")
        os.makedirs(os.path.join(send_dir, "empty-rom"), exist_ok=True)
        with open(empty, "wb") as f:
            f.write(romfs_image(os.path.join(send_dir, "empty-rom")))
        shutil.rmtree(os.path.join(send_dir, "empty-rom"))
        sys.stdout.write(board.run("romfs", "deploy", empty))
        print("deploy: emptied the ROMFS partition (it held heatface, which would shadow /lib)")
    files = staged_files(stage)
    new = []
    shutil.rmtree(send_dir, ignore_errors=True)
    for dest, host in sorted(files.items()):
        digest = sha256_file(host)
        if on_board.get(dest) == digest:
            print("Up to date:", dest[1:])
            continue
        target = os.path.join(send_dir, dest[1:] + TMP_SUFFIX)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(host, target)
        new.append((dest, digest))
    prune = sorted(p for p in on_board if prunable(p) and p not in files)
    if new:
        tops = sorted(os.listdir(send_dir))
        board.run("fs", "cp", "-r", *[os.path.join(send_dir, t) for t in tops] + [":"])
    if new or prune:
        # _h (the hash function) is defined by _STATE, which runs in the same interpreter only
        # if nothing reset it in between: define it again with the commit.
        code = _STATE.split("def _w(")[0] + _COMMIT % {"new": new, "prune": prune, "tmp": TMP_SUFFIX}
        out = board.exec(code)
        sys.stdout.write(out)
        if "deploy: committed" not in out:
            raise SystemExit("deploy: the board did not confirm the update")
    for dest, _ in new:
        print("sent:", dest[1:])
    print("deploy: %d file(s) sent, %d up to date, %d removed"
          % (len(new), len(files) - len(new), len(prune)))


def deploy_romfs(board, image, rom_size):
    if rom_size < 0:
        raise SystemExit("deploy: this firmware has no ROMFS partition (DEPLOY_FORM=romfs needs "
                         "MicroPython >= 1.25 built with ROMFS; use DEPLOY_FORM=mpy)")
    size = os.path.getsize(image)
    if size > rom_size:
        raise SystemExit("deploy: the ROMFS image is %d bytes, the partition %d" % (size, rom_size))
    digest = sha256_file(image)
    out = board.exec(_ROM_HASH % size)
    if ("RH " + digest) in out:
        print("Up to date: ROMFS image (%d bytes)" % size)
        return
    sys.stdout.write(board.run("romfs", "deploy", image))


def romfs_image(rom_dir):
    from mpremote.romfs import make_romfs

    with contextlib.redirect_stdout(io.StringIO()):
        return make_romfs(rom_dir, mpy_cross=False)


def _remove_empty_dirs(top):
    for here, dirs, names in os.walk(top, topdown=False):
        if here != top and not os.listdir(here):
            os.rmdir(here)


# heatface/_forward.py in ROMFS: the module a forwarding stub (below) calls. A module that stays
# on the filesystem is imported from heatface_fs/ under a flat name (boards/wio_terminal ->
# heatface_fs.boards__wio_terminal); the stub copies its names, and later imports of the
# heatface name get the module itself (package __init__ stubs stay: they carry the __path__).
FORWARD_PY = """import sys


def forward(names, real, package):
    m = __import__("heatface_fs." + real, None, None, ("*",))
    for k, v in m.__dict__.items():
        if k[:2] != "__":
            names[k] = v
    if not package:
        sys.modules[names["__name__"]] = m
"""
STUB_PY = "from heatface._forward import forward\nforward(globals(), %r, %d)\n"
PKG = "/lib/heatface/"
FS_PKG = "/lib/heatface_fs/"


def flat_name(rel):
    """heatface-relative module file -> its flat module name in heatface_fs."""
    return rel.rsplit(".", 1)[0].replace("/", "__")


def _compile(mpy_cross, source, dest, name):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    src = dest[:-4] + ".py"
    with open(src, "w") as f:
        f.write(source)
    subprocess.run([mpy_cross, "-o", dest, "-s", name, src], check=True)
    os.remove(src)


def split_romfs(stage, rom_dir, image, max_bytes, mpy_cross=None, first=()):
    """Move what fits of ``stage`` into ``rom_dir`` and write its image; returns the moved paths.

    The model files first (read in place). Then, with ``mpy_cross``, the ``heatface`` package:
    its modules in the order ``first`` (module names relative to the package, e.g. ``"tflite"``,
    ``"boards/wio_terminal"``), then the rest largest first, each in ROMFS if it still fits; every
    module that does not is replaced in ROMFS by a forwarding stub to its file in /lib/heatface_fs.
    Without ``mpy_cross`` (or if even the stubs do not fit) the package stays whole in /lib."""
    files = staged_files(stage)
    shutil.rmtree(rom_dir, ignore_errors=True)
    os.makedirs(rom_dir)
    moved = []

    def fits():
        return len(romfs_image(rom_dir)) <= max_bytes

    for dest in sorted(p for p in files if p.startswith("/models/")):
        target = os.path.join(rom_dir, dest[1:])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(files[dest], target)
        if fits():
            moved.append(dest)
        else:
            os.remove(target)
    _remove_empty_dirs(rom_dir)
    pkg = {p[len(PKG):]: p for p in files if p.startswith(PKG)}
    forwarded = []
    if mpy_cross and "__init__.mpy" in pkg:
        rom_pkg = os.path.join(rom_dir, PKG[1:])
        _compile(mpy_cross, FORWARD_PY, os.path.join(rom_pkg, "_forward.mpy"), "heatface/_forward.py")
        for rel in pkg:  # stubs first, for every module
            if rel != "__init__.mpy":
                stub = STUB_PY % (flat_name(rel), rel.endswith("/__init__.mpy"))
                _compile(mpy_cross, stub, os.path.join(rom_pkg, rel.rsplit(".", 1)[0] + ".mpy"),
                         "heatface/" + rel)
        shutil.copyfile(files[pkg["__init__.mpy"]], os.path.join(rom_pkg, "__init__.mpy"))
        if fits():
            rank = {name: i for i, name in enumerate(first)}
            order = sorted(pkg, key=lambda r: (rank.get(r.rsplit(".", 1)[0], len(rank)),
                                                -os.path.getsize(files[pkg[r]]), r))
            for rel in order:
                if rel == "__init__.mpy" or not rel.endswith(".mpy"):
                    continue  # .py sources (NATIVE_MPY=0) stay on the filesystem, forwarded
                target = os.path.join(rom_pkg, rel)
                stub = target + ".stub"
                os.rename(target, stub)
                shutil.copyfile(files[pkg[rel]], target)
                if fits():
                    os.remove(stub)
                    moved.append(pkg[rel])
                else:
                    os.replace(stub, target)
            moved.append(pkg["__init__.mpy"])
            forwarded = [rel for rel in pkg if pkg[rel] not in moved]
        else:
            shutil.rmtree(rom_pkg)
            _remove_empty_dirs(rom_dir)
    for dest in moved:
        os.remove(files[dest])
    for rel in forwarded:
        real = os.path.join(stage, FS_PKG[1:], flat_name(rel) + "." + rel.rsplit(".", 1)[1])
        os.makedirs(os.path.dirname(real), exist_ok=True)
        os.rename(files[pkg[rel]], real)
    if forwarded:
        _remove_empty_dirs(stage)
    data = romfs_image(rom_dir)
    with open(image, "wb") as f:
        f.write(data)
    print("romfs: %d of %d files in a %d-byte image (partition %d bytes); %d stay on the filesystem"
          "%s" % (len(moved), len(files), len(data), max_bytes, len(files) - len(moved),
                  " (%d heatface modules forwarded to %s)" % (len(forwarded), FS_PKG) if forwarded else ""))
    return moved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    send = sub.add_parser("send", help="copy the stage to a board")
    send.add_argument("--mpremote", default=os.path.join(os.path.dirname(sys.executable), "mpremote"))
    send.add_argument("--port", default="auto")
    send.add_argument("--stage", required=True, help="staged files for the board's filesystem")
    send.add_argument("--romfs", help="ROMFS image to write to partition 0 first")
    rom = sub.add_parser("romfs", help="move what fits of the stage into a ROMFS image")
    rom.add_argument("--stage", required=True)
    rom.add_argument("--rom", required=True, help="folder for the ROMFS tree")
    rom.add_argument("--image", required=True)
    rom.add_argument("--bytes", type=int, required=True, help="the partition's size")
    rom.add_argument("--mpy-cross", help="compiles the forwarding stubs (none: the package stays whole)")
    rom.add_argument("--first", default="", help="heatface modules to put in ROMFS first (comma-separated)")
    args = ap.parse_args()
    if args.cmd == "send":
        deploy(Board(args.mpremote, args.port), args.stage, args.romfs)
    else:
        split_romfs(args.stage, args.rom, args.image, args.bytes, args.mpy_cross,
                    [m for m in args.first.split(",") if m])


if __name__ == "__main__":
    main()
