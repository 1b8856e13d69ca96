#!/usr/bin/env bash
# The main job on the bundled samples: install, build, check the sample
# election package. Grows with each stage: interpret, scan, verify, count.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DTELLE_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"
./build/cli/telle package check samples/package
