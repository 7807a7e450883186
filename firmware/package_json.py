"""Generate or check firmware/package.json, the mip package of the heatface library.

``mpremote mip install firmware/package.json`` (from a checkout) or
``mpremote mip install github:<owner>/<repo>/firmware/package.json`` installs ``lib/heatface`` into
the board's ``/lib`` plus its board dependencies. URLs are relative to this folder (``../lib/...``),
so the file works from any fork; ``--base github:<owner>/<repo>`` writes absolute URLs instead,
for hosts that do not resolve ``..`` in a path.

Usage: ``python firmware/package_json.py [--write | --check] [--base URL]``.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGE = "heatface"
DEPS = [
    ["sdcard", "latest"],  # micropython-lib's SPI SD card driver (the samd port has no machine.SDCard)
    ["github:russhughes/st7789py_mpy/lib/st7789py.py", "HEAD"],  # pure-Python ST7789 driver
]


def library_files(root=ROOT):
    """Paths of the library's .py files relative to ``lib/``, sorted (``heatface/app.py``, ...)."""
    found = []
    base = os.path.join(root, "lib")
    for dirpath, dirnames, filenames in os.walk(os.path.join(base, PACKAGE)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in filenames:
            if name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(dirpath, name), base).replace(os.sep, "/"))
    return sorted(found)


def version(root=ROOT):
    with open(os.path.join(root, "lib", PACKAGE, "__init__.py")) as f:
        match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", f.read())
    if not match:
        raise ValueError("no __version__ in lib/%s/__init__.py" % PACKAGE)
    return match.group(1)


def package(base=None, root=ROOT):
    """The package.json content as a dict."""
    prefix = (base.rstrip("/") + "/lib/") if base else "../lib/"
    return {
        "urls": [[path, prefix + path] for path in library_files(root)],
        "deps": DEPS,
        "version": version(root),
    }


def render(pkg):
    return json.dumps(pkg, indent=2) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="generate or check firmware/package.json")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write firmware/package.json")
    mode.add_argument("--check", action="store_true", help="exit 1 if firmware/package.json is stale")
    parser.add_argument("--base", help="absolute URL prefix, e.g. github:owner/heatface")
    args = parser.parse_args(argv)
    text = render(package(args.base))
    path = os.path.join(HERE, "package.json")
    if args.write:
        with open(path, "w") as f:
            f.write(text)
        print("wrote %s (%d files)" % (os.path.relpath(path), len(json.loads(text)["urls"])))
    elif args.check:
        with open(path) as f:
            if f.read() != text:
                print("firmware/package.json is out of date: run `make package-json`", file=sys.stderr)
                return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
