"""The board's settings file: a small JSON document merged over built-in defaults.

The file is optional. A missing file means "use the defaults"; a malformed file or a bad value
never stops the app: the offending part falls back to its default and a warning says why, so the
screen or the serial console can show it. Every key of :data:`DEFAULTS` is checked: the type of
its default, and the range or choices :mod:`heatface.config_check` gives. Keys this module does not know are
kept as they are (other parts of the app read them and check them themselves, e.g.
:mod:`heatface.camera` its ``units`` and ``alarm_c``).

Example ``/heatface.json``::

    {"labels": {"A": "face0", "B": "face1", "C": "env"}, "burst": 10, "captures_dir": "/sd"}
"""

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
    "refresh_rate": 16,  # sensor subpage rate in Hz
    "emissivity": 0.95,
    "palette": "ironbow",
    "range": "fixed",  # the palette's span: "fixed" (25..40 degC) or "auto" (follows the frame)
    "jpeg_quality": 95,
    "print_predictions": True,  # infer mode prints each prediction on the serial console
    "record_sd": False,  # raw recording to the card from the start (heatface.recorder)
    "markers": False,  # these three load heatface.camera when true
    "mirror": False,
    "flip": False,
    "max_read_failures": 5,  # failed reads in a row before the sensor counts as lost
    "sensor_retry_ms": 2000,
    "retry_sleep_ms": 50,
    "error_hold_ms": 3000,  # how long an error the app loop caught stays across the image
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


def with_defaults(config):
    """``config`` with every missing :data:`DEFAULTS` key added (in place; for dicts built in
    code, which :func:`load_config` did not check); returns it."""
    for key in DEFAULTS:
        if key not in config:
            value = DEFAULTS[key]
            config[key] = dict(value) if isinstance(value, dict) else value
    return config


def load_config(path=CONFIG_PATH, warnings=None):
    """Read the JSON settings at ``path``, check every value and merge them over ``DEFAULTS``.

    Returns a fresh dict with every default key present; a value of the wrong type or outside
    its range is replaced by its default. Problems are printed (the serial console), appended as
    human-readable strings to ``warnings`` when a list is given, and kept in the config under
    ``"warnings"`` (the app shows the first on screen). Never raises for a missing, unreadable or
    malformed file.
    """
    config = with_defaults({})  # first: the long-lived dict goes below the checks' transient code
    try:
        f = open(path)
    except OSError:
        return config  # no file: defaults, nothing to warn about (and nothing to load)
    from heatface import config_check
    from heatface.compat import unload

    if warnings is None:
        warnings = []
    start = len(warnings)
    try:
        with f:
            config_check.merge(f, path, config, warnings)
    finally:
        unload("heatface.config_check")  # the checks run once: their code need not stay in RAM
    if len(warnings) > start:
        config["warnings"] = warnings[start:]
    for i in range(start, len(warnings)):
        print("heatface:", warnings[i])
    return config
