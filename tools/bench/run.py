"""Run every benchmark and write ``out/bench.json`` (name -> number).

Each ``tools/bench/bench_*.py`` is a script that prints result lines ``BENCH <name> <number>``
(other output is shown as progress). A script whose first line is ``# runtime: micropython`` runs
under the MicroPython unix port with a SAMD51-sized heap (or ``heapsize=N`` from that line), any
other under this CPython. Ratios
against a reference are computed inside one script, in one process, so they compare like with like.
"""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_DIR = os.path.join(ROOT, "tools", "bench")
BIN = os.path.dirname(sys.executable)
MICROPYTHON = [os.path.join(BIN, "micropython")]


def runtime_of(path):
    with open(path) as f:
        first = f.readline()
    return "micropython" if "runtime: micropython" in first else "cpython"


def heap_of(path):
    """``# runtime: micropython heapsize=1M`` asks for another heap than the SAMD51-sized one."""
    with open(path) as f:
        first = f.readline()
    return first.split("heapsize=", 1)[1].split()[0] if "heapsize=" in first else "160K"


def run_script(path):
    if runtime_of(path) == "micropython":
        cmd = [MICROPYTHON[0], "-X", "heapsize=" + heap_of(path)]
    else:
        cmd = [sys.executable]
    drivers = [os.environ["HEATFACE_ST7789PY"]] if os.environ.get("HEATFACE_ST7789PY") else []
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join(os.path.join(ROOT, p) for p in ("tools/shims", "lib", "tools")),
               MICROPYPATH=":".join([os.path.join(ROOT, p) for p in (".frozen", "lib", "tools")]
                                    + drivers))  # the simulated board's LCD driver (make exports it)
    proc = subprocess.run(cmd + [path], cwd=ROOT, env=env, capture_output=True, text=True)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            _, name, value = line.split()
            results[name] = float(value)
        else:
            print("   ", line)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("benchmark %s failed (exit %d)" % (os.path.basename(path), proc.returncode))
    return results


def main(names):
    scripts = sorted(n for n in os.listdir(BENCH_DIR) if n.startswith("bench_") and n.endswith(".py"))
    if names:
        scripts = [s for s in scripts if any(n in s for n in names)]
    out_path = os.path.join(ROOT, "out", "bench.json")
    results = {}
    if names and os.path.exists(out_path):
        with open(out_path) as f:
            results = json.load(f)
    for script in scripts:
        path = os.path.join(BENCH_DIR, script)
        print("%s (%s)" % (script, runtime_of(path)))
        start = time.time()
        found = run_script(path)
        for name, value in sorted(found.items()):
            print("  %-40s %12.4f" % (name, value))
        print("  (%.1f s)" % (time.time() - start))
        results.update(found)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print("wrote %s (%d figures)" % (os.path.relpath(out_path, ROOT), len(results)))


if __name__ == "__main__":
    main(sys.argv[1:])
