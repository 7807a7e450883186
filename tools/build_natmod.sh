#!/bin/sh
# Build heatface's native int8 kernels (firmware/natmod/heatface_nn) for one architecture, once
# per source + configuration, into the build cache; prints the path of heatface_nn_<ARCH>.mpy.
#
#   tools/build_natmod.sh ARCH      (environment: HF_CACHE, MICROPY_SRC, CMSIS_NN_SRC, PYTHON)
#
# The key hashes the module's folder, CMSIS-NN's Include/ and Source/, the MicroPython files the
# natmod tooling and ABI come from, the compiler's version and ARCH. The build runs in a copy of
# the module's folder under a temporary name and is renamed into place under a lock, so
# concurrent callers never see half a build; MICROPY_SRC and CMSIS_NN_SRC are only read.
set -eu
arch=$1
cache=${HF_CACHE:?HF_CACHE is not set}
mpy=${MICROPY_SRC:?MICROPY_SRC is not set}
cmsis=${CMSIS_NN_SRC:?CMSIS_NN_SRC is not set}
python=$(command -v "${PYTHON:-python3}" || echo "${PYTHON:-python3}")
case $python in /*) ;; *) python=$PWD/$python ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)/firmware/natmod/heatface_nn
[ -f "$mpy/py/dynruntime.mk" ] || { echo "build_natmod: MICROPY_SRC=$mpy is not a MicroPython tree" >&2; exit 1; }
[ -d "$cmsis/Source" ] || { echo "build_natmod: CMSIS_NN_SRC=$cmsis is not a CMSIS-NN tree" >&2; exit 1; }
case $arch in
    x64|x86) cc=gcc ;;
    armv6m|armv7m|armv7emsp|armv7emdp) cc=arm-none-eabi-gcc ;;
    *) echo "build_natmod: no compiler for ARCH=$arch here" >&2; exit 1 ;;
esac

key=$( { (cd "$here" && cat Makefile ./*.c); \
         (cd "$cmsis" && find Include Source -type f | LC_ALL=C sort | xargs cat); \
         (cd "$mpy" && cat py/dynruntime.mk py/dynruntime.h py/nativeglue.h py/persistentcode.h \
                           tools/mpy_ld.py tools/mpy-tool.py); \
         $cc --version | head -n 1; echo "$arch"; } | md5sum | cut -c1-12)
dest=$cache/natmod-$key
out=$dest/heatface_nn_$arch.mpy
if [ -e "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
exec 9> "$cache/.lock-natmod-$key"
flock 9
if [ -e "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d "$cache/.tmp-natmod-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$here"/Makefile "$here"/*.c "$tmp/"
if ! (cd "$tmp" && nice make MPY_DIR="$mpy" CMSIS_NN="$cmsis" ARCH="$arch" PYTHON="$python") \
        > "$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    echo "build_natmod: building heatface_nn for $arch failed" >&2
    exit 1
fi
mv "$tmp/heatface_nn.mpy" "$tmp/heatface_nn_$arch.mpy"
rm -rf "$tmp/build"
mv -T "$tmp" "$dest"
trap - EXIT
echo "$out"
