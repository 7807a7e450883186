#!/usr/bin/env bash
# Build MicroPython for an ESP32-S3 board with ulab and microlite (TensorFlow Lite Micro) as user C
# modules and heatface frozen in (firmware/manifest.py).
#
# microlite lives in mocleiri/tensorflow-micropython-examples, which pins its own (old) MicroPython,
# TensorFlow and ESP-IDF (v4.4) as git submodules and already wires microlite + ulab in
# micropython-modules/micropython.cmake; this script builds one of its ESP32-S3 boards with our
# manifest. It cannot be combined with a current MicroPython tree.
#
# Needs: MICROLITE_DIR = a recursive clone of https://github.com/mocleiri/tensorflow-micropython-examples
#          (git clone --recurse-submodules ...), and ESP-IDF v4.4 installed with IDF_PATH set
#          (its CI uses `source micropython/tools/ci.sh && ci_esp32_idf44_setup`).
#        BOARD = a board folder under boards/esp32/ (default MICROLITE_S3_SPIRAM: 8 MB flash + PSRAM).
#          A 4 MB-flash module (e.g. Adafruit's ESP32-S3 Reverse TFT Feather: 4 MB flash, 2 MB PSRAM)
#          needs a copy of that folder pointing at a 4 MB partition table.
# Output: out/firmware/heatface-<BOARD>.bin, a whole-flash image written at offset 0 with esptool.
#
#   MICROLITE_DIR=~/src/tensorflow-micropython-examples firmware/build_esp32s3.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BOARD=${BOARD:-MICROLITE_S3_SPIRAM}

die() { echo "build_esp32s3: $*" >&2; exit 1; }
[ -n "${MICROLITE_DIR:-}" ] || die "set MICROLITE_DIR to a tensorflow-micropython-examples clone"
MICROLITE_DIR=$(cd "$MICROLITE_DIR" && pwd)
[ -d "$MICROLITE_DIR/boards/esp32/$BOARD" ] || die "no board folder boards/esp32/$BOARD in $MICROLITE_DIR"
[ -f "$MICROLITE_DIR/micropython/py/mpconfig.h" ] || die "submodules missing: git submodule update --init --recursive"
[ -n "${IDF_PATH:-}" ] || die "IDF_PATH is not set: install ESP-IDF v4.4 and run its export.sh"
# shellcheck disable=SC1091
source "$IDF_PATH/export.sh" >/dev/null

echo "== esp32 port submodules"
make -C "$MICROLITE_DIR/micropython/ports/esp32" BOARD= submodules

if [ ! -d "$MICROLITE_DIR/micropython-modules/microlite/tflm" ]; then
    echo "== generating the TFLM sources for ESP (once)"
    (cd "$MICROLITE_DIR/tensorflow" && ../micropython-modules/microlite/prepare-tflm-esp.sh)
fi

echo "== mpy-cross"
make -C "$MICROLITE_DIR/micropython/mpy-cross"

echo "== firmware: $BOARD + ulab + microlite + heatface"
cd "$MICROLITE_DIR/boards/esp32/$BOARD"
idf.py -D MICROPY_FROZEN_MANIFEST="$HERE/manifest.py" build
"$MICROLITE_DIR/micropython-modules/microlite/assemble-unified-image-esp.sh" \
    "$MICROLITE_DIR/micropython/ports/esp32"

mkdir -p "$ROOT/out/firmware"
cp build/firmware.bin "$ROOT/out/firmware/heatface-$BOARD.bin"
echo "== built out/firmware/heatface-$BOARD.bin"
echo "   flash: esptool.py --chip esp32s3 --port PORT erase_flash"
echo "          esptool.py --chip esp32s3 --port PORT --baud 460800 write_flash -z 0 out/firmware/heatface-$BOARD.bin"
