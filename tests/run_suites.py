"""Run test suites side by side and sum them up: what `make test` runs.

Usage: ``python tests/run_suites.py [--jobs 2] NAME=TARGET ...`` (from the repository root).
Each suite is ``make TARGET``; up to ``--jobs`` run at once, started in the order given (put the
longest first). The suites must not share scratch files (each device suite runs in its own
out/test/<name>/ folder). A suite's whole output goes to out/test/NAME.log; when it ends, one line
shows its own summary, wall time and CPU time (the CPU time does not depend on the machine's
load), and a failing suite's failures and last lines follow. The last line is the sum:
``N passed, N failed`` (and ``, N skipped`` / ``, N xfailed`` when some were: expected failures,
each printed by its suite as XFAIL with the issue that owns it). Exits non-zero if any suite failed.
"""

import os
import re
import subprocess
import sys
import time

LOG_DIR = os.path.join("out", "test")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed)\b")
# a whole line that is a summary: mprun's "N passed, N failed, N skipped", the emulated board's
# "cm4 default: N passed, N failed, N xfailed (45 s)" or pytest's "== N passed in 1.2s =="
SUMMARY = re.compile(r"^[= ]*([\w .()/-]+: )?\d+ \w+(, \d+ \w+)*"
                     r"( in [\d.]+s( \([\d:]+\))?| \(\d+ s\))?[= ]*$")
FAILURE = re.compile(r"^(FAIL|FAILED|ERROR)\b")


def summary_lines(lines):
    """The suite's summaries (one per run it made: a suite may run the device suite twice)."""
    return [line.strip(" =") for line in lines if SUMMARY.match(line) and COUNT.search(line)]


def counts(summaries):
    """passed, failed, skipped, xfailed summed over summary lines."""
    found = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
    for line in summaries:
        for number, kind in COUNT.findall(line):
            found[{"error": "failed", "errors": "failed"}.get(kind, kind)] += int(number)
    return found["passed"], found["failed"], found["skipped"], found["xfailed"]


def start(name, target):
    log = open(os.path.join(LOG_DIR, name + ".log"), "w")
    proc = subprocess.Popen(["make", "--no-print-directory", target], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log, time.monotonic()


def report(name, target, returncode, seconds, cpu):
    """Print the suite's line (and its failures); return its passed, failed, skipped, xfailed."""
    with open(os.path.join(LOG_DIR, name + ".log"), errors="replace") as f:
        lines = f.read().splitlines()
    summaries = summary_lines(lines)
    passed, failed, skipped, xfailed = counts(summaries)
    line = " | ".join(summaries)
    if returncode and not failed:
        failed = 1  # it broke before (or without) counting: one failure, the suite itself
    status = "FAILED" if returncode or failed else "ok"
    print("%-12s %-6s %s (make %s, %.0f s, %.0f s CPU)"
          % (name, status, line or "no summary line", target, seconds, cpu), flush=True)
    for l in lines:
        if l.startswith("XFAIL"):
            print("    " + l)
    if returncode or failed:
        failures = [l for l in lines if FAILURE.match(l)]
        for l in failures[:30]:
            print("    " + l)
        print("    --- last lines of %s/%s.log:" % (LOG_DIR, name))
        for l in lines[-25:]:
            print("    " + l)
        sys.stdout.flush()
    return passed, failed, skipped, xfailed


def main(argv):
    jobs = 2
    if argv[:1] == ["--jobs"]:
        jobs, argv = int(argv[1]), argv[2:]
    suites = [arg.split("=", 1) for arg in argv]
    os.makedirs(LOG_DIR, exist_ok=True)
    waiting, running, total, cpu_total = list(suites), [], [0, 0, 0, 0], 0.0
    began = time.monotonic()
    while waiting or running:
        while waiting and len(running) < jobs:
            name, target = waiting.pop(0)
            running.append((name, target) + start(name, target))
        time.sleep(0.5)
        for entry in list(running):
            name, target, proc, log, t0 = entry
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if not pid:
                continue
            log.close()
            running.remove(entry)
            cpu = usage.ru_utime + usage.ru_stime  # the suite and everything it waited for
            returncode = proc.returncode = os.waitstatus_to_exitcode(status)
            for i, n in enumerate(report(name, target, returncode, time.monotonic() - t0, cpu)):
                total[i] += n
            cpu_total += cpu
    print("%d suites in %.0f s, %.0f s CPU (logs in %s/)"
          % (len(suites), time.monotonic() - began, cpu_total, LOG_DIR))
    line = "%d passed, %d failed" % (total[0], total[1])
    if total[2]:
        line += ", %d skipped" % total[2]
    if total[3]:
        line += ", %d xfailed" % total[3]
    print(line)
    return 1 if total[1] or not total[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
