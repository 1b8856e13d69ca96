#!/usr/bin/env bash
# Replay speed: builds a count of SHEETS simulated 200-dpi G4 sheets
# (default 2000, in batches of 200 with label sheets) scanned through the
# project's SANE backend with recognition, loaded, every review item decided
# and every batch committed; then times `telle replay` with one thread and
# with all cores and prints sheets per second and the projected time for
# Oslo's archive (about 370,000 sheets for both elections) against the
# one-hour target. Prints figures; asserts nothing.
#
# The count is built once and cached under BUILD/bench-replay/SHEETS (the
# simulated images are kept). Its records must be what this recognition
# writes: when the first timed replay finds differences (recognition
# changed since), the count is made again and the timing repeated.
#
# Figures: wall time, and CPU time (user + system) per sheet, which does
# not depend on what else the machine runs; the projection is given from
# both (CPU: all cores busy with replay alone).
#
# Usage: tests/audit/bench_replay.sh [BUILD_DIR] [SHEETS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
build=$(cd "${1:-build}" && pwd)
sheets=${2:-2000}
per_batch=$((sheets < 200 ? sheets : 200))
batches=$(((sheets + per_batch - 1) / per_batch))
T="$build/cli/telle"
PKG="$ROOT/samples/package"
OSLO=370000
TARGET_S=3600
cache="$build/bench-replay/$sheets"
sim="$cache/sim"
count="$cache/count"
export TELLE_PASSWORD=bench-replay-password

if [ ! -f "$sim/done" ]; then
  rm -rf "$sim"
  mkdir -p "$sim"
  echo "simulating $batches batches of $per_batch sheets (once) ..." >&2
  "$T" simulate --package "$PKG" --out "$sim" --sheets "$per_batch" --batches "$batches" \
    --seed 11 --format g4 --dpi 200 >/dev/null
  touch "$sim/done"
fi

make_count() {
  rm -rf "$count"
  mkdir -p "$count"
  echo "scanning, recognising, deciding and committing (once) ..." >&2
  DB="$count/telle.db"
  "$T" init --package "$PKG" --db "$DB" >/dev/null
  "$T" user add kari --role operator --db "$DB" >/dev/null
  # shellcheck disable=SC1091
  source "$build/scanner/sane-env.sh"
  for f in "$sim"/*.tif; do
    "$T" scan --device "telle:$f" --duplex --label --archive "$count/archive" \
      --package "$PKG" >/dev/null 2>&1
  done
  for dir in "$count"/archive/*/; do
    "$T" review load --db "$DB" --archive "$count/archive" "${dir}records.jsonl" >/dev/null
  done
  for dir in "$count"/archive/*/; do
    batch=$(basename "$dir")
    "$T" review list --db "$DB" --batch "$batch" | awk 'NR > 1 && $3 == "open" {print $1}' |
    while read -r item; do
      "$T" review decide "$item" --as kari --confirm --db "$DB" </dev/null >/dev/null 2>&1 ||
        "$T" review decide "$item" --as kari --blank --db "$DB" </dev/null >/dev/null
    done
    "$T" review commit "$batch" --as kari --db "$DB" >/dev/null
  done
  touch "$count/done"
}
[ -f "$count/done" ] || make_count

cores=$(nproc)
echo "replay benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='%R %U %S'
remade=0
for threads in 1 "$cores"; do
  set +e
  times=$( { time "$T" replay --db "$count/telle.db" --threads "$threads" \
               > "$cache/report-$threads.txt" 2>&1; } 2>&1 )
  status=$?
  set -e
  if [ "$status" = 1 ] && [ "$remade" = 0 ] && [ "$threads" = 1 ]; then
    echo "the cached count's records are not what this recognition writes; making it again" >&2
    make_count
    remade=1
    set +e
    times=$( { time "$T" replay --db "$count/telle.db" --threads "$threads" \
                 > "$cache/report-$threads.txt" 2>&1; } 2>&1 )
    status=$?
    set -e
  fi
  checked=$(sed -n 's/^sheets checked \([0-9]*\):.*/\1/p' "$cache/report-$threads.txt")
  verdict=$(tail -1 "$cache/report-$threads.txt")
  awk -v n="$checked" -v t="$times" -v th="$threads" -v st="$status" -v cores="$cores" \
      -v oslo="$OSLO" -v target="$TARGET_S" -v v="$verdict" 'BEGIN {
    split(t, f, " "); wall = f[1]; cpu = f[2] + f[3];
    rate = n / wall; proj = oslo / rate;
    cpu_ms = 1000 * cpu / n; cpu_rate = cores * 1000 / cpu_ms; cpu_proj = oslo / cpu_rate;
    printf "threads %d: %d sheets in %.1f s wall = %.1f sheets/s; CPU %.1f s = %.1f ms per sheet (exit %d: %s)\n",
           th, n, wall, rate, cpu, cpu_ms, st, v;
    printf "  Oslo, %d sheets, at this wall rate: %.0f s = %.2f h; target 1 h %s (needs %.0f sheets/s)\n",
           oslo, proj, proj / 3600, proj <= target ? "met" : "NOT met", oslo / target;
    if (th == cores)
      printf "  from CPU time, %d cores busy with replay alone: %.1f sheets/s, Oslo %.2f h; target %s\n",
             cores, cpu_rate, cpu_proj / 3600, cpu_proj <= target ? "met" : "NOT met";
  }'
done
