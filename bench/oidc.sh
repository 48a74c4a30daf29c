#!/usr/bin/env bash
# The OpenID provider's token endpoint, against /healthz in the same run, on one release binary:
# code exchanges and refreshes per second for an RS256 and an ES256 client, and the signing rate
# they imply against the raw signing rate of the key type (`openssl speed`, both cores).
#
#   bench/oidc.sh        (from anywhere; builds the release binary first if it is missing)
#
# Environment: BENCH_CODES (codes per burst, default 2000), BENCH_SECONDS (healthz, default 10),
# BENCH_BIN (a sekisho binary to use instead), BENCH_KEEP=1 (keep the temp folder).
# Needs: wrk, openssl, /usr/bin/python3, curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
CODES="${BENCH_CODES:-2000}"
SECONDS_PER="${BENCH_SECONDS:-10}"
THREADS=2
CONNS=32
PY=/usr/bin/python3
BIN="${BENCH_BIN:-$ROOT/.build-static/release/sekisho}"
REDIRECT="https://app.bench.invalid/callback"

if [[ ! -x "$BIN" ]]; then
    echo "building the release binary (swift build -c release --product sekisho --static-swift-stdlib --scratch-path $ROOT/.build-static)" >&2
    (cd "$ROOT" && swift build -c release --product sekisho --static-swift-stdlib --scratch-path "$ROOT/.build-static" >&2)
fi

WORK="$(mktemp -d /tmp/sekisho-bench-oidc.XXXXXX)"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "raw outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
RUN_STARTED=$(date +%s)

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
export BENCH_LUA="$BENCH/lua" BENCH_DIR="$WORK" BENCH_THREADS="$THREADS"
cli() { (cd "$ROOT" && "$BIN" "$@" --data-dir "$DATA"); }

# A user without two-factor (the authorization requests need a signed-in session, not its codes)
# and two confidential clients that skip consent, one per signature algorithm.
printf '%s\n' 'bench-password-1' | cli user add benchoidc --email benchoidc@bench.invalid >/dev/null
declare -A SECRET
for alg in RS256 ES256; do
    SECRET[$alg]=$(cli oidc client add "bench-$alg" --redirect-uri "$REDIRECT" --skip-consent --no-pkce --alg "$alg" \
        | sed -n 's/^client secret.*: //p')
done
(cd "$ROOT" && exec "$BIN" serve --data-dir "$DATA" --port "$PORT" --set clock.check=false \
    --set server.public_directory="$ROOT/Public" >>"$WORK/server.log" 2>&1) &
SERVER_PID=$!
BENCH_T0_NS=$(date +%s%N) $PY "$BENCH/prepare.py" startup "$URL" >/dev/null

field() { sed -n "s/^RESULT .*[ ]$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }
tokens() { sed -n "s/^TOKENS .*$1=\([^ ]*\).*/\1/p" "$2"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }

echo "Sekisho OpenID benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; binary: $BIN; $CODES codes per burst"
wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER}s" --latency -s "$BENCH/lua/get.lua" "$URL/healthz" >"$WORK/healthz.txt"
H=$(field rps "$WORK/healthz.txt")
echo "healthz      $H req/s"

# burst NAME BODIES ALG: every body once over $CONNS connections; prints the answered-with-tokens rate.
burst() {
    BENCH_BODIES="$2" BENCH_BASIC=$(printf '%s' "bench-$3:${SECRET[$3]}" | base64 -w0) \
        wrk -t"$THREADS" -c"$CONNS" -d30s --timeout 10s -s "$BENCH/lua/oidc_token.lua" "$URL/oidc/token" >"$WORK/$1.txt"
    local ok failed seconds
    ok=$(tokens ok "$WORK/$1.txt")
    failed=$(tokens failed "$WORK/$1.txt")
    seconds=$(tokens burst_seconds "$WORK/$1.txt")
    [[ "$failed" == 0 ]] || { echo "$1: $failed of $((ok + failed)) token requests failed" >&2; exit 1; }
    eval "RATE_$1=$(rate "$ok" "$seconds")"
    printf '%-16s %6s/s  (%s answered in %s s)\n' "$1" "$(eval echo "\$RATE_$1")" "$ok" "$seconds"
}
for alg in RS256 ES256; do
    $PY "$BENCH/prepare.py" oidc-codes "$URL" benchoidc "bench-$alg" "${SECRET[$alg]}" "$REDIRECT" "$CODES" "$WORK/exchange-$alg.txt"
    rm -f "$WORK"/refresh-*.txt
    burst "exchange_$alg" "$WORK/exchange-$alg.txt" "$alg"
    cat "$WORK"/refresh-*.txt >"$WORK/refresh-$alg.txt"
    burst "refresh_$alg" "$WORK/refresh-$alg.txt" "$alg"
done
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# The raw signing rate of each key type on both cores, with the server stopped.
openssl speed -seconds "$SECONDS_PER" -multi "$(nproc)" rsa2048 ecdsap256 2>/dev/null >"$WORK/openssl.txt"
RAW_RS256=$(awk '/^rsa 2048 bits/ { v = $(NF - 1) } END { printf "%.0f", v }' "$WORK/openssl.txt")
RAW_ES256=$(awk '/ecdsa \(nistp256\)/ { v = $(NF - 1) } END { printf "%.0f", v }' "$WORK/openssl.txt")

echo
echo "| Scenario | Measured | Ratio |"
echo "|---|---|---|"
echo "| Baseline \`GET /healthz\` | $H req/s | 100 % |"
for alg in RS256 ES256; do
    ex=$(eval echo "\$RATE_exchange_$alg")
    re=$(eval echo "\$RATE_refresh_$alg")
    raw=$(eval echo "\$RAW_$alg")
    echo "| Code exchange, $alg client | $ex/s | $(ratio "$ex" "$H") % of healthz; $(ratio "$ex" "$raw") % of raw $alg signing ($raw/s) |"
    echo "| Refresh with rotation, $alg client | $re/s | $(ratio "$re" "$H") % of healthz; $(ratio "$re" "$raw") % of raw $alg signing |"
done
echo
echo "oidc.sh took $(( $(date +%s) - RUN_STARTED )) s"
