#!/usr/bin/env bash
# Runs every doctest suite through meson and prints the totals as
# "tests: N passed, M failed" (doctest's test-case counts; a suite that
# crashed before printing its counts adds one failure; each example program
# run as a test counts as one). A suite run under mpirun (tests/parallel)
# prints one summary per rank: they are added, so its test cases count once
# per rank, and a failure on any rank is counted.
# Usage: scripts/run-tests.sh [BUILD_DIR [SUITE ...]] (no suite: all of them)
set -uo pipefail
build=${1:-build}
shift || true

# A log of this run's own: two runs at once (two terminals) must not read
# each other's results.
logbase=testlog-$$
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 --logbase "$logbase" "$@"
meson_rc=$?

python3 - "$build/meson-logs/$logbase.json" "$meson_rc" <<'PY'
import json, re, sys
log, meson_rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
pattern = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*(\d+) skipped")
rows = []
try:
    lines = open(log).readlines()
except OSError:
    lines = []  # meson stopped before running anything (counted below)
for line in lines:
    entry = json.loads(line)
    entry["name"] = entry["name"].split(" / ")[-1]  # drop meson's "project:suite / "
    summaries = list(pattern.finditer(entry.get("stdout", "") or ""))
    sk = 0
    if summaries:
        p = sum(int(m.group(2)) for m in summaries)
        fl = sum(int(m.group(3)) for m in summaries)
        sk = sum(int(m.group(4)) for m in summaries)
        if entry["result"] != "OK" and fl == 0:
            fl = 1  # the suite failed after its counts (exit code, sanitizer)
    elif entry["name"].startswith("example_"):
        p, fl = (1, 0) if entry["result"] == "OK" else (0, 1)  # an example is one test
    else:
        p, fl = 0, 1  # crashed or timed out before doctest could count
    ranks = f"  ({len(summaries)} ranks)" if len(summaries) > 1 else ""
    rows.append((entry["name"], p, fl, sk, entry["result"] + ranks, entry.get("duration", 0.0)))
    passed += p
    failed += fl
    skipped += sk
for name, p, fl, sk, result, secs in rows:
    note = f"  ({sk} skipped)" if sk else ""
    print(f"  {name:<22} {p:4d} passed {fl:3d} failed  {secs:6.2f} s  {result}{note}")
if not rows:
    failed = 1  # nothing ran: never report that as a pass
if skipped:
    print(f"({skipped} skipped: see the suites above)")
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed or meson_rc else 0)
PY
