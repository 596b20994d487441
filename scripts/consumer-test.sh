#!/usr/bin/env bash
# Builds two tiny projects outside the tree against an installed tapegrad and
# runs them: tests/consumer/cmake (find_package(tapegrad CONFIG REQUIRED),
# tapegrad::tapegrad and tapegrad::mpi) and tests/consumer/meson
# (dependency('tapegrad'), dependency('tapegrad_mpi') through pkg-config).
# The install is `meson install --destdir` of the given build directory into
# a temporary tree (the packages are relocatable), never the system's. Also
# checks that the public headers refuse C++17 with their #error.
# Usage: scripts/consumer-test.sh [BUILD_DIR]   (after a build; CI: .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
src=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A build configured before pkgconfig.relocatable was the default.
meson configure "$build" -Dpkgconfig.relocatable=true >/dev/null
# Only what is installed is built (the libraries): not the tests and examples.
installed_targets=$(meson introspect "$build" --targets | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
print(" ".join(os.path.relpath(f, build) for t in json.load(sys.stdin) if t["installed"] for f in t["filename"]))' "$build")
# shellcheck disable=SC2086
ninja -C "$build" $installed_targets >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
meson install -C "$build" --no-rebuild --destdir "$work/root" >>"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
read -r prefix libdir includedir < <(meson introspect "$build" --buildoptions |
  python3 -c 'import json, sys; o = {x["name"]: x["value"] for x in json.load(sys.stdin)}; print(o["prefix"], o["libdir"], o["includedir"])')
root=$work/root$prefix
[ -f "$root/$libdir/pkgconfig/tapegrad_mpi.pc" ] && mpi=1 || mpi=0
echo "consumer: installed into $root (MPI library: $([ $mpi = 1 ] && echo yes || echo no))"
# A shared libtapegrad is found at run time through the install's libdir.
export LD_LIBRARY_PATH="$root/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mpirun=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 -x LD_LIBRARY_PATH --timeout 60)

# C++17 stops at the version check, with its message.
if out=$(echo '#include <tapegrad/tapegrad.hpp>' | c++ -std=c++17 -fsyntax-only -I"$root/$includedir" -x c++ - 2>&1); then
  echo "consumer: FAILED: the headers compiled as C++17" >&2; exit 1
fi
grep -q 'tapegrad needs C++20' <<<"$out" || { echo "consumer: FAILED: C++17 without the C++20 #error:" >&2; head -5 <<<"$out" >&2; exit 1; }
echo "consumer: C++17 refused: $(grep -m1 -o 'tapegrad needs C++20[^"]*' <<<"$out" | cut -c1-40)..."

cmake -S tests/consumer/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$root" -DCMAKE_BUILD_TYPE=Release \
  -DTAPEGRAD_EXPECT_MPI=$([ $mpi = 1 ] && echo ON || echo OFF) >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake" -j 2 >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
"$work/cmake/consumer"
[ $mpi = 0 ] || "${mpirun[@]}" "$work/cmake/consumer_mpi"
echo "consumer: CMake project: built and ran"

meson setup "$work/meson" tests/consumer/meson -Dpkg_config_path="$root/$libdir/pkgconfig" \
  -Dmpi=$([ $mpi = 1 ] && echo enabled || echo disabled) >"$work/meson.log" 2>&1 || { cat "$work/meson.log"; exit 1; }
ninja -C "$work/meson" >>"$work/meson.log" 2>&1 || { cat "$work/meson.log"; exit 1; }
"$work/meson/consumer"
[ $mpi = 0 ] || "${mpirun[@]}" "$work/meson/consumer_mpi"
echo "consumer: meson project: built and ran"
cd "$src"
