#!/usr/bin/env bash
# The main job on the bundled sample election (samples/): check the
# election package, scan the sample batches through SANE (the project's own
# backend plays a duplex document scanner), recognise every sheet, queue the
# ballots a person must see, decide them as two operators would, commit the
# batches, enter the preliminary count and explain its difference, print the
# count, the protocol (PDF) and the seats, export the result, and replay every
# image as an auditor would. Everything lands in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/install-deps.sh
cmake -S . -B build -DTELLE_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"

T="$ROOT/build/cli/telle"
OUT="$ROOT/out/demo"
DB="$OUT/telle.db"
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "1. The election package"
"$T" package check samples/package

step "2. A count for it, and two operators"
"$T" init --package samples/package --db "$DB"
export TELLE_PASSWORD=demo-only-password
"$T" user add kari --role operator --db "$DB"
"$T" user add ola --role operator --db "$DB"

step "3. Scanning the sample batches through SANE, recognising while it scans"
# shellcheck disable=SC1091
source build/scanner/sane-env.sh
for f in samples/batches/*.tif; do
  "$T" scan --device "telle:$ROOT/$f" --duplex --label --archive "$OUT/archive" \
            --package samples/package
done

step "4. Recognition: every sheet read, the uncertain ones queued"
for dir in "$OUT"/archive/*/; do
  "$T" review load --db "$DB" --archive "$OUT/archive" "${dir}records.jsonl"
done
"$T" review list --db "$DB"

step "5. Verification: the operators decide the queued ballots"
# Operators read the ballots in `telle serve`; here they are played from
# the sample truth (what the simulator wrote on each ballot).
truth_of() { grep -F "\"sheet\":\"$1\"" samples/batches/truth.jsonl || true; }
# The code of the list a voter wrote, by its code or its name; empty if none.
list_code() {
  if grep -q "\"code\": \"$1\"" samples/package/election.json; then echo "$1"; return; fi
  grep -B1 "\"name\": \"$1\"" samples/package/election.json | head -1 |
    sed -n 's/.*"code": "\([^"]*\)".*/\1/p'
}
for dir in "$OUT"/archive/*/; do
  batch=$(basename "$dir")
  "$T" review list --db "$DB" --batch "$batch" | awk 'NR > 1 && $3 == "open" {print $1, $2, $4}' |
  while read -r item sheet reasons; do
    t=$(truth_of "$batch.tif#${sheet##*#}")
    args=(--confirm)
    if [[ $reasons == *wrong_election* ]]; then
      "$T" review decide "$item" --as kari --reject d --db "$DB" </dev/null \
        --remark "ballot of the other election found in this box"
      "$T" review decide "$item" --as ola --confirm-reject --db "$DB" </dev/null
      continue
    fi
    if [[ $reasons == *list_written* ]]; then
      name=$(sed -n 's/.*"list_written": *"\([^"]*\)".*/\1/p' <<<"$t")
      code=$(list_code "$name")
      if [ -n "$code" ]; then
        args=(--list "$code")
      else
        args=(--blank --remark "written list '$name' stands in no list")
      fi
    fi
    while read -r wl wc; do
      [ -n "$wl" ] && args+=(--write-in "$wl $wc")
    done < <(grep -o '"list": *"[A-Z]*", *"candidate": *[0-9]*' <<<"$t" |
             sed 's/"list": *"\([A-Z]*\)", *"candidate": *\([0-9]*\)/\1 \2/' || true)
    "$T" review decide "$item" --as kari "${args[@]}" --db "$DB" </dev/null
  done
done

step "6. Commit"
for dir in "$OUT"/archive/*/; do
  batch=$(basename "$dir")
  "$T" review commit "$batch" --as ola --db "$DB"
  "$T" review tallies "$batch" --db "$DB" > "$OUT/$batch.tallies.json"
done
"$T" review list --db "$DB"

step "7. The preliminary count (by hand), and its differences explained"
# The counting team's hand count of krets 0001, category VO: here it is the
# final count with one ballot set aside as doubtful (tvilsom), which the
# final count approved for the first list. The difference must be explained
# before the protocol is final.
"$T" count --db "$DB" --election KS --json > "$OUT/counts-before-prelim.json"
sel='.elections[] | select(.id == "KS") | .counts[] | select(.category == "VO" and .krets == "0001")'
first=$(jq -r '.elections[] | select(.id == "KS") | .lists[0].code' "$OUT/counts-before-prelim.json")
mapfile -t lists < <(jq -r "$sel | .lists | to_entries[] |
  \"\(.key)=\(if .key == \"$first\" then .value.approved - 1 else .value.approved end)\"" \
  "$OUT/counts-before-prelim.json")
blank=$(jq -r "$sel | .blank" "$OUT/counts-before-prelim.json")
prelim_args=()
for l in "${lists[@]}"; do prelim_args+=(--list "$l"); done
"$T" prelim --db "$DB" --as kari --election KS --category VO --krets 0001 \
  "${prelim_args[@]}" --blank "$blank" --doubtful 1
"$T" prelim explain --db "$DB" --as ola --election KS --category VO --krets 0001 \
  --list "$first" --text "one ballot set aside as doubtful in the preliminary count was approved for $first in the final count"

step "8. The final count, the protocol and the seats"
"$T" count --db "$DB" --election KS
"$T" protocol --db "$DB" --election KS --pdf "$OUT/protocol-KS.pdf" --json "$OUT/protocol-KS.json"
"$T" settle --db "$DB" --election KS

step "9. Delivery: the counts as JSON, CSV and EML 510"
"$T" export --db "$DB" --election KS --format json --out "$OUT/counts-KS.json"
"$T" export --db "$DB" --election KS --format csv --out "$OUT/counts-KS.csv"
"$T" export --db "$DB" --election KS --format eml --out "$OUT/eml"

step "10. Audit: replay every image, then an audit package replayed on its own"
"$T" replay --db "$DB"
"$T" audit export --db "$DB" --out "$OUT/audit"
"$T" replay --db "$OUT/audit/telle.db" --archive "$OUT/audit/archive" --package "$OUT/audit/package"

printf '\nEverything is in %s: the protocol %s/protocol-KS.pdf, the exports, the audit package.\n' "$OUT" "$OUT"
printf 'The operators'"'"' page: %s serve --db %s (log in as kari or ola)\n' "$T" "$DB"
