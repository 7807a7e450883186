#!/bin/sh
# Build one of heatface's dynamic native modules for one variant, once per source + configuration,
# into the build cache; prints the path of the .mpy file.
#
#   tools/build_natmod.sh MODULE VARIANT    (environment: HF_CACHE, MICROPY_SRC, PYTHON, and
#                                            CMSIS_NN_SRC for heatface_nn)
#
# MODULE      source folder            file
# heatface_nn     firmware/natmod/heatface_nn  heatface_nn_<ARCH>.mpy  (int8 kernels, CMSIS-NN inside;
#                                              tflite_native picks the file of its own architecture)
# heatface_pixels firmware/natmod/pixels       heatface_pixels.mpy     (MLX90640 To, render, grayscale, motion)
#
# VARIANT is a py/dynruntime.mk ARCH (armv7emsp, x64, x86, ...) with that architecture's float
# width (armv7emsp: float; x64, x86: double), or ARCH-f32 for single-precision floats (x86-f32:
# the 32-bit single-float unix port).
#
# The key hashes the module's folder (and CMSIS-NN's Include/ and Source/ for heatface_nn), the
# MicroPython files the natmod tooling and ABI come from, the compiler's version and VARIANT. The
# build runs in a copy of the module's folder under a temporary name and is renamed into place
# under a lock, so concurrent callers never see half a build; MICROPY_SRC and CMSIS_NN_SRC are only
# read.
set -eu
[ $# -eq 2 ] || { echo "usage: tools/build_natmod.sh heatface_nn|heatface_pixels VARIANT" >&2; exit 2; }
module=$1
variant=$2
cache=${HF_CACHE:?HF_CACHE is not set}
mpy=${MICROPY_SRC:?MICROPY_SRC is not set}
python=$(command -v "${PYTHON:-python3}" || echo "${PYTHON:-python3}")
case $python in /*) ;; *) python=$PWD/$python ;; esac
[ -f "$mpy/py/dynruntime.mk" ] || { echo "build_natmod: MICROPY_SRC=$mpy is not a MicroPython tree" >&2; exit 1; }

case $variant in
    *-f32) arch=${variant%-f32}; float=MICROPY_FLOAT_IMPL=float ;;
    *) arch=$variant; float= ;;
esac
case $arch in
    x64|x86) cc=gcc ;;
    armv6m|armv7m|armv7emsp|armv7emdp) cc=arm-none-eabi-gcc ;;
    *) echo "build_natmod: no compiler for ARCH=$arch here" >&2; exit 1 ;;
esac

firmware=$(cd "$(dirname "$0")/.." && pwd)/firmware/natmod
case $module in
    heatface_nn)
        here=$firmware/heatface_nn
        name=heatface_nn_$arch.mpy
        cmsis=${CMSIS_NN_SRC:?CMSIS_NN_SRC is not set}
        [ -d "$cmsis/Source" ] || { echo "build_natmod: CMSIS_NN_SRC=$cmsis is not a CMSIS-NN tree" >&2; exit 1; } ;;
    heatface_pixels)
        here=$firmware/pixels
        name=heatface_pixels.mpy
        cmsis= ;;
    *) echo "build_natmod: no native module $module (heatface_nn, heatface_pixels)" >&2; exit 2 ;;
esac

key=$( { (cd "$here" && cat Makefile ./*.c); \
         if [ -n "$cmsis" ]; then (cd "$cmsis" && find Include Source -type f | LC_ALL=C sort | xargs cat); fi; \
         (cd "$mpy" && cat py/dynruntime.mk py/dynruntime.h py/nativeglue.h py/persistentcode.h \
                           tools/mpy_ld.py tools/mpy-tool.py); \
         $cc --version | head -n 1; echo "$variant"; } | md5sum | cut -c1-12)
dest=$cache/natmod-$key
out=$dest/$name
if [ -e "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
exec 9> "$cache/.lock-natmod-$key"
flock 9
if [ -e "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d "$cache/.tmp-natmod-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$here"/Makefile "$here"/*.c "$tmp/"
# PYTHONDONTWRITEBYTECODE: the natmod tooling runs from MICROPY_SRC, read-only in CI
if ! (cd "$tmp" && PYTHONDONTWRITEBYTECODE=1 nice make MPY_DIR="$mpy" ${cmsis:+CMSIS_NN="$cmsis"} \
        ARCH="$arch" $float PYTHON="$python") > "$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    echo "build_natmod: building $module for $variant failed" >&2
    exit 1
fi
[ "$module.mpy" = "$name" ] || mv "$tmp/$module.mpy" "$tmp/$name"
rm -rf "$tmp/build"
mv -T "$tmp" "$dest"
trap - EXIT
echo "$out"
