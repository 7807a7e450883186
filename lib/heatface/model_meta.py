"""A model's metadata (``<model>.json``) and labels file (``<model>.labels.txt``), read and checked
field by field while the model loads (:meth:`heatface.classifier.Classifier.load` unloads this
module afterwards: none of it stays in RAM).

A field the classifier can do without is dropped with a warning (its default applies: the model's
own quantization, the default arena, the 22..37 degC mapping); labels that are missing, malformed
or that disagree between the two files refuse the model with :class:`ModelError`:

- ``labels``: distinct non-empty strings, one per model output; with a ``.labels.txt`` too, both
  must list the same labels in the same order.
- ``t_lo``, ``t_hi``: the to_gray8 range the model was trained with, numbers with
  -40 <= t_lo < t_hi <= 300 (the sensor's range); else both are dropped.
- ``input_scale`` (a positive number), ``input_zero_point`` (an integer -128..127): checked
  against the model's own quantization by the classifier; ``arena_size``: an integer
  1024..1048576; ``input_shape``: ``[1, 24, 32, 1]`` if given.
- ``input_norm``: what the model's input is made from, one of
  :data:`heatface.classifier.INPUT_NORMS` (absent: ``"gray"``, the frame as it is); any other value
  refuses the model: no default could feed it the input it was trained on.
"""

import json

from heatface.tflite_fb import ModelError


def _number(v):
    return type(v) in (int, float) and v == v  # not bool, not NaN


def check_labels(labels, where):
    """``labels`` as a list of distinct non-empty strings, or ModelError naming ``where``."""
    if type(labels) is not list or not labels:
        raise ModelError("labels in %s must be a non-empty list of names, not %r" % (where, labels))
    for i in range(len(labels)):
        label = labels[i]
        if type(label) is not str or not label.strip():
            raise ModelError("labels in %s must be non-empty strings, not %r" % (where, label))
        if label in labels[:i]:
            raise ModelError("label %r appears twice in %s" % (label, where))
    return labels


def _text(data, where):
    try:
        return str(bytes(data), "utf-8")
    except UnicodeError:
        raise ModelError("%s is not UTF-8 text" % where)


# field -> (is it acceptable?, what it must be)
_FIELDS = (
    ("input_scale", lambda v: _number(v) and v > 0, "a positive number"),
    ("input_zero_point", lambda v: type(v) is int and -128 <= v <= 127, "an integer -128..127"),
    ("arena_size", lambda v: type(v) is int and 1024 <= v <= 1 << 20, "an integer 1024..1048576"),
    ("input_shape", lambda v: v == [1, 24, 32, 1], "[1, 24, 32, 1]"),
)


def check_meta(meta, where, warnings):
    """A copy of the metadata dict ``meta`` without the fields that fail their check (a message
    for each goes to ``warnings``); ``labels`` checked (ModelError)."""
    if type(meta) is not dict:
        raise ModelError("metadata %s must be a JSON object {...}" % where)
    out = dict(meta)
    if "labels" in out:
        check_labels(out["labels"], where)
    for name, ok, need in _FIELDS:
        if name in out and not ok(out[name]):
            warnings.append("%s: %s = %r is not %s; ignored" % (where, name, out.pop(name), need))
    from heatface.classifier import INPUT_NORMS

    if out.get("input_norm", "gray") not in INPUT_NORMS:
        raise ModelError("%s: input_norm %r is none of %s: update lib/ or retrain"
                         % (where, out["input_norm"], INPUT_NORMS))
    if "t_lo" in out or "t_hi" in out:
        t_lo, t_hi = out.get("t_lo"), out.get("t_hi")
        if not (_number(t_lo) and _number(t_hi) and -40 <= t_lo < t_hi <= 300):
            warnings.append("%s: t_lo = %r, t_hi = %r is not a range -40 <= t_lo < t_hi <= 300; "
                            "using the default mapping, which may not be the training's"
                            % (where, t_lo, t_hi))
            out.pop("t_lo", None)
            out.pop("t_hi", None)
    return out


def read(base, read_file):
    """``(labels, meta, warnings)`` for the model ``<base>.tflite``: its labels (from the labels
    file and/or the metadata, which must agree), its checked metadata (a dict, maybe empty) and
    the problems worked around. ``read_file(path, "rb")`` gives a file's bytes or None.
    Raises ModelError (only) for what refuses the model."""
    warnings = []
    meta = {}
    where = base + ".json"
    data = read_file(where, "rb")
    if data is not None:
        text = _text(data, where)
        try:
            meta = json.loads(text)
        except ValueError:
            raise ModelError("metadata %s is not valid JSON" % where)
        meta = check_meta(meta, where, warnings)
    labels = None
    path = base + ".labels.txt"
    data = read_file(path, "rb")
    if data is not None:
        labels = [line.strip() for line in _text(data, path).split("\n") if line.strip()]
        check_labels(labels, path)
    if "labels" in meta:
        if labels is not None and labels != meta["labels"]:
            raise ModelError("the labels in %s (%s) and %s (%s) differ: refusing the model"
                             % (path, ", ".join(labels), where, ", ".join(meta["labels"])))
        labels = meta["labels"]
    if labels is None:
        raise ModelError("no labels for %s.tflite: expected %s or \"labels\" in %s"
                         % (base, path, where))
    return labels, meta, warnings
