"""What the app's supervisor does once something went wrong, loaded only then: the traceback on
the serial console, the whole message across the image, wrapped to the panel (see
:meth:`heatface.app.App.supervised_step`)."""

import sys

from heatface.compat import ticks_add
from heatface.overlay import ROW_H


def wrap(text, width):
    """``text`` as lines of at most ``width`` characters, broken at spaces and newlines where it
    can, inside a longer word where it must; nothing is left out."""
    lines = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            while len(word) > width - (len(line) + 1 if line else 0):
                if line:  # the word goes on the next line (or is cut there if it is too long)
                    lines.append(line)
                    line = ""
                elif len(word) > width:
                    lines.append(word[:width])
                    word = word[width:]
                else:
                    break
            line = line + " " + word if line else word
        lines.append(line)
    return lines


def show(renderer, text):
    """A blank panel with ``text`` across the image area from its top, wrapped to the image's
    width; the lines that do not fit are left out. The renderer redraws everything next time."""
    renderer.clear()
    overlay = renderer.overlay
    lay = overlay.layout
    n = min(lay.img_w // 8, lay.row_chars)
    lines = wrap(text, n)
    for k in range(min(len(lines), lay.img_h // ROW_H)):
        overlay._draw_text(lines[k], 0, k * ROW_H, n)


def print_exception(exc):
    """The traceback of ``exc`` on the serial console (stdout), as MicroPython prints it."""
    pe = getattr(sys, "print_exception", None)
    if pe is not None:
        pe(exc)
    else:  # CPython
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stdout)


def report(app, exc, freed):
    """The exception ``exc`` the loop caught (``freed``: what :meth:`App.free_memory` dropped
    for it): traceback to serial, message across the image for ``error_hold_ms`` and on the
    status line (``app.last_error``)."""
    print("heatface: error %d in the app loop:" % app.errors)
    print_exception(exc)
    app.last_error = app.status = "%s: %s%s" % (type(exc).__name__, exc, freed)
    app._showing_error = None
    try:
        show(app.renderer, "Error: %s (details on the serial console)" % app.status)
    except Exception as exc2:  # noqa: BLE001 - the panel failed too: serial has it all
        print_exception(exc2)
    app._error_until = ticks_add(app.clock(), app.config["error_hold_ms"])
