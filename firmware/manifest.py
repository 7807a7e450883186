# heatface frozen into a MicroPython image: the port's own modules, micropython-lib's SD card
# driver, lib/heatface, and the model (as the generated module heatface_model).
#
#   Wio Terminal: firmware/build_wio_terminal.sh (FROZEN_MANIFEST=<abs>/firmware/manifest_wio_terminal.py)
#   ESP32-S3:     idf.py -D MICROPY_FROZEN_MANIFEST=<abs>/firmware/manifest.py build (build_esp32s3.sh)
#   any port:     include("<abs>/firmware/manifest.py", port_manifest=False) from its own manifest
#
# MicroPython runs this file with its directory as the working directory (relative paths are
# relative to firmware/; FROZEN_MANIFEST must be an absolute path). Options (pass them with
# include("<abs>/firmware/manifest.py", models="...") from another manifest):
#   models        folder with the model files (default ../models)
#   generated     where heatface_model.py is written (default ../out/firmware)
#   port_manifest include $(PORT_DIR)/boards/manifest.py, the esp32 port's default (default True;
#                 the samd51 default is mcu/samd51/manifest.py: manifest_wio_terminal.py includes it)
#   sdcard        freeze micropython-lib's sdcard driver (default True; ESP32 has machine.SDCard)
#   boards        board profiles to freeze, e.g. ("wio_terminal",) (default None: every profile;
#                 one board's image need not carry the others' pins, and the Wio's flash is full)
# A driver dropped into firmware/vendor/ (e.g. st7789py.py) is frozen too.
import os
import sys

_here = os.getcwd()
try:
    _opts = options
    _opts.defaults(models="../models", generated="../out/firmware", port_manifest=True, sdcard=True,
                   boards=None)
except NameError:  # MicroPython before 1.20 (microlite's v1.19.1): no options, package(), require()

    class _Defaults:
        models = "../models"
        generated = "../out/firmware"
        port_manifest = True
        sdcard = False
        boards = None

    _opts = _Defaults()
_modern = "package" in globals()


def _heatface_files(boards):
    """lib/heatface's sources (relative to it), of boards/ only __init__ and the named profiles."""
    files = []
    for dirpath, _, names in os.walk("../lib/heatface"):
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, name), "../lib/heatface")
            in_boards = os.path.dirname(rel) == "boards" and name != "__init__.py"
            if name.endswith(".py") and not (in_boards and name[:-3] not in boards):
                files.append(rel)
    return files


if _opts.port_manifest:
    include("$(PORT_DIR)/boards/manifest.py")

if _modern:
    if _opts.sdcard:
        try:
            require("sdcard")
        except Exception as _e:  # e.g. lib/micropython-lib not checked out in an older tree
            print("heatface manifest: sdcard driver not frozen (%s); install it with mip" % _e)
    if _opts.boards is None:
        package("heatface", base_path="../lib")
    else:
        package("heatface", files=_heatface_files(_opts.boards), base_path="../lib")
else:
    freeze("../lib", "heatface")

sys.path.insert(0, _here)
try:
    import model_module as _model_module
finally:
    sys.path.remove(_here)
_gen = os.path.abspath(_opts.generated)
if _model_module.write_model_module(os.path.abspath(_opts.models), _gen):
    if _modern:
        module("heatface_model.py", base_path=_gen)
    else:
        freeze(_gen, "heatface_model.py")
else:
    print("heatface manifest: no model files in %s; the app will read /models/ instead" % _opts.models)

if os.path.isdir("vendor"):
    for _name in sorted(os.listdir("vendor")):
        if _name.endswith(".py"):
            if _modern:
                module(_name, base_path="vendor")
            else:
                freeze("vendor", _name)
