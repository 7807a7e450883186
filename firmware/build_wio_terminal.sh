#!/usr/bin/env bash
# Build MicroPython v1.28.0 for the Wio Terminal (samd port, board SEEED_WIO_TERMINAL) with ulab as a
# user C module and heatface (lib/heatface + the model) frozen in through firmware/manifest.py.
# `make firmware-wio` runs this; it also runs on its own:
#
#   MICROPY_SRC=~/src/micropython ULAB_SRC=~/src/micropython-ulab firmware/build_wio_terminal.sh
#
# MICROPY_SRC: a MicroPython v1.28.0 tree with lib/asf4, lib/tinyusb and lib/micropython-lib.
# ULAB_SRC:    a micropython-ulab 6.12 tree.
# HF_CACHE:    build cache (default ~/.cache/heatface). Both trees are copied (they may be read-only)
#              into $HF_CACHE/firmware-wio-<key>/, key = hash of the sources' identity (path and
#              version) and of the build settings (layout, C flags, compiler), so changed flags get
#              a fresh build folder; an unchanged configuration rebuilds incrementally (the frozen
#              lib/ and model are re-read on every run).
# Needs arm-none-eabi-gcc (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi), make, python3.
#
# Flash layout (SAMD51P19A, 512 KB): 16 KB UF2 bootloader + MICROPY_HW_CODESIZE of code +
# MICROPY_HW_ROMFS_BYTES of ROMFS. v1.28.0's Wio default, 432 KB + 64 KB, is ~35 KB too small for
# MicroPython + ulab + heatface frozen; heatface gives the ROMFS partition (which it does not use:
# lib/ and the model are frozen) to code: 496 KB + 0 (see firmware/README.md).
# Output: out/firmware/heatface-SEEED_WIO_TERMINAL.uf2; prints the flash used and left.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BOARD=SEEED_WIO_TERMINAL
HF_CACHE=${HF_CACHE:-$HOME/.cache/heatface}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CODESIZE=${MICROPY_HW_CODESIZE:-496K}
ROMFS=${MICROPY_HW_ROMFS_BYTES:-0}
# The samd port has no complex numbers (ulab's link fails without ULAB_SUPPORTS_COMPLEX=0).
# ulab without the modules heatface never imports and the CPython stand-in (tools/shims/ulab) does
# not offer either: scipy, numpy.fft and numpy.linalg (ulab.h's switches): about 20 KB of flash
# for lib/ to grow into (firmware/README.md). ulab.numpy itself stays whole, as in the stand-in.
ULAB_FLAGS="-DULAB_SUPPORTS_COMPLEX=0 -DULAB_HAS_SCIPY=0 -DULAB_NUMPY_HAS_FFT_MODULE=0 -DULAB_NUMPY_HAS_LINALG_MODULE=0"

die() { echo "build_wio_terminal: $*" >&2; exit 1; }
[ -n "${MICROPY_SRC:-}" ] || die "set MICROPY_SRC to a MicroPython v1.28.0 tree"
[ -n "${ULAB_SRC:-}" ] || die "set ULAB_SRC to a micropython-ulab 6.12 tree"
[ -d "$MICROPY_SRC/ports/samd" ] || die "$MICROPY_SRC has no ports/samd: not a MicroPython tree"
[ -f "$MICROPY_SRC/lib/asf4/samd51/include/samd51.h" ] || die "$MICROPY_SRC/lib/asf4 is missing (git submodule update --init lib/asf4 lib/tinyusb lib/micropython-lib)"
[ -f "$ULAB_SRC/code/micropython.mk" ] || die "$ULAB_SRC has no code/micropython.mk: not micropython-ulab"
command -v arm-none-eabi-gcc >/dev/null || die "arm-none-eabi-gcc not on PATH (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
MICROPY_SRC=$(cd "$MICROPY_SRC" && pwd)
ULAB_SRC=$(cd "$ULAB_SRC" && pwd)

version() { grep -h "define $2" "$1" | head -3 | tr -s ' ' | tr '\n' ' '; }
KEY=$( { echo "$MICROPY_SRC $ULAB_SRC"; version "$MICROPY_SRC/py/mpconfig.h" MICROPY_VERSION_;
         version "$ULAB_SRC/code/ulab.c" ULAB_VERSION; echo "$CODESIZE $ROMFS $ULAB_FLAGS";
         arm-none-eabi-gcc --version | head -1; } \
       | cksum | cut -d' ' -f1)
WORK="$HF_CACHE/firmware-wio-$KEY"
mkdir -p "$HF_CACHE"
exec 9>"$WORK.lock"
flock 9  # one build per configuration at a time

if [ ! -d "$WORK" ]; then
    echo "== copying the sources to $WORK"
    TMP=$(mktemp -d "$HF_CACHE/.firmware-wio-XXXXXX")
    cp -a "$MICROPY_SRC" "$TMP/micropython"
    cp -a "$ULAB_SRC" "$TMP/ulab"
    chmod -R u+w "$TMP"
    mv "$TMP" "$WORK"
fi
MPY="$WORK/micropython"

echo "== mpy-cross (v1.28.0, from the same tree)"
make -C "$MPY/mpy-cross" -j"$JOBS" >/dev/null

echo "== firmware: $BOARD + ulab + heatface (code $CODESIZE, ROMFS $ROMFS)"
LOG="$WORK/make.log"
if ! make -C "$MPY/ports/samd" BOARD="$BOARD" -j"$JOBS" \
        USER_C_MODULES="$WORK/ulab" \
        FROZEN_MANIFEST="$HERE/manifest_wio_terminal.py" \
        MICROPY_HW_CODESIZE="$CODESIZE" MICROPY_HW_ROMFS_BYTES="$ROMFS" \
        CFLAGS_EXTRA="$ULAB_FLAGS" >"$LOG" 2>&1; then
    grep -v "^CC \|^QSTR\|^GEN \|^MPY " "$LOG" | tail -40
    die "the build failed (log: $LOG)"
fi
ELF="$MPY/ports/samd/build-$BOARD/firmware.elf"
# what must be frozen in: the samd51 default manifest (asyncio), the SD driver, the app, the model
for name in asyncio/__init__.py sdcard.py heatface/app.py heatface/boards/wio_terminal.py \
            heatface_model.py; do
    grep -q "\"$name\\\\0\"" "$MPY/ports/samd/build-$BOARD/frozen_content.c" \
        || die "$name is not frozen into the image (firmware/manifest_wio_terminal.py)"
done

mkdir -p "$ROOT/out/firmware"
cp "$MPY/ports/samd/build-$BOARD/firmware.uf2" "$ROOT/out/firmware/heatface-$BOARD.uf2"
# flash holds .text (code, frozen modules) and .data's initial values
read -r text data _ < <(arm-none-eabi-size "$ELF" | tail -1)
limit=$(( ${CODESIZE%K} * 1024 ))
used=$(( text + data ))
echo "== built out/firmware/heatface-$BOARD.uf2"
echo "   flash used $used of $limit bytes (code region), left $(( limit - used )) bytes;" \
     "ROMFS $ROMFS, bootloader 16K"
[ "$used" -le "$limit" ] || die "the image overflows the code region"
