"""On-board half of the app-loop measurements (heap fit, loop instructions, collections per frame).

``run(mode, frames)`` builds the app as main.py does (load_config, App) on the light board
(lightboard.py) in ``mode`` (live, collect or infer), runs ``frames`` frames and prints one line
``APPRUN {json}`` with: frames shown, errors (exceptions out of the loop, the mode's own error),
``min_free`` (the smallest free heap after a collection at the end of a frame: what the app's
long-lived data leaves), ``collections`` and ``us`` (guest microseconds = thousands of
instructions under -icount shift=0) of the measured frames, the bytes the sensor bus and the
display moved, and mode facts (captures saved, classifications).
Collect mode presses button A every 2 s of virtual time (a capture, then a burst on long presses).
``settings`` are merged over the config (e.g. ``{"lcd_update": "full"}``); ``replay`` is the
sensor's recording (lightboard.ReplayBus; default Melexis' example frame).
``fragment=H``: the app starts in live mode, runs a few frames, then the heap is cut into holes of
``H`` bytes (:func:`fragment_heap`: no larger block is left) and only then does the app switch to
``mode``: what a board's heap can look like when the user switches to infer after a while in
another mode. The result then tells ``largest_block_lt`` (the probe that found no larger block).
Infer mode reports ``outputs``: a checksum of the classifier's raw outputs over the frames.
"""

import gc
import json
import sys
import time

import cm4board
from lightboard import LightBoard


def make_app(mode, checksum=True, settings=None, replay=None):
    from heatface.app import App
    from heatface.config import load_config

    config = load_config()
    config.update({"start_mode": mode, "retry_sleep_ms": 0, "print_predictions": False})
    config.update(settings or {})
    board = LightBoard(checksum=checksum, press_every_ms=2000 if mode == "collect" else 0, replay=replay)
    return App(board, config), board


def fragment_heap(hole):
    """Cut the free blocks of the heap larger than ``hole`` bytes (a multiple of 16, the GC
    block) into holes of ``hole`` bytes, each kept apart by a one-block pin; returns the pins
    (keep them alive while the holes are to stay). Smaller free blocks stay as they were.

    The free heap is first taken by chunks of hole + 16 bytes (first fit: each lands in a block at
    least that large, one after the other), then by ever smaller fillers down to one GC block
    (after a collection, so that no garbage is left to free later); then each chunk in turn is
    freed and re-taken as a hole-sized object and a pin, which land in it because nothing else is
    free (a collection can free more: garbage a stale pointer on the stack kept; it is filled by
    pins too); last, the hole-sized objects and the fillers are dropped. A chunk starts where its
    free block started and a pin ends it, so the holes stay apart. Tuples (``(0,) * n``): one
    contiguous allocation each, 8 bytes of header and 4 a slot. :func:`_largest_block_below`
    checks the outcome."""
    gc.collect()  # no garbage: a free block's neighbours stay where they are
    chunks = [None] * (gc.mem_free() // (hole + 16))
    n = 0
    while n < len(chunks):
        try:
            chunks[n] = (0,) * ((hole + 16 - 8) // 4)
        except MemoryError:
            break
        n += 1
    fill = None
    size = hole
    while size > 16:  # the free blocks left
        try:
            fill = (fill, (0,) * ((size - 8) // 4))
        except MemoryError:
            size //= 2
    gc.collect()  # what failed tries left, filled block by block
    while True:
        try:
            fill = (fill, 0)  # one block
        except MemoryError:
            break
    pins = None
    for i in range(n):
        chunks[i] = None
        gc.collect()
        chunks[i] = (0,) * ((hole - 8) // 4)
        while True:  # the chunk's last block, and whatever else the collection freed
            try:
                pins = (pins, 0)
            except MemoryError:
                break
    chunks = fill = None
    gc.collect()
    return pins


def _largest_block_below(n):
    """True when no ``n``-byte object can be allocated (after a collection)."""
    try:
        bytearray(n)
    except MemoryError:
        return True
    return False


def _run_frames(app, until, after_frame=None):
    """App.run's loop, bounded: a frame that never comes (a sensor fault) ends the run."""
    steps = 0
    while app.frames < until and steps < 4 * until + 10:
        steps += 1
        if app.step() and after_frame is not None:
            after_frame(app)


def run(mode, frames=100, warmup=1, measure_heap=True, checksum=True, settings=None, replay=None,
        fragment=None):
    result = {"mode": mode, "frames": 0, "errors": [], "min_free": None}
    try:
        app, board = make_app("live" if fragment else mode, checksum, settings, replay)
        pins = None
        if fragment:
            _run_frames(app, 3)
            pins = fragment_heap(fragment)
            result["largest_block_lt"] = fragment + 16 if _largest_block_below(fragment + 16) else None
            app.switch_mode([m.name for m in app.modes].index(mode))
        base = app.frames
        result["frames_warmup"] = warmup
        _run_frames(app, base + warmup)
        gc.collect()
        state = {"min_free": gc.mem_free() if measure_heap else None, "outputs": 5381}

        def after_frame(app):
            if measure_heap:
                gc.collect()
                free = gc.mem_free()
                if free < state["min_free"]:
                    state["min_free"] = free
            clf = getattr(app.mode, "classifier", None)
            if checksum and clf is not None:
                h = state["outputs"]
                raw = clf.raw_output()
                for i in range(len(raw)):
                    h = (h * 33 + raw[i]) & 0x3FFFFFFF
                state["outputs"] = h

        bus0, lcd0 = board.bus.bytes_read + board.bus.bytes_written, board.lcd.bytes_sent
        gc.collect()
        c0 = cm4board.collections()
        t0 = time.ticks_us()
        _run_frames(app, base + warmup + frames, after_frame)
        us = time.ticks_diff(time.ticks_us(), t0)
        result["collections"] = cm4board.collections() - c0
        result["us"] = us
        result["frames"] = app.frames - base - warmup
        result["min_free"] = state["min_free"]
        result["i2c_bytes"] = board.bus.bytes_read + board.bus.bytes_written - bus0
        result["lcd_bytes"] = board.lcd.bytes_sent - lcd0
        result["lcd_checksum"] = board.lcd.checksum
        m = app.mode
        if getattr(m, "error", None):
            result["errors"].append(m.error)
        if mode == "infer":
            result["classifier"] = m.classifier is not None
            result["kernels"] = getattr(m.classifier, "kernels", None)
            result["result"] = m.result
            result["outputs"] = state["outputs"] if checksum else None
            if m.classifier is not None and m.classifier.backend == "pure":
                result["arena"] = m.classifier._backend.it.arena is not None  # False: a buffer per tensor
        del pins
        if mode == "collect":
            result["captures"] = sum(m.storage.counts.values()) if m.storage.ready else 0
            if not m.storage.ready:
                result["errors"].append(m.storage.status)
        if app.sensor is None:
            result["errors"].append(app.sensor_error or "sensor missing")
    except Exception as exc:  # noqa: BLE001 - MemoryError above all: the outcome being measured
        result["errors"].append("%s: %s" % (type(exc).__name__, exc))
        sys.print_exception(exc)
    result["heap_bytes"] = cm4board.heap_bytes()
    print("APPRUN " + json.dumps(result))
