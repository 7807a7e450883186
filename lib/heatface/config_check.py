"""The checks :func:`heatface.config.load_config` runs on a settings file, once, at start-up
(the module is unloaded afterwards).

Each key of :data:`heatface.config.DEFAULTS` must have its default's type (an int is also a
float; a bool is never a number) and, where :data:`RULES` says, lie in a range or be one of a
list of choices; ``labels`` and ``captures_dir`` have their own rules.
"""

import json

from heatface.config import DEFAULTS, LCD_UPDATES, MAX_BURST, valid_label
from heatface.mlx90640 import RATES
from heatface.palettes import names


# What each key's value must be beyond its default's type: (lo, hi) a number in that range,
# a list: one of its items.
RULES = {
    "burst": (1, MAX_BURST), "debounce_ms": (0, 1000), "long_ms": (50, 60000),
    "start_mode": ["live", "collect", "infer"], "refresh_rate": list(RATES),
    "emissivity": (0.1, 1.0), "palette": list(names()), "range": ["fixed", "auto"],
    "jpeg_quality": (1, 100), "max_read_failures": (1, 1000), "sensor_retry_ms": (0, 600000),
    "retry_sleep_ms": (0, 10000), "scale": (0, 30), "lcd_update": list(LCD_UPDATES),
    "error_hold_ms": (0, 60000),
}

_KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _check(key, value, default, rule, warnings):
    """Return ``value`` if it is acceptable for ``key``, else ``default`` plus a warning."""
    if key == "labels":
        return _labels(value, default, warnings)
    kind = type(default)
    if default is None and rule is None:  # no default type to hold it to
        return value
    if type(rule) is list:  # choices: any type but bool (True == 1)
        ok = type(value) is not bool and value in rule
        need = "one of " + ", ".join([repr(c) for c in rule])
    else:
        ok = type(value) is kind or (kind is float and type(value) is int)
        need = _KINDS.get(kind, "like %r" % (default,))
        if ok and rule is not None:
            ok = rule[0] <= value <= rule[1]
            need += " from %r to %r" % rule
        if ok and key == "captures_dir":
            ok = value.startswith("/")  # an absolute path on the board
            value = value.rstrip("/") or "/"
            need = "an absolute path such as \"/sd\""
    if ok:
        return float(value) if kind is float else value
    warnings.append("config: %s = %r must be %s; using %r" % (key, value, need, default))
    return default


def _labels(value, default, warnings):
    if not isinstance(value, dict) or not value:
        warnings.append("config: 'labels' must be an object like {\"A\": \"face0\"}; using defaults")
        return default
    labels = {}
    seen = {}  # lower case -> label: FAT names ignore case, Face0.1.jpg is face0.1.jpg
    for button in value:
        label = value[button]
        if not valid_label(label):
            warnings.append("config: labels %s = %r is not a valid name (letters, digits, "
                            "- and _ only); ignored" % (button, label))
        elif seen.get(label.lower(), label) != label:
            warnings.append("config: labels %s = %r differs from %r only in case (the card "
                            "cannot tell them apart); ignored" % (button, label, seen[label.lower()]))
        else:
            seen[label.lower()] = label
            labels[button] = label
    if not labels:
        warnings.append("config: labels: none usable; using defaults")
        return default
    return labels


def merge(f, path, config, warnings):
    """The settings in the JSON file ``f`` (open, from ``path``) into ``config`` (DEFAULTS), each
    value checked (a bad one: its default, and a message appended to ``warnings``)."""
    try:
        data = json.loads(f.read())
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8 text, or not JSON
        warnings.append("config %s is not valid JSON (%s); using defaults" % (path, exc))
        return
    if not isinstance(data, dict):
        warnings.append("config %s must hold a JSON object {...}; using defaults" % path)
        return
    for key in data:
        if key in DEFAULTS:
            config[key] = _check(key, data[key], config[key], RULES.get(key), warnings)
        else:
            config[key] = data[key]
