"""Soak: the app's own loop for 10,000 frames per mode on the emulated Cortex-M4F board at the Wio heap.

    python tools/cm4/soak.py [--modes live,collect,infer] [--frames 10000] [--jobs N]
                             [--json out/soak.json] [--bench]
    python tools/cm4/soak.py --test      the short soak `make test` runs: 200 frames of collect mode

Each mode runs on its own board (tools/cm4/qemu.py, 176,876-byte heap, no -icount: full speed)
in the form ``make deploy`` uses by default; a mode that does not fit that form (its probe, the
first 20 frames, finds no model or no card) runs in the next form of ``--forms`` instead (the
custom firmware's frozen form), and the result says which form it ran in. On the board,
tools/cm4/cm4_soak.py drives ``App.run`` with a moving scene and (collect) a press of A, B or C
every 50 frames, collecting garbage and reporting the free heap every 10 frames.

A mode passes when all frames were shown, no error was counted (exceptions out of the loop,
errors the app caught, tracebacks or errors on the serial console, the mode's own error, a lost
sensor, a press without its capture) and the heap is flat: the lowest free heap over the last
``--window`` frames is at most ``--tolerance`` bytes below the lowest over the first window (the
first window holds the one-off allocations: lazy imports, the first capture's encoder). Exits 1
when a mode fails. ``--bench`` prints ``BENCH`` lines for tools/bench/run.py: cm4_soak_frames_,
cm4_soak_errors_, cm4_soak_min_free_, cm4_soak_heap_drift_ and cm4_soak_default_form_ (1: ran in
the default form) per mode.
"""

import argparse
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import images  # noqa: E402
from qemu import BoardError  # noqa: E402
from run import CM4  # noqa: E402

MODES = ("live", "collect", "infer")
ON_BOARD = os.path.join(images.REPO, "tools", "cm4", "cm4_soak.py")
WINDOW = 1000  # frames compared at the start and the end of a soak
TOLERANCE = 256  # bytes: the heap's noise between samples is a few 16-byte blocks (status text)
TEST_FRAMES = 200
ERROR_LINE = re.compile(r"Error\b|error:|Exception")


def parse_output(text):
    """(samples [(frame, free bytes, hottest pixel)], the SOAKEND result or None, other lines) from the board."""
    samples, result, other = [], None, []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("SOAK "):
            frame, free, hot = line[5:].split()
            samples.append((int(frame), int(free), int(hot)))
        elif line.startswith("SOAKEND "):
            result = json.loads(line[8:])
        elif line.strip():
            other.append(line)
    return samples, result, other


def heap_trend(samples, window=WINDOW):
    """min_free, first_min / last_min (lowest free heap in the first / last ``window`` frames)
    and drift = first_min - last_min (bytes lost over the run; <= 0: none) of ``samples``."""
    if not samples:
        return {"min_free": None, "first_min": None, "last_min": None, "drift": None}
    first_frame, last_frame = samples[0][0], samples[-1][0]
    first = [s[1] for s in samples if s[0] < first_frame + window]
    last = [s[1] for s in samples if s[0] > last_frame - window]
    return {"min_free": min(s[1] for s in samples), "first_min": min(first),
            "last_min": min(last), "drift": min(first) - min(last)}


def console_errors(lines):
    """The errors in what the app printed: one per traceback (its last line, the exception) and
    one per other line that reads like an error."""
    found = []
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and not line[:1].isspace():
            found.append(line)  # the exception that ends the traceback
            in_traceback = False
        elif not in_traceback and ERROR_LINE.search(line):
            found.append(line)
    if in_traceback:
        found.append("a traceback cut short")
    return found


def failures(mode, frames, samples, result, other, window=WINDOW, tolerance=TOLERANCE):
    """(errors counted, [reasons the soak of ``mode`` failed]) from a parsed run."""
    if result is None:
        return 1, ["no result from the board"] + other[-5:]
    reasons = list(result["errors"])
    if result.get("traceback"):
        reasons.append(result["traceback"].strip())
    caught = result.get("caught") or 0
    if caught:
        reasons.append("the app's loop caught %d errors" % caught)
    console = console_errors(other)
    reasons += ["console: " + line for line in console[:5]]
    # the loop prints each error it catches: the count and the console are two views of them
    errors = len(result["errors"]) + max(caught, len(console))
    if result["frames"] != frames:
        reasons.append("%d of %d frames shown" % (result["frames"], frames))
    if mode == "collect" and (not result.get("presses") or result.get("captures") != result["presses"]):
        errors += abs(result.get("presses", 0) - result.get("captures", 0))
        reasons.append("%s captures for %s presses" % (result.get("captures"), result.get("presses")))
    moved = len(set(s[2] for s in samples))
    if moved < min(10, len(samples) // 2):
        reasons.append("the scene did not move: the hottest pixel took %d places in %d samples"
                       % (moved, len(samples)))
    trend = heap_trend(samples, window)
    if not samples or samples[-1][0] < frames:
        reasons.append("heap samples stop at frame %d" % (samples[-1][0] if samples else 0))
    elif trend["drift"] > tolerance:
        reasons.append("heap not flat: %d bytes less free over the last %d frames than over the "
                       "first (tolerance %d)" % (trend["drift"], window, tolerance))
    return errors, reasons


def cpu_seconds(pid):
    """CPU seconds process ``pid`` used so far (Linux /proc), or None: a load-independent time."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return None


def soak_mode(mode, frames, forms, sample_every=10, press_every=50, window=WINDOW, tolerance=TOLERANCE,
              log=print):
    """Soak ``mode`` in the first of ``forms`` it fits; a summary dict (see main)."""
    tried = []
    for form in forms:
        start = time.monotonic()
        chunks = []
        progress = {"next": 1000, "line": b""}

        def consume(data, chunks=chunks, progress=progress):
            chunks.append(data)
            progress["line"] += data
            if data == b"\n":
                line = progress["line"]
                progress["line"] = b""
                if line.startswith(b"SOAK ") and int(line.split()[1]) >= progress["next"]:
                    progress["next"] += 1000
                    log("  soak %s/%s: frame %s, %s bytes free (%.0f s)"
                        % (mode, form, line.split()[1].decode(), line.split()[2].decode(),
                           time.monotonic() - start))

        code = "import cm4_soak\ncm4_soak.run(%r, %d, %d, %d)" % (mode, frames, sample_every, press_every)
        cpu = None
        try:
            with CM4(form, files={"/rom/cm4_soak.py": ON_BOARD}, icount=False) as board:
                form = board.form
                board.board.exec(code, timeout=600, data_consumer=consume)
                cpu = cpu_seconds(board.board.proc.pid)
        except BoardError as exc:
            chunks.append(("\nboard: %s\n" % str(exc).strip()[-300:]).encode())
        samples, result, other = parse_output(b"".join(chunks).decode(errors="replace"))
        seconds = time.monotonic() - start
        if result is not None and not result["fits"] and form != forms[-1]:
            tried.append("%s (%s)" % (form, "; ".join(result["errors"])))
            log("  soak %s: does not fit the %s form (%s); next form" % (mode, form, "; ".join(result["errors"])))
            continue
        errors, reasons = failures(mode, frames, samples, result, other, window, tolerance)
        summary = {"mode": mode, "form": form, "default_form": form == images.default_form(),
                   "frames": result["frames"] if result else 0, "errors": errors,
                   "seconds": round(seconds), "board_cpu_seconds": cpu and round(cpu), "passed": not reasons, "reasons": reasons,
                   "forms_not_fitting": tried, "samples": len(samples)}
        summary.update(heap_trend(samples, window))
        summary["window"] = window
        for key in ("captures", "presses", "result"):
            if result and key in result:
                summary[key] = result[key]
        return summary


def run_all(modes, frames, forms, jobs, **kw):
    """{mode: summary}, ``jobs`` boards side by side."""
    results = {}
    pending = sorted(modes, key=lambda m: m != "infer")  # the longest first: it ends sooner
    lock = threading.Lock()

    def log(msg):
        with lock:
            print(msg, flush=True)

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                mode = pending.pop(0)
            results[mode] = soak_mode(mode, frames, forms, log=log, **kw)

    threads = [threading.Thread(target=worker) for _ in range(max(1, min(jobs, len(modes))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {mode: results[mode] for mode in modes}


def describe(s):
    """One line (``ok`` or ``FAIL`` first): the mode's outcome and figures, then the reasons."""
    line = ("%-4s soak %s: %d frames, %d errors, min free %s B, drift %s B (first %d frames %s / "
            "last %s), %s form, %d s (board: %s s of CPU)"
            % ("ok" if s["passed"] else "FAIL", s["mode"], s["frames"], s["errors"], s["min_free"],
               s["drift"], s["window"], s["first_min"], s["last_min"], s["form"], s["seconds"],
               s["board_cpu_seconds"]))
    if "captures" in s:
        line += ", %d captures" % s["captures"]
    return line + "".join("\n    " + r for r in s["reasons"])


def bench_lines(results):
    out = []
    for mode, s in results.items():
        out.append("BENCH cm4_soak_frames_%s %d" % (mode, s["frames"]))
        out.append("BENCH cm4_soak_errors_%s %d" % (mode, s["errors"]))
        out.append("BENCH cm4_soak_min_free_%s %d" % (mode, s["min_free"] or 0))
        out.append("BENCH cm4_soak_heap_drift_%s %d" % (mode, s["drift"] if s["drift"] is not None else -1))
        out.append("BENCH cm4_soak_default_form_%s %d" % (mode, 1 if s["default_form"] else 0))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--frames", type=int, default=int(os.environ.get("SOAK_FRAMES") or 10000))
    ap.add_argument("--forms", default="default,frozen", help="tried in order until the mode fits")
    ap.add_argument("--jobs", type=int, default=min(len(MODES), os.cpu_count() or 1),
                    help="boards side by side")
    ap.add_argument("--window", type=int, default=WINDOW, help="frames compared at the start and the end")
    ap.add_argument("--tolerance", type=int, default=TOLERANCE, help="bytes of drift allowed")
    ap.add_argument("--json", help="write the summaries here")
    ap.add_argument("--bench", action="store_true", help="print BENCH lines; exit 0 even on a failure")
    ap.add_argument("--test", action="store_true",
                    help="the short soak of `make test`: %d frames of collect mode" % TEST_FRAMES)
    args = ap.parse_args(argv)
    frames, modes = (TEST_FRAMES, ["collect"]) if args.test else (args.frames, args.modes.split(","))
    forms = []
    for f in args.forms.split(","):
        if images.resolve_form(f) not in forms:
            forms.append(images.resolve_form(f))
    window = min(args.window, frames // 3)  # a short run compares its first and last thirds
    start = time.monotonic()
    results = run_all(modes, frames, forms, args.jobs, window=window, tolerance=args.tolerance)
    for s in results.values():
        print(describe(s))
    passed = sum(1 for s in results.values() if s["passed"])
    print("cm4 soak: %d passed, %d failed (%d s)" % (passed, len(results) - passed, time.monotonic() - start))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if args.bench:
        print("\n".join(bench_lines(results)))
        return 0
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
