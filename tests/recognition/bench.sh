#!/usr/bin/env bash
# Recognition speed on simulated batches of the sample election: 200-dpi G4,
# 200-dpi gray (JPEG-in-TIFF) and 300-dpi colour. Prints figures; asserts
# nothing. Usage: tests/recognition/bench.sh [BUILD_DIR] [SHEETS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
sheets=${2:-40}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for spec in g4:200 gray:200 rgb:300; do
  fmt=${spec%%:*}
  dpi=${spec##*:}
  "$build/cli/telle" simulate --package samples/package --out "$out/$fmt" --sheets "$sheets" \
    --batches 1 --seed 3 --format "$fmt" --dpi "$dpi" --no-label >/dev/null
  "$build/tests/recognition/bench_interpret" samples/package "$out/$fmt"/*.tif
done

# Peak memory must not grow with the batch: the same settings at a quarter
# of the length and at full length, one thread.
for n in $((sheets / 4)) "$sheets"; do
  "$build/cli/telle" simulate --package samples/package --out "$out/len$n" --sheets "$n" \
    --batches 1 --seed 5 --format gray --no-label >/dev/null
  "$build/tests/recognition/bench_interpret" samples/package "$out/len$n"/*.tif 1 | tail -1
done
