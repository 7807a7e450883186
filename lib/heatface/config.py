"""The board's settings file: a small JSON document merged over built-in defaults.

The file is optional. A missing file means "use the defaults"; a malformed file or a bad value
never stops the app: the offending part falls back to its default and a warning says why, so the
screen or the serial console can show it. Keys this module does not know are kept as they are
(other parts of the app may read them).

Example ``/heatface.json``::

    {"labels": {"A": "face0", "B": "face1", "C": "env"}, "burst": 10, "captures_dir": "/sd"}
"""

import json

MAX_BURST = 100  # frames one long press may capture (a second long press stops it earlier)

CONFIG_PATH = "heatface.json"  # relative: the board starts in /, the simulator in its own folder

# Buttons A, B and C capture under these labels (the seed's names). A label becomes the first
# part of the file name, which Edge Impulse reads as the class: letters, digits, '-' and '_' only.
DEFAULTS = {
    "labels": {"A": "face0", "B": "face1", "C": "env"},
    "burst": 10,  # frames captured by a long press (including the press's own frame)
    "captures_dir": "/sd",  # where <label>.<n>.jpg files go (the SD card's root, as in the seed)
    "manifest": "captures.csv",  # per-capture log in captures_dir ("" to disable)
    "debounce_ms": 30,
    "long_ms": 800,
    "start_mode": "collect",  # live, collect or infer; the 5-way switch's press cycles them
    "model": "models/heatface.tflite",  # with .labels.txt and .json beside it
    # LCD speed options (README "Performance"): integer upscale, 0 = the largest beside the legend
    # (9 on a 320x240 panel); "changed" sends only the image parts that changed, "full" all of it
    "scale": 0,
    "lcd_update": "changed",
}
LCD_UPDATES = ("changed", "full")

_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def valid_label(label):
    """True when ``label`` can be a file-name label (non-empty, no dot, no path characters)."""
    if not isinstance(label, str) or not label or len(label) > 32:
        return False
    for ch in label:
        if ch not in _LABEL_CHARS:
            return False
    return True


def _copy_defaults(defaults):
    out = {}
    for key in defaults:
        value = defaults[key]
        out[key] = dict(value) if isinstance(value, dict) else value
    return out


def _check(key, value, default, warnings):
    """Return ``value`` if it is acceptable for ``key``, else ``default`` plus a warning."""
    if key == "labels":
        if not isinstance(value, dict) or not value:
            warnings.append("config: 'labels' must be an object like {\"A\": \"face0\"}; using defaults")
            return default
        labels = {}
        for button in value:
            label = value[button]
            if valid_label(label):
                labels[button] = label
            else:
                warnings.append("config: label %r for button %s is not a valid name "
                                "(letters, digits, - and _ only); ignored" % (label, button))
        if not labels:
            warnings.append("config: no usable labels; using defaults")
            return default
        return labels
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if key == "burst":
            ok = ok and value >= 1
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif isinstance(default, str):
        ok = isinstance(value, str)
        if ok and key == "lcd_update":
            ok = value in LCD_UPDATES
        if ok and key == "captures_dir":
            ok = value.startswith("/")  # an absolute path on the board
            value = value.rstrip("/") or "/"
    else:
        ok = True
    if not ok:
        warnings.append("config: %s = %r is not valid; using %r" % (key, value, default))
        return default
    return value


def load_config(path=CONFIG_PATH, defaults=None, warnings=None):
    """Read the JSON settings at ``path`` and merge them over ``defaults`` (``DEFAULTS``).

    Returns a fresh dict with every default key present. Problems are printed (the serial
    console) and appended as human-readable strings to ``warnings`` when a list is given (for
    the screen). Never raises for a missing, unreadable or malformed file.
    """
    if defaults is None:
        defaults = DEFAULTS
    if warnings is None:
        warnings = []
    start = len(warnings)
    config = _merge(path, defaults, warnings)
    for i in range(start, len(warnings)):
        print("heatface:", warnings[i])
    return config


def _merge(path, defaults, warnings):
    config = _copy_defaults(defaults)
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return config  # no file: defaults, nothing to warn about
    try:
        data = json.loads(text)
    except ValueError as exc:
        warnings.append("config %s is not valid JSON (%s); using defaults" % (path, exc))
        return config
    if not isinstance(data, dict):
        warnings.append("config %s must hold a JSON object {...}; using defaults" % path)
        return config
    for key in data:
        if key in defaults:
            config[key] = _check(key, data[key], config[key], warnings)
        else:
            config[key] = data[key]
    return config
