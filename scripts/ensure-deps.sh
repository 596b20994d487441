#!/usr/bin/env bash
# Installs the Debian packages the build needs, when some are missing.
# Usage: scripts/ensure-deps.sh [--demo] [extra-package ...]
#   --demo  also the demo's data set, dataset-fashion-mnist (make demo; the
#           tests never need it: they write their own small files)
set -euo pipefail

demo_packages=()
if [[ "${1:-}" == "--demo" ]]; then
  shift
  demo_packages=(dataset-fashion-mnist)  # IDX files in /usr/share/datasets/fashion-mnist
fi

packages=(
  meson ninja-build g++ pkg-config
  libopenblas-dev   # gemm
  zlib1g-dev        # gzip-compressed IDX files
  nlohmann-json3-dev  # checkpoint headers (safetensors JSON)
  doctest-dev       # tests
  libbenchmark-dev  # bench/
  libcli11-dev      # command-line options of the demo and examples
  libopenmpi-dev openmpi-bin  # data-parallel training (nn/parallel) and its tests
  libzip-dev        # PyTorch's torch.save archives (nn/pytorch)
  python3-torch python3-numpy  # the interchange tests against real PyTorch (tests/nn/test_pytorch_interchange.cpp)
  cmake             # the consumer test's CMake project (scripts/consumer-test.sh)
  "${demo_packages[@]}"
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints one line per installed architecture (multiarch).
  status=$(dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null || true)
  grep -qx "install ok installed" <<<"$status" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "tapegrad: missing packages: ${missing[*]}; no apt-get here, install them by hand" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "tapegrad: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "tapegrad: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
