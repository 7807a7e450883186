"""The board's settings file: a small JSON document merged over built-in defaults.

The file is optional. A missing file means "use the defaults"; a malformed file or a bad value
never stops the app: the offending part falls back to its default and a warning says why, so the
screen or the serial console can show it. Every key in :data:`DEFAULTS` is checked against its
rule in :data:`RULES` (type and range); keys this module does not know are kept as they are
(other parts of the app may read them). :func:`check_config` applies the same checks to a dict
built in code (the app runs it on whatever config it is given).

Example ``/heatface.json``::

    {"labels": {"A": "face0", "B": "face1", "C": "env"}, "burst": 10, "captures_dir": "/sd"}
"""

import json

CONFIG_PATH = "heatface.json"  # relative: the board starts in /, the simulator in its own folder

MAX_BURST = 100  # frames one long press may capture (a second long press stops it earlier)

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
    "refresh_rate": 16,  # sensor subpage rate in Hz: 0.5, 1, 2, 4, 8, 16, 32 or 64
    "emissivity": 0.95,
    "palette": "ironbow",
    "range": "fixed",  # the palette's span: "fixed" (25..40 degC) or "auto"
    "jpeg_quality": 95,
    "max_read_failures": 5,  # failed reads in a row before the sensor counts as lost
    "sensor_retry_ms": 2000,
    "retry_sleep_ms": 50,
    "error_hold_ms": 3000,  # how long an error the loop caught stays on screen
    "print_predictions": True,
}

_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
_RATES = (0.5, 1, 2, 4, 8, 16, 32, 64)


def valid_label(label):
    """True when ``label`` can be a file-name label (non-empty, no dot, no path characters)."""
    if not isinstance(label, str) or not label or len(label) > 32:
        return False
    for ch in label:
        if ch not in _LABEL_CHARS:
            return False
    return True


# A rule returns the value (normalised) or raises ValueError saying what the value must be.

def _int(lo, hi):
    def rule(value):
        if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
            return value
        raise ValueError("must be a whole number from %d to %d" % (lo, hi))
    return rule


def _number(lo, hi):
    def rule(value):  # lo < value <= hi
        if isinstance(value, (int, float)) and not isinstance(value, bool) and lo < value <= hi:
            return float(value)
        raise ValueError("must be a number above %g and at most %g" % (lo, hi))
    return rule


def _choice(choices):
    def rule(value):
        if not isinstance(value, bool) and value in choices:
            return value
        raise ValueError("must be one of " + ", ".join(repr(c) for c in choices))
    return rule


def _palette(value):
    from heatface import palettes

    return _choice(tuple(palettes.names()))(value)


def _text(value):
    if isinstance(value, str):
        return value
    raise ValueError("must be a string")


def _folder(value):
    if isinstance(value, str) and value.startswith("/"):
        return value.rstrip("/") or "/"
    raise ValueError("must be an absolute path such as \"/sd\"")


def _bool(value):
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def _labels(value, warnings):
    if not isinstance(value, dict) or not value:
        warnings.append("config: 'labels' must be an object like {\"A\": \"face0\"}; using defaults")
        return None
    labels = {}
    seen = {}
    for button in value:
        label = value[button]
        if not valid_label(label):
            warnings.append("config: label %r for button %s is not a valid name "
                            "(letters, digits, - and _ only); ignored" % (label, button))
        elif label.lower() in seen and seen[label.lower()] != label:
            # FAT file names ignore case: Face0.1.jpg and face0.1.jpg are the same file
            warnings.append("config: label %r for button %s differs from %r only in case; "
                            "ignored" % (label, button, seen[label.lower()]))
        else:
            seen[label.lower()] = label
            labels[button] = label
    if not labels:
        warnings.append("config: no usable labels; using defaults")
        return None
    return labels


RULES = {
    "burst": _int(1, MAX_BURST),
    "captures_dir": _folder,
    "manifest": _text,
    "debounce_ms": _int(0, 1000),
    "long_ms": _int(100, 60000),
    "start_mode": _choice(("live", "collect", "infer")),
    "model": _text,
    "refresh_rate": _choice(_RATES),
    "emissivity": _number(0.0, 1.0),
    "palette": _palette,
    "range": _choice(("fixed", "auto")),
    "jpeg_quality": _int(1, 100),
    "max_read_failures": _int(1, 1000),
    "sensor_retry_ms": _int(0, 600000),
    "retry_sleep_ms": _int(0, 10000),
    "error_hold_ms": _int(0, 60000),
    "print_predictions": _bool,
}


def _check(key, value, default, warnings):
    """Return ``value`` if it is acceptable for ``key``, else ``default`` plus a warning."""
    if key == "labels":
        labels = _labels(value, warnings)
        return default if labels is None else labels
    try:
        return RULES[key](value)
    except ValueError as exc:
        warnings.append("config: %s = %r %s; using %r" % (key, value, exc.args[0], default))
        return default


def _copy_defaults(defaults):
    out = {}
    for key in defaults:
        value = defaults[key]
        out[key] = dict(value) if isinstance(value, dict) else value
    return out


def check_config(config, warnings=None):
    """A copy of ``config`` with every :data:`DEFAULTS` key present and valid (bad values replaced
    by their default, with a message appended to ``warnings``); other keys kept."""
    if warnings is None:
        warnings = []
    out = _copy_defaults(DEFAULTS)
    for key in config:
        if key in DEFAULTS:
            out[key] = _check(key, config[key], out[key], warnings)
        else:
            out[key] = config[key]
    return out


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
        if key in defaults and key in DEFAULTS:
            config[key] = _check(key, data[key], config[key], warnings)
        else:
            config[key] = data[key]
    return config
