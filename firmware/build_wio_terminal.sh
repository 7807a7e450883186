#!/usr/bin/env bash
# Build MicroPython for the Wio Terminal (samd port, board SEEED_WIO_TERMINAL) with ulab as a user
# C module and heatface frozen in (firmware/manifest.py). microlite is NOT included: it is pinned to
# an old MicroPython and does not build for the SAMD51; the app runs its model with the pure-Python
# interpreter in lib/heatface/tflite*.py there.
#
# Needs: MPY_DIR = a MicroPython source tree (git clone https://github.com/micropython/micropython),
#        ULAB_DIR = a micropython-ulab checkout (git clone https://github.com/v923z/micropython-ulab),
#        arm-none-eabi-gcc on PATH, make, git, python3.
# Output: out/firmware/heatface-SEEED_WIO_TERMINAL.uf2 (flash: see firmware/README.md).
#
#   MPY_DIR=~/src/micropython ULAB_DIR=~/src/micropython-ulab firmware/build_wio_terminal.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BOARD=${BOARD:-SEEED_WIO_TERMINAL}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# Extra C flags, e.g. "-DULAB_SUPPORTS_COMPLEX=0" if the image overflows the 496 KB of flash.
ULAB_CFLAGS=${ULAB_CFLAGS:-}

die() { echo "build_wio_terminal: $*" >&2; exit 1; }
[ -n "${MPY_DIR:-}" ] || die "set MPY_DIR to a MicroPython source tree"
[ -n "${ULAB_DIR:-}" ] || die "set ULAB_DIR to a micropython-ulab checkout"
[ -d "$MPY_DIR/ports/samd" ] || die "$MPY_DIR has no ports/samd: not a MicroPython tree"
[ -f "$ULAB_DIR/code/micropython.mk" ] || die "$ULAB_DIR has no code/micropython.mk: not micropython-ulab"
command -v arm-none-eabi-gcc >/dev/null || die "arm-none-eabi-gcc not on PATH (GNU Arm Embedded toolchain)"
MPY_DIR=$(cd "$MPY_DIR" && pwd)
ULAB_DIR=$(cd "$ULAB_DIR" && pwd)

echo "== mpy-cross"
make -C "$MPY_DIR/mpy-cross" -j"$JOBS"

echo "== submodules (samd port, micropython-lib for require(\"sdcard\"))"
make -C "$MPY_DIR/ports/samd" BOARD="$BOARD" submodules
git -C "$MPY_DIR" submodule update --init lib/micropython-lib

echo "== firmware: $BOARD + ulab + heatface"
# USER_C_MODULES for make-based ports is the folder whose subfolders hold micropython.mk files:
# the ulab checkout itself (ulab/code/micropython.mk).
make -C "$MPY_DIR/ports/samd" BOARD="$BOARD" -j"$JOBS" \
    USER_C_MODULES="$ULAB_DIR" \
    FROZEN_MANIFEST="$HERE/manifest.py" \
    CFLAGS_EXTRA="$ULAB_CFLAGS"

mkdir -p "$ROOT/out/firmware"
cp "$MPY_DIR/ports/samd/build-$BOARD/firmware.uf2" "$ROOT/out/firmware/heatface-$BOARD.uf2"
echo "== built out/firmware/heatface-$BOARD.uf2"
echo "   flash: slide the power switch to reset twice quickly, then copy the .uf2 onto the 'Arduino' drive"
