#!/usr/bin/env bash
# Side-by-side benchmarks (not a test, not part of CI): cpm against GoRules ZEN natively
# (criterion + single-evaluation latencies), and cpm's wasm package against
# @gorules/zen-engine, json-rules-engine and json-logic-js in Node. Writes
# benches/compare/results.md. About 10 minutes of measuring on 2 cores, plus the first build.
#
#   benches/compare/run.sh                      # everything
#   NATIVE_EVALUATIONS=20000 NODE_EVALUATIONS=20000 benches/compare/run.sh
#   SKIP_NATIVE=1 benches/compare/run.sh       # Node half only; reuse the last native figures
#
# Needs: cargo (rustc 1.85+), python3, node 20+ and npm; for the wasm package, what
# js/scripts/build.sh needs (wasm32-unknown-unknown target, wasm-bindgen-cli at the pinned
# version). Every engine's answers are checked before timing; any difference stops the run.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
ROOT=$(cd ../.. && pwd)
NATIVE_EVALUATIONS=${NATIVE_EVALUATIONS:-20000}
NODE_EVALUATIONS=${NODE_EVALUATIONS:-20000}
OUT="$HERE/target/results"
mkdir -p "$OUT"

if [ "${SKIP_NATIVE:-}" = 1 ] && [ -s "$OUT/native-latency.jsonl" ]; then
  echo "== native: reusing the measurements in $OUT (SKIP_NATIVE=1)"
else
echo "== workloads: generating the 1,000- and 10,000-row tables"
python3 workloads/gen_tables.py

echo "== native: building (bench profile = release settings; also builds target/release/probe)"
nice cargo bench --locked --no-run

echo "== native: checking every engine's answers"
./target/release/probe verify

echo "== native: single-evaluation latencies and peak memory, one process each"
: >"$OUT/native-latency.jsonl"
for w in small-table table-1k table-10k expressions graph; do
  engines="cpm zen"
  case $w in table-*) engines="cpm cpm-scan zen" ;; esac
  for e in $engines; do
    ./target/release/probe latency "$w" "$e" "$NATIVE_EVALUATIONS" | tee -a "$OUT/native-latency.jsonl"
  done
done

echo "== native: criterion"
cargo bench --locked --bench compare 2>&1 | tee "$OUT/criterion.log"
fi

echo "== node: the wasm package and the JS engines"
if [ ! -f "$ROOT/js/pkg/cpm_web_bg.wasm" ]; then
  (cd "$ROOT/js" && npm ci --no-audit --no-fund && nice npm run build)
fi
# npm ci, except where the registry lacks @gorules/zen-engine's packages for other platforms
# (then npm ci refuses the lock file): npm install of the same pinned versions.
(cd js && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; } &&
  node bench.mjs --out "$OUT/node.json" --evaluations "$NODE_EVALUATIONS")

echo "== report"
mem=$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
os=$(. /etc/os-release && echo "$PRETTY_NAME, Linux $(uname -r)")
zen=$(awk '/^name = "zen-engine"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD)
python3 - "$OUT/machine.json" <<PY
import json, sys
json.dump({"cpu": """$cpu""", "cores": $(nproc), "memory": "$mem", "os": """$os""",
           "rustc": """$(rustc --version)""", "node": "node $(node --version)",
           "zen_crate": "$zen", "commit": "$commit",
           "native_evaluations": $NATIVE_EVALUATIONS}, open(sys.argv[1], "w"))
PY
python3 report.py "$OUT" "$HERE/results.md" "${SKIP_NATIVE:+SKIP_NATIVE=$SKIP_NATIVE }NATIVE_EVALUATIONS=$NATIVE_EVALUATIONS NODE_EVALUATIONS=$NODE_EVALUATIONS benches/compare/run.sh"
echo "wrote benches/compare/results.md"
