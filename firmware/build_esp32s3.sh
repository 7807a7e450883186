#!/usr/bin/env bash
# Build MicroPython for an ESP32-S3 board with ulab and microlite (TensorFlow Lite Micro) as user C
# modules and heatface frozen in (firmware/manifest.py).
#
# microlite lives in mocleiri/tensorflow-micropython-examples, which pins its own MicroPython
# (v1.19.1) and TensorFlow as git submodules and already wires microlite + ulab in
# micropython-modules/micropython.cmake; this script builds one of its ESP32-S3 boards with our
# manifest. It cannot be combined with a current MicroPython tree.
#
# Not built here (no ESP-IDF in the package registries): kept in step with microlite's own build
# steps as of commit 44b7fbe (BUILD.md "Building ESP32", boards/esp32/MICROLITE_S3/, and
# micropython-modules/microlite/prepare-tflm-esp.sh and assemble-unified-image-esp.sh).
#
# Needs: MICROLITE_DIR = a clone of https://github.com/mocleiri/tensorflow-micropython-examples
#          with its submodules (git submodule update --init --recursive; it pins MicroPython
#          v1.19.1, TensorFlow and ESP-IDF), and ESP-IDF installed with IDF_PATH set (BUILD.md
#          provisions it with micropython/tools/ci.sh; MicroPython v1.19.1 takes IDF v4.0-v4.4).
#        BOARD = a board folder under boards/esp32/ (default MICROLITE_S3: 8 MB flash).
#          A 4 MB-flash module (e.g. Adafruit's ESP32-S3 Reverse TFT Feather: 4 MB flash, 2 MB PSRAM)
#          needs a copy of that folder pointing at a 4 MB partition table.
# heatface's manifest takes its v1.19.1 branch there (freeze(), no require(): the S3 profile uses
# machine.SDCard, not micropython-lib's sdcard).
# Output: out/firmware/heatface-<BOARD>.bin, a whole-flash image written at offset 0 with esptool.
#
#   MICROLITE_DIR=~/src/tensorflow-micropython-examples firmware/build_esp32s3.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BOARD=${BOARD:-MICROLITE_S3}

die() { echo "build_esp32s3: $*" >&2; exit 1; }
[ -n "${MICROLITE_DIR:-}" ] || die "set MICROLITE_DIR to a tensorflow-micropython-examples clone"
MICROLITE_DIR=$(cd "$MICROLITE_DIR" && pwd)
[ -d "$MICROLITE_DIR/boards/esp32/$BOARD" ] || die "no board folder boards/esp32/$BOARD in $MICROLITE_DIR"
[ -f "$MICROLITE_DIR/micropython/py/mpconfig.h" ] || die "submodules missing: git submodule update --init --recursive"
[ -n "${IDF_PATH:-}" ] || die "IDF_PATH is not set: install ESP-IDF v4.4 and run its export.sh"
# shellcheck disable=SC1091
source "$IDF_PATH/export.sh" >/dev/null

echo "== MicroPython submodules the esp32 port needs (BUILD.md)"
git -C "$MICROLITE_DIR/micropython" submodule update --init lib/axtls lib/berkeley-db-1.xx

if [ ! -d "$MICROLITE_DIR/micropython-modules/microlite/tflm" ]; then
    echo "== generating the TFLM sources for ESP (once)"
    (cd "$MICROLITE_DIR/tensorflow" && ../micropython-modules/microlite/prepare-tflm-esp.sh)
fi

echo "== mpy-cross (before the board, BUILD.md)"
make -C "$MICROLITE_DIR/micropython/mpy-cross" clean all

echo "== firmware: $BOARD + ulab + microlite + heatface"
cd "$MICROLITE_DIR/boards/esp32/$BOARD"
rm -rf build  # idf.py keeps the old MICROPY_FROZEN_MANIFEST in its cache otherwise
idf.py -D MICROPY_FROZEN_MANIFEST="$HERE/manifest.py" build
# makeimg.py: bootloader + partition table + micropython.bin -> build/firmware.bin (offset 0)
"$MICROLITE_DIR/micropython-modules/microlite/assemble-unified-image-esp.sh" \
    "$MICROLITE_DIR/micropython/ports/esp32"

mkdir -p "$ROOT/out/firmware"
cp build/firmware.bin "$ROOT/out/firmware/heatface-$BOARD.bin"
echo "== built out/firmware/heatface-$BOARD.bin"
echo "   flash: esptool.py --chip esp32s3 --port PORT erase_flash"
echo "          esptool.py --chip esp32s3 --port PORT --baud 460800 write_flash -z 0 out/firmware/heatface-$BOARD.bin"
