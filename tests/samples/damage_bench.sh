#!/usr/bin/env bash
# damage_bench.sh - what recognition does with each kind of damage the
# simulator draws (telle simulate --damage, samples/README.md "Damage").
# Not a test: it prints a table and the sheets behind every critical miss,
# wrong decision and false review, so recognition can be measured again
# after a fix.
#
#   tests/samples/damage_bench.sh [BUILD] [SHEETS] [FORMATS] [KINDS]
#
# BUILD    build folder with cli/telle (default build)
# SHEETS   ballots per batch (default 40)
# FORMATS  comma list of g4,gray,rgb (default g4,gray,rgb)
# KINDS    comma list of damage kinds, or a combination joined by '+'
#          (default: every kind, and tear+black_backing, punch+black_backing)
#
# Each batch draws its kind with probability 0.7 per sheet (the other
# sheets are controls), seed 11. The row `none` is the same batch without
# damage: sheets without pen damage are the same ballots in every row, so a
# failure listed with "baseline: same" is not the damage's doing. Column
# `drawn` counts the sheets the damage was drawn on. Work files go to
# $TMPDIR/telle-dmg-bench (kept, so a sheet can be looked at). Scores:
# ../shared/devset/score.py.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
sheets=${2:-40}
formats=${3:-g4,gray,rgb}
kinds=${4:-none,dust,hair,streak,stain,tear,tear+black_backing,dogear,punch,punch+black_backing,staple,noise,tint,bleed,pencil,red_pen,light_pressure,heavy_pressure,mark_styles,small_margin,hands}
telle=$build/cli/telle
[ -x "$telle" ] || telle=$here/$build/cli/telle
score=${SCORE:-$here/../shared/devset/score.py}
[ -f "$score" ] || score=/work/shared/devset/score.py
pkg=$here/samples/package
work=${TMPDIR:-/tmp}/telle-dmg-bench
mkdir -p "$work"
details=$work/details.txt
: > "$details"

printf '%-22s %-5s %5s %8s %6s %6s %8s %9s %7s\n' damage format sheets \
    critical voss wrong missing false_rev drawn
for k in ${kinds//,/ }; do
  for f in ${formats//,/ }; do
    out=$work/$k-$f
    rm -rf "$out"
    dmg=(--damage "${k//+/,}" --damage-p 0.7)
    [ "$k" = none ] && dmg=()
    if ! "$telle" simulate --package "$pkg" --out "$out" --sheets "$sheets" \
        --seed 11 --format "$f" "${dmg[@]}" > /dev/null; then
      printf '%-22s %-5s simulate failed\n' "$k" "$f"
      continue
    fi
    "$telle" interpret --package "$pkg" --out "$out/records.jsonl" \
        "$out"/0001-VO-01.tif 2> "$out/interpret.log" || true
    /usr/bin/python3 "$score" --truth "$out/truth.jsonl" \
        --records "$out/records.jsonl" --json --list 1000 \
        > "$out/score.txt" || true
    /usr/bin/python3 - "$out" "$k" "$f" "$details" <<'EOF'
import json, sys
out, kind, fmt, details = sys.argv[1:]
lines = open(out + "/score.txt").read().splitlines()
res = json.loads(lines[-2])
truth = {}
for l in open(out + "/truth.jsonl"):
    t = json.loads(l)
    truth[t["sheet"]] = t
recs = {}
for l in open(out + "/records.jsonl"):
    try:
        r = json.loads(l)
    except ValueError:
        continue
    recs[r["sheet"].split("/")[-1]] = r
tags = ["damage_" + x for x in kind.split("+") if x != "none"]
base = {}
try:
    b = json.loads(open(out.rsplit("/", 1)[0] + "/none-" + fmt +
                        "/score.txt").read().splitlines()[-2])["examples"]
    for e in b["critical"]:
        base[("CRITICAL", e["sheet"])] = 1
    for e in b["wrong"]:
        base[("WRONG", e["sheet"])] = 1
    for e in b["false_review"]:
        base[("FALSE_REVIEW", e["sheet"])] = 1
except (OSError, ValueError, IndexError, KeyError):
    pass
drawn = sum(1 for t in truth.values()
            if tags and all(x in t["cases"] for x in tags))
print("%-22s %-5s %5d %8d %6d %6d %8d %4d/%-4d %7d" % (
    kind, fmt, res["sheets"], res["critical"], res["voss_misses"],
    res["wrong"], res["missing"], res["false_review"],
    res["false_review_den"], drawn))
ex = res["examples"]
with open(details, "a") as d:
    def show(what, sheet, extra):
        t = truth.get(sheet, {})
        r = recs.get(sheet, {})
        dmg = {k: v for k, v in (t.get("scan", {}).get("damage") or {}).items()
               if k != "dust"}
        if "dust" in (t.get("scan", {}).get("damage") or {}):
            dmg["dust"] = "specks per page: " + ", ".join(
                "%s=%d" % (p, len(v)) for p, v in
                t["scan"]["damage"]["dust"].items())
        if t.get("scan", {}).get("pen", {}).get("color") not in (
                None, "blue", "black") or "alpha" in t.get("scan", {}).get(
                "pen", {}):
            dmg["pen"] = t["scan"]["pen"]
        drawn = all(x in t.get("cases", []) for x in tags)
        d.write("%s %s/%s %s: %s [damage %s; baseline: %s]\n" % (
            what, kind, fmt, sheet, extra,
            "drawn" if drawn else "not drawn",
            "n/a" if kind == "none" else
            "same" if (what, sheet) in base else "ok"))
        d.write("    truth: style=%s expected=%s must_review=%s cases=%s\n" % (
            t.get("style"), t.get("expected"), t.get("must_review"),
            ",".join(t.get("cases", []))))
        if dmg:
            d.write("    damage: %s\n" % json.dumps(dmg))
        if t.get("writing_outside"):
            d.write("    truth writing_outside: %s\n" % json.dumps(
                [{k: w[k] for k in ("side", "kind", "bbox_mm") if k in w}
                 for w in t["writing_outside"]]))
        d.write("    record: outcome=%s reasons=%s style=%s votes=%s "
                "stamp=%s\n" % (r.get("outcome"), r.get("reasons"),
                                r.get("style"), r.get("personal_votes"),
                                r.get("stamp")))
        if r.get("writing"):
            d.write("    record writing: %s\n" % json.dumps(r["writing"]))
        m = [x for x in r.get("marks") or [] if x.get("state") != "empty"]
        if m:
            d.write("    record marks: %s\n" % json.dumps(m))
    for e in ex["critical"]:
        show("CRITICAL", e["sheet"], "must_review=%s outcome=%s" % (
            e["must_review"], e["outcome"]))
    for e in ex["wrong"]:
        show("WRONG", e["sheet"], e["why"])
    for e in ex["false_review"]:
        show("FALSE_REVIEW", e["sheet"], "reasons=%s" % e["reasons"])
    for s in ex["missing"]:
        d.write("MISSING %s/%s %s\n" % (kind, fmt, s))
EOF
  done
done
echo
echo "critical/wrong/false-review sheets: $details"
cat "$details"
