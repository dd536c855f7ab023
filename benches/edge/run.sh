#!/usr/bin/env bash
# Edge benchmark (not a test): serves the component with the test host `cpm-test-host`
# (tests/host, release build; `CPM_TEST_HOST=path` to use another build) on 127.0.0.1 and
# loads it with `wrk` for a bounded time (so a bounded number of requests), then writes
# requests/s and p50/p99 latency to benches/edge/results.md.
#
#   benches/edge/run.sh                     # the embedded bundle (examples/customer), decision Discount
#   DURATION=30s CONNECTIONS=8 THREADS=2 benches/edge/run.sh
#   CPM_BUNDLE=path.cpm DECISION=Name INPUT='{"a":1}' benches/edge/run.sh
#
# Needs: wrk (`apt-get install -y wrk`). The first run builds the host in release (wasmtime
# and cranelift: several minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}          # wrk stops sending after this long
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
DECISION=${DECISION:-Discount}
INPUT=${INPUT:-'{"Customer Tier":"gold","Order Total":620,"Country":"DE","Sales Channel":"online"}'}
RESULTS=benches/edge/results.md

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
if [ -z "${CPM_TEST_HOST:-}" ]; then
  cargo build -q -p cpm-test-host --release
  CPM_TEST_HOST=target/release/cpm-test-host
fi

cargo build -q -p cpm-edge --target wasm32-wasip2 --release
WASM=target/wasm32-wasip2/release/cpm_edge.wasm

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ARGS=(--listen 127.0.0.1:0 --kv-memory --cache target/cpm-test-host-cache)
if [ -n "${CPM_BUNDLE:-}" ]; then
  cp "$CPM_BUNDLE" "$WORK/bundle.cpm"
  ARGS+=(--dir "$WORK::/bundles" --env CPM_BUNDLE_FILE=/bundles/bundle.cpm)
fi
"$CPM_TEST_HOST" "${ARGS[@]}" "$WASM" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!

# The host prints `listening on http://127.0.0.1:PORT` once it serves.
PORT=
for _ in $(seq 1 600); do
  PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$PORT" ] || { echo "the test host did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
ENCODED=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$DECISION")
URL="http://127.0.0.1:$PORT/v1/decisions/$ENCODED"

# One request by hand: it must succeed, and its answer goes into the results.
SAMPLE=$(curl -fsS -X POST -H 'content-type: application/json' --data "$INPUT" "$URL?explain=false")

cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.path = "/v1/decisions/$ENCODED?explain=false"
wrk.headers["content-type"] = "application/json"
wrk.body = [[$INPUT]]
function request()
  return wrk.format()
end
function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    os.exit(1)
  end
end
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d errors=%d seconds=%.3f rps=%.0f p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    secs, summary.requests / secs, latency:percentile(50), latency:percentile(99), latency.max))
end
LUA

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# The floor: the same load on `GET /healthz`, which instantiates the component and answers
# without reading a bundle, so the decision's own share of each request shows.
FLOOR=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s "http://127.0.0.1:$PORT/healthz" |
  sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
OUT=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s "$WORK/post.lua" "http://127.0.0.1:$PORT")
echo "$OUT"
LINE=$(grep '^RESULT' <<<"$OUT")
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$LINE"; }

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
WASM_SIZE=$(stat -c %s "$WASM")
{
  echo "# Edge benchmark results"
  echo
  echo "Written by \`benches/edge/run.sh\` on $(date -u +%Y-%m-%dT%H:%MZ). Not a test: numbers depend on the machine."
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| runtime | $("$CPM_TEST_HOST" --version) on wasmtime 48.0.8 (test host, one instance per request) |"
  echo "| component | \`$WASM\`, $WASM_SIZE bytes |"
  echo "| machine | $(nproc) CPU(s), $(uname -sm); load average before the run: $LOAD |"
  echo "| load | wrk, $THREADS threads, $CONNECTIONS connections, loopback |"
  echo "| request | \`POST /v1/decisions/$DECISION?explain=false\` with \`$INPUT\` |"
  echo "| answer | \`$SAMPLE\` |"
  echo "| requests | $(val requests) ($(val errors) errors) in $(val seconds) s |"
  echo "| **requests/s** | **$(val rps)** |"
  echo "| **p50 latency** | **$(ms "$(val p50_us)")** |"
  echo "| **p99 latency** | **$(ms "$(val p99_us)")** |"
  echo "| max latency | $(ms "$(val max_us)") |"
  echo "| floor: \`GET /healthz\` under the same load | $(printf '%.0f' "$FLOOR") requests/s |"
  echo
  echo "Latency is end to end over HTTP/1.1 keep-alive: it includes instantiating the component,"
  echo "decoding the bundle and evaluating the decision for every request; wrk runs on the same"
  echo "CPUs as the server. The floor line is what the host costs per request with no decision"
  echo "at all: the closer the decision's requests/s come to it, the less the decision itself adds."
} >"$RESULTS"
echo "wrote $RESULTS"
