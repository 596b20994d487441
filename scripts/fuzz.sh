#!/usr/bin/env bash
# Runs each libFuzzer target of build-fuzz/ for a bounded time:
#   scripts/fuzz.sh [seconds per target] [target...]   (default 60 s; idx csv safetensors checkpoint unpickler)
# New inputs go to build-fuzz/corpus/<target>/ (the seeds in fuzz/corpus/
# stay as they are); a crash is saved as build-fuzz/crashes/<target>-crash-*
# and fails the run. Prints one line per target: executions, coverage, corpus.
#   scripts/fuzz.sh --check   exit 0 when clang can build a libFuzzer target here
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--check" ]; then
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' EXIT
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/probe.cpp"
  if ! command -v clang++ >/dev/null 2>&1; then
    echo "no clang++ (Debian: apt-get install clang libclang-rt-14-dev)"
    exit 1
  fi
  if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" >/dev/null 2>&1; then
    echo "clang++ cannot link -fsanitize=fuzzer: no fuzzer runtime (Debian: apt-get install libclang-rt-14-dev)"
    exit 1
  fi
  exit 0
fi
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx csv safetensors checkpoint unpickler)

status=0
summary=()
for target in "${targets[@]}"; do
  binary=build-fuzz/fuzz/fuzz_$target
  if [ ! -x "$binary" ]; then
    echo "fuzz: $binary is not built (make fuzz builds it)" >&2
    exit 2
  fi
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus" build-fuzz/crashes
  dict=()
  case $target in
    checkpoint) dict=(-dict=fuzz/safetensors.dict) ;;
    *) [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict") ;;
  esac
  log=build-fuzz/fuzz-$target.log
  echo "fuzz: $target for ${seconds}s (log: $log)"
  "$binary" "$corpus" "fuzz/corpus/$target" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$target-" >"$log" 2>&1
  rc=$?
  # The last status line ("#N DONE cov: C ft: F corp: K/S ...") and the run count.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  line=$(printf '%-12s %s executions, %s' "$target" "${runs:-?}" "$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last")")
  if [ $rc -ne 0 ]; then
    line="$line  FAILED (exit $rc): $(ls build-fuzz/crashes/$target-* 2>/dev/null | tail -1)"
    grep -m1 -E 'ERROR: |SUMMARY: |terminate called|deadly signal' "$log" >&2
    status=1
  fi
  summary+=("$line")
done
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $status
