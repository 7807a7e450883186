"""Build heatface's emulated Cortex-M4F firmware (firmware/qemu_cm4) in the build cache.

The MicroPython tree (``MICROPY_SRC``, v1.28.0) is copied once per source identity to
``$HF_CACHE/micropython-cm4-<key>/`` (never built in place: ../shared is read-only in CI); the board
folder goes to its ports/qemu/boards/HEATFACE_CM4 and make builds in a folder per form and board
identity, under a lock. The firmware is kept as ``$HF_CACHE/cm4-firmware/<form>-<key>.elf``; a
warm cache makes this a no-op.

Forms: ``board`` (the default board, nothing of heatface inside) and ``frozen`` (the custom
firmware: lib/ and the model frozen in by firmware/manifest.py).

    python tools/cm4/build.py [--frozen]      prints the path of the firmware .elf
"""

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARD_DIR = os.path.join(REPO, "firmware", "qemu_cm4")
BOARD = "HEATFACE_CM4"
# What the qemu port build reads from the MicroPython tree (the rest: other ports, vendor SDKs).
SRC_PARTS = ("py", "extmod", "shared", "drivers", "mpy-cross", "tools", "ports/qemu",
             "lib/littlefs", "lib/oofatfs", "lib/libm", "lib/libm_dbl", "lib/uzlib",
             "lib/re1.5", "lib/crypto-algorithms", "lib/micropython-lib")
# What the frozen form adds to the firmware.
APP_PARTS = ("lib", "models", "firmware/manifest.py", "firmware/model_module.py")


def cache_dir():
    return os.environ.get("HF_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "heatface")


def micropy_src():
    src = os.environ.get("MICROPY_SRC")
    if not src:
        src = os.path.join(cache_dir(), "src", "micropython")
    if not os.path.isfile(os.path.join(src, "py", "mpconfig.h")):
        sys.exit("cm4 build: MICROPY_SRC=%s is not a MicroPython tree (make setup clones v1.28.0)" % src)
    return os.path.abspath(src)


def _walk(root, part):
    path = os.path.join(root, part)
    if os.path.isfile(path):
        yield part
        return
    for here, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("build", "__pycache__", ".")))
        for name in sorted(files):
            yield os.path.relpath(os.path.join(here, name), root)


def tree_hash(root, parts, digest=None):
    """Content hash of the files under ``parts`` of ``root`` (paths and bytes)."""
    h = digest or hashlib.sha256()
    for part in parts:
        if not os.path.exists(os.path.join(root, part)):
            continue
        for rel in _walk(root, part):
            h.update(rel.encode() + b"\0")
            with open(os.path.join(root, rel), "rb") as f:
                h.update(f.read())
    return h


def _copy_tree(src, dest):
    tmp = dest + ".tmp-%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    for part in SRC_PARTS:
        s = os.path.join(src, part)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(tmp, part), symlinks=True,
                            ignore=shutil.ignore_patterns("build*", "__pycache__"))
    # ports/qemu's Makefile reaches the tree top through ../..; the copy keeps that layout.
    for dirpath, dirnames, filenames in os.walk(tmp):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o200)
    os.rename(tmp, dest)


def firmware(form="board", jobs=None, verbose=False):
    """Path of the firmware .elf for ``form`` ("board" or "frozen"), building it if needed."""
    src = micropy_src()
    src_key = tree_hash(src, SRC_PARTS).hexdigest()[:12]
    tree = os.path.join(cache_dir(), "micropython-cm4-" + src_key)
    key = tree_hash(BOARD_DIR, ["."], hashlib.sha256(src_key.encode())).hexdigest()[:12]
    out_key = key
    if form == "frozen":
        out_key = tree_hash(REPO, APP_PARTS, hashlib.sha256(key.encode())).hexdigest()[:12]
    elif form != "board":
        raise ValueError("form must be 'board' or 'frozen', not %r" % form)
    out = os.path.join(cache_dir(), "cm4-firmware", "%s-%s.elf" % (form, out_key))
    if os.path.exists(out):
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    # make tracks the board's C sources and headers itself; a new folder only for new flags
    flags_key = tree_hash(BOARD_DIR, ["mpconfigboard.mk"], hashlib.sha256(src_key.encode())).hexdigest()[:8]
    build = "build-%s-%s" % (form, flags_key)
    # one build at a time in a build folder (and its tree's board folder), whatever the board's key
    with open(os.path.join(cache_dir(), "cm4-firmware", ".lock-%s-%s" % (src_key, flags_key)), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(out):
            return out
        if not os.path.isdir(tree):
            _copy_tree(src, tree)
        board = os.path.join(tree, "ports", "qemu", "boards", BOARD)
        if tree_hash(board, ["."]).digest() != tree_hash(BOARD_DIR, ["."]).digest():
            # fresh times, not the checkout's: make then rebuilds what depends on a changed file
            # even when another checkout's newer copy was built last
            shutil.rmtree(board, ignore_errors=True)
            shutil.copytree(BOARD_DIR, board, copy_function=shutil.copy)
        port = os.path.join(tree, "ports", "qemu")
        env = dict(os.environ)
        args = ["make", "-C", port, "BOARD=" + BOARD, "BUILD=" + build, "-j%d" % (jobs or os.cpu_count() or 2)]
        if form == "frozen":
            env["HF_REPO"] = REPO
            env["HF_GENERATED"] = os.path.join(port, build, "hf_generated")
            args.append("HF_FROZEN_APP=1")
            # makemanifest recompiles by timestamps: in this build folder, shared by every
            # checkout, another checkout's newer .mpy files would be frozen in place of this
            # one's. The frozen part starts afresh (a few seconds); the C objects are kept.
            shutil.rmtree(os.path.join(port, build, "frozen_mpy"), ignore_errors=True)
            content = os.path.join(port, build, "frozen_content.c")
            if os.path.exists(content):
                os.remove(content)
        # The frozen content changes with lib/: make rebuilds only what depends on it.
        mpy_cross = ["make", "-C", os.path.join(tree, "mpy-cross"), args[-1]]
        run = _make(mpy_cross, env, verbose)
        if not run.returncode:
            run = _make(args, env, verbose)
        if run.returncode:
            sys.stderr.write(run.stdout or "")
            raise RuntimeError("cm4 firmware build failed (%s form)" % form)
        tmp = out + ".tmp"
        shutil.copyfile(os.path.join(port, build, "firmware.elf"), tmp)
        os.rename(tmp, out)
    return out


def _make(args, env, verbose):
    return subprocess.run(["nice"] + args, env=env, stdout=None if verbose else subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frozen", action="store_true", help="the custom firmware with heatface frozen in")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    print(firmware("frozen" if args.frozen else "board", verbose=args.verbose))


if __name__ == "__main__":
    main()
