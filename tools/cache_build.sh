#!/bin/sh
# Build something from copies of source trees in the build cache, once per source + configuration.
#
#   tools/cache_build.sh [--path] NAME ARTIFACT "SRC_DIR ..." "CONFIG" COMMAND [ARG ...]
#
# The build lives in $HF_CACHE/NAME-KEY/, KEY = hash of NAME, the content of every SRC_DIR (.git
# excluded) and CONFIG (the flags and configuration files' content that select the build). Each
# SRC_DIR is copied (writable) into the build folder under its base name, then COMMAND runs there;
# the folder is built under a temporary name and renamed into place under a lock, so a concurrent
# caller waits for the build instead of repeating it and never sees a half-built tree.
# With --path, only prints the path of ARTIFACT (relative to the build folder), building nothing.
# A finished build is never rebuilt: a warm cache makes this a no-op.
set -eu

path_only=0
if [ "$1" = "--path" ]; then path_only=1; shift; fi
name=$1 artifact=$2 srcs=$3 config=$4
shift 4
cache=${HF_CACHE:?HF_CACHE is not set}

tree_id() {
    (cd "$1" && find . -name .git -prune -o \( -type f -o -type l \) -print0 | LC_ALL=C sort -z \
        | xargs -0 md5sum | md5sum | cut -c1-32)
}

ids=$name
for src in $srcs; do
    [ -d "$src" ] || { echo "cache_build: source folder $src does not exist" >&2; exit 1; }
    ids="$ids $(basename "$src")=$(tree_id "$src")"
done
key=$(printf '%s\n%s\n' "$ids" "$config" | md5sum | cut -c1-12)
dest=$cache/$name-$key

if [ $path_only = 1 ]; then
    echo "$dest/$artifact"
    exit 0
fi
[ -e "$dest/$artifact" ] && exit 0

# one build per key at a time: a second caller waits, then finds the finished build
mkdir -p "$cache"
exec 9> "$cache/.lock-$name-$key"
flock 9
[ -e "$dest/$artifact" ] && exit 0
tmp=$(mktemp -d "$cache/.tmp-$name-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for src in $srcs; do
    cp -R "$src" "$tmp/$(basename "$src")"
    rm -rf "$tmp/$(basename "$src")/.git"
done
chmod -R u+w "$tmp"
printf '%s\n%s\n' "$ids" "$config" > "$tmp/BUILD-KEY"
echo "cache_build: building $name in $dest (log: $dest/build.log)" >&2
if ! (cd "$tmp" && "$@") > "$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    echo "cache_build: building $name failed (the last 30 log lines are above)" >&2
    exit 1
fi
[ -e "$tmp/$artifact" ] || { echo "cache_build: $name built no $artifact" >&2; exit 1; }
if mv -T "$tmp" "$dest" 2>/dev/null; then
    trap - EXIT
fi
echo "cache_build: built $dest/$artifact" >&2
