#!/usr/bin/env bash
# Sekisho benchmarks: every scenario in one run, against one release binary, on 127.0.0.1.
#
#   bench/run.sh            (from anywhere; builds the release binary first if it is missing)
#
# Environment: BENCH_USERS (two-factor users for the code check, default 300),
# BENCH_SECONDS (per wrk scenario, default 10), BENCH_BIN (a sekisho binary to use instead),
# BENCH_KEEP=1 (keep the temp folder with the raw wrk outputs and the server log),
# BENCH_PROFILE=NAME (perf record of the server during scenario NAME, e.g. verify; implies keeping),
# BENCH_STORE=postgres (the same scenarios on a temporary PostgreSQL 15 started here, with its
# default durability: fsync and synchronous_commit on; the raw UPDATE baseline is then pgbench,
# and the code check's own statement alone through pgbench is printed as its ceiling),
# BENCH_PG_OPTIONS (more `-c name=value` options for that PostgreSQL, e.g. statement logging),
# BENCH_PG_POOL (the server's connection pool, database.pool_size; the server's default of 10 when
# unset), BENCH_ONLY=verify (only the code check and its baselines: the users are still prepared,
# the other scenarios and the table are left out; for quicker profiling).
# Needs: wrk, gcc + libargon2-dev, /usr/bin/python3, curl; for postgres Debian's postgresql.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
USERS="${BENCH_USERS:-300}"
SECONDS_PER="${BENCH_SECONDS:-10}"
THREADS=2
CONNS=32
PY=/usr/bin/python3
# The binary as the Dockerfile ships it: release, Swift runtime linked in (--static-swift-stdlib).
BIN="${BENCH_BIN:-$ROOT/.build-static/release/sekisho}"

if [[ ! -x "$BIN" ]]; then
    echo "building the release binary (swift build -c release --product sekisho --static-swift-stdlib --scratch-path $ROOT/.build-static)" >&2
    (cd "$ROOT" && swift build -c release --product sekisho --static-swift-stdlib --scratch-path "$ROOT/.build-static" >&2)
fi

WORK="$(mktemp -d /tmp/sekisho-bench.XXXXXX)"
DATA="$WORK/data"
SERVER_PID=""
STORE="${BENCH_STORE:-sqlite}"
ONLY="${BENCH_ONLY:-}"
[[ -z "$ONLY" || "$ONLY" == verify ]] || { echo "BENCH_ONLY can only be verify" >&2; exit 1; }
PGBIN="${SEKISHO_PG_BIN:-/usr/lib/postgresql/15/bin}"
# Runs a PostgreSQL program as the postgres user when we are root (PostgreSQL refuses root).
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -f "$WORK/pg/data/postmaster.pid" ]]; then as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
    if [[ "${BENCH_KEEP:-0}" == 1 || -n "${BENCH_PROFILE:-}" ]]; then echo "raw outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

RUN_STARTED=$(date +%s)
gcc -O2 -pthread -o "$WORK/argon2_bench" "$BENCH/argon2_bench.c" -largon2

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
export BENCH_LUA="$BENCH/lua" BENCH_DIR="$WORK" BENCH_THREADS="$THREADS"

# The store: SQLite under $DATA, or a PostgreSQL server of our own in $WORK/pg.
DB_FLAGS=()
if [[ "$STORE" == postgres ]]; then
    PGPORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    chmod 755 "$WORK"
    mkdir -p "$WORK/pg"
    [[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"
    as_postgres "$PGBIN/initdb" -D "$WORK/pg/data" -U sekisho --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/pg-init.log"
    as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
        -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200 ${BENCH_PG_OPTIONS:-}" start >/dev/null
    "$PGBIN/psql" -X -q -h "$WORK/pg" -p "$PGPORT" -U sekisho -d postgres -c "CREATE DATABASE sekisho"
    PG_URL="postgres://sekisho@127.0.0.1:$PGPORT/sekisho?sslmode=disable"
    DB_FLAGS=(--set "database.url=$PG_URL")
    [[ -n "${BENCH_PG_POOL:-}" ]] && DB_FLAGS+=(--set "database.pool_size=$BENCH_PG_POOL")
fi
# psql on the benchmark's PostgreSQL, one value out.
pg_value() { "$PGBIN/psql" -X -A -t -h "$WORK/pg" -p "$PGPORT" -U sekisho -d sekisho -c "$1"; }

# Starts the server in the background on $DATA; sets SERVER_PID and STARTUP_MS (process start to
# first /healthz 200, measured by a poller that tries every 5 ms).
start_server() {
    local t0
    t0=$(date +%s%N)
    # wrk's 32 connections stand in for many clients, but all come from 127.0.0.1: the address's
    # limit is raised so that the sign-ins in flight at once (each charged until checked) are not
    # refused as one address guessing.
    (cd "$ROOT" && exec "$BIN" serve --data-dir "$DATA" --port "$PORT" --set clock.check=false \
        --set lockout.address_free_failures=10000 \
        --set server.public_directory="$ROOT/Public" "${DB_FLAGS[@]}" >>"$WORK/server.log" 2>&1) &
    SERVER_PID=$!
    STARTUP_MS=$(BENCH_T0_NS=$t0 $PY "$BENCH/prepare.py" startup "$URL")
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
hwm_mb() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
# The kernel's peak-RSS mark is reset before each scenario, so VmHWM afterwards is that scenario's peak.
reset_peak() { echo 5 >"/proc/$SERVER_PID/clear_refs"; }

# field NAME FILE: the value of NAME=... on the RESULT line of a wrk output.
field() { sed -n "s/^RESULT .*[ ]$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }

# run_wrk NAME SCRIPT PATH [wrk options...]: one wrk run; the output goes to $WORK/NAME.txt.
# With BENCH_PROFILE=NAME, perf records the server during that scenario into $WORK/NAME.perf.
run_wrk() {
    local name=$1 script=$2 path=$3 perf_pid=""
    shift 3
    if [[ "${BENCH_PROFILE:-}" == "$name" ]]; then
        perf record -e cpu-clock -g -p "$SERVER_PID" -o "$WORK/$name.perf" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
    fi
    wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER}s" --timeout 10s --latency "$@" -s "$BENCH/lua/$script" "$URL$path" >"$WORK/$name.txt"
    if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    if ! grep -q '^RESULT' "$WORK/$name.txt"; then
        echo "wrk $name produced no result:" >&2
        cat "$WORK/$name.txt" >&2
        exit 1
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=" ? v >= t : v <= t); print (ok ? "met" : "NOT MET") }'; }

echo "Sekisho benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
echo "binary: $BIN; wrk -t$THREADS -c$CONNS -d${SECONDS_PER}s; $USERS two-factor users; store: $STORE"

# --- start-up: fresh data directory, then the same (existing) one -------------------------------
start_server
STARTUP_FRESH=$STARTUP_MS
stop_server
printf '%s\n' 'bench-admin-password-1' | (cd "$ROOT" && "$BIN" user add benchadmin --email benchadmin@bench.invalid --admin --data-dir "$DATA" "${DB_FLAGS[@]}") >/dev/null
API_TOKEN=$(cd "$ROOT" && "$BIN" token create --user benchadmin --name bench --data-dir "$DATA" "${DB_FLAGS[@]}" | grep -Eo '[A-Za-z0-9_-]{30,}' | tail -1)
start_server
STARTUP_EXISTING=$STARTUP_MS
sleep 2
IDLE_START_MB=$(rss_mb)
echo "start-up: fresh ${STARTUP_FRESH} ms, existing ${STARTUP_EXISTING} ms; idle RSS ${IDLE_START_MB} MB"

# --- preparation ----------------------------------------------------------------------------------
$PY "$BENCH/prepare.py" setup "$URL" "$API_TOKEN" "$USERS" "$WORK"
export BENCH_CSRF BENCH_COOKIE
BENCH_CSRF="$(cat "$WORK/csrf")"
SIGNED_IN="$(cat "$WORK/signed_in")"
DB=""
if [[ "$STORE" == sqlite ]]; then
    for candidate in "$DATA"/*.sqlite "$DATA"/*.db; do [[ -f "$candidate" ]] && { DB="$candidate"; break; }; done
    [[ -n "$DB" ]] || { echo "no database file in $DATA" >&2; exit 1; }
fi
# How many users' replay guards stand at STEP: the codes the database accepted.
accepted() {
    if [[ "$STORE" == postgres ]]; then pg_value "SELECT COUNT(*) FROM totp_binding WHERE last_step = $1"; else $PY "$BENCH/prepare.py" accepted "$DB" "$1"; fi
}
# Enrolling queued a notice mail per user (an authenticator was added): let the outbox deliver them
# first, or the burst below measures the code check against the mail worker's writes.
unsent() {
    local sql="SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    if [[ "$STORE" == postgres ]]; then pg_value "$sql"; else $PY "$BENCH/prepare.py" count "$DB" "$sql"; fi
}
for _ in $(seq 1 600); do [[ "$(unsent)" == 0 ]] && break; sleep 0.5; done
echo "outbox drained: $(unsent) mails unsent"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sekisho_session=$SIGNED_IN" "$URL/api/authz/auth-request")
[[ "$code" == 200 ]] || { echo "auth-request with the signed-in session answered $code, not 200" >&2; exit 1; }

# --- request scenarios ----------------------------------------------------------------------------
scenario() { # NAME SCRIPT PATH COOKIE
    BENCH_COOKIE="$4"
    reset_peak
    run_wrk "$1" "$2" "$3"
    eval "PEAK_$1=$(hwm_mb)"
    printf '%-12s %9s req/s  p50 %7s ms  p99 %7s ms  errors %s/%s  peak RSS %s MB\n' "$1" "$(field rps "$WORK/$1.txt")" \
        "$(field p50_ms "$WORK/$1.txt")" "$(field p99_ms "$WORK/$1.txt")" "$(field socket_errors "$WORK/$1.txt")" \
        "$(field non2xx3xx "$WORK/$1.txt")" "$(eval echo "\$PEAK_$1")"
}
if [[ -z "$ONLY" ]]; then
    scenario healthz get.lua /healthz ""
    scenario authz get.lua /api/authz/auth-request "sekisho_session=$SIGNED_IN"
    scenario login get.lua /login ""
    BENCH_COOKIE=""
    scenario signin signin.lua /login ""
    SIGNED_IN_COUNT=$(sed -n 's/^SIGNED_IN //p' "$WORK/signin.txt")
    echo "             (sign-ins answered 303 to /: $SIGNED_IN_COUNT)"

    # Argon2id alone, all cores, same parameters, while the server idles.
    "$WORK/argon2_bench" "$SECONDS_PER" "$(nproc)" >"$WORK/argon2.txt"
    ARGON2_RATE=$(sed -n 's/.*per_s=\([0-9.]*\).*/\1/p' "$WORK/argon2.txt")
    echo "argon2 alone $(cat "$WORK/argon2.txt")"

    # Forward auth during a storm of sign-ins (the storm starts first and outlasts the measurement).
    reset_peak
    wrk -t1 -c16 -d"$((SECONDS_PER + 2))s" --timeout 10s -s "$BENCH/lua/signin.lua" "$URL/login" >"$WORK/storm-signin.txt" &
    STORM_PID=$!
    sleep 1
    BENCH_COOKIE="sekisho_session=$SIGNED_IN" run_wrk authz_storm get.lua /api/authz/auth-request
    wait "$STORM_PID"
    PEAK_storm=$(hwm_mb)
    printf '%-12s %9s req/s  p50 %7s ms  p99 %7s ms  (storm: %s sign-ins/s)  peak RSS %s MB\n' authz_storm \
        "$(field rps "$WORK/authz_storm.txt")" "$(field p50_ms "$WORK/authz_storm.txt")" "$(field p99_ms "$WORK/authz_storm.txt")" \
        "$(field rps "$WORK/storm-signin.txt")" "$PEAK_storm"
fi

# --- code check: every half-way session submits its user's code for step now+1, once ---------------
read -r STEP LEFT < <($PY "$BENCH/prepare.py" codes "$WORK")
BEFORE=$(accepted "$STEP")
reset_peak
BENCH_COOKIE="" run_wrk verify verify.lua /login/verify -d"$(( LEFT - 5 < 20 ? LEFT - 5 : 20 ))s"
PEAK_verify=$(hwm_mb)
ACCEPTED=$(($(accepted "$STEP") - BEFORE))
VERIFY_SECONDS=$(sed -n 's/^VERIFY .*burst_seconds=\([0-9.]*\).*/\1/p' "$WORK/verify.txt")
VERIFY_RATE=$(awk -v a="$ACCEPTED" -v s="$VERIFY_SECONDS" 'BEGIN { printf "%.1f", (s > 0 ? a / s : 0) }')
printf '%-12s %9s accepted/s (%s of %s codes accepted, by the database, in a burst of %s s; wrk saw: %s)  peak RSS %s MB\n' verify \
    "$VERIFY_RATE" "$ACCEPTED" "$USERS" "$VERIFY_SECONDS" "$(sed -n 's/^VERIFY //p' "$WORK/verify.txt")" "$PEAK_verify"

sleep 2
IDLE_END_MB=$(rss_mb)
stop_server

# The same conditional UPDATE straight on a copy of the database (server stopped, so the disk is
# not shared with it): one writer, and as many writers as wrk has connections.
# On PostgreSQL: pgbench on the same database and server (the server's own settings).
if [[ "$STORE" == postgres ]]; then
    "$BENCH/pg_update_bench.sh" "$PGBIN" "$WORK" "$PGPORT" 1 "$SECONDS_PER" | tee "$WORK/sqlite1.txt"
    "$BENCH/pg_update_bench.sh" "$PGBIN" "$WORK" "$PGPORT" "$CONNS" "$SECONDS_PER" | tee "$WORK/sqliteN.txt"
    # The ceiling: the code check's own statement, alone, as fast as this database commits it.
    "$BENCH/pg_update_bench.sh" "$PGBIN" "$WORK" "$PGPORT" "$CONNS" "$SECONDS_PER" code-check | tee "$WORK/statementN.txt"
    STATEMENT_N=$(sed -n 's/.*commits_per_s=\([0-9.]*\).*/\1/p' "$WORK/statementN.txt")
else
    $PY "$BENCH/sqlite_update_bench.py" "$DB" "$WORK" --threads 1 --seconds "$SECONDS_PER" | tee "$WORK/sqlite1.txt"
    $PY "$BENCH/sqlite_update_bench.py" "$DB" "$WORK" --threads "$CONNS" --seconds "$SECONDS_PER" | tee "$WORK/sqliteN.txt"
fi
SQL1=$(sed -n 's/.*commits_per_s=\([0-9.]*\).*/\1/p' "$WORK/sqlite1.txt")
SQLN=$(sed -n 's/.*commits_per_s=\([0-9.]*\).*/\1/p' "$WORK/sqliteN.txt")
SQL_BEST=$(awk -v a="$SQL1" -v b="$SQLN" 'BEGIN { print (a > b ? a : b) }')
if [[ "$STORE" == postgres ]]; then
    echo "code check's statement alone: $STATEMENT_N commits/s = $(ratio "$STATEMENT_N" "$SQL_BEST") % of the UPDATE; the code check reached $(ratio "$VERIFY_RATE" "$STATEMENT_N") % of it"
fi
if [[ "$ONLY" == verify ]]; then
    echo "code check: $VERIFY_RATE accepted/s = $(ratio "$VERIFY_RATE" "$SQL_BEST") % of the $STORE UPDATE (best of 1: $SQL1, $CONNS writers: $SQLN commits/s)"
    echo "run.sh took $(( $(date +%s) - RUN_STARTED )) s"
    exit 0
fi

# --- table ------------------------------------------------------------------------------------------
H=$(field rps "$WORK/healthz.txt")
A=$(field rps "$WORK/authz.txt")
AP99=$(field p99_ms "$WORK/authz.txt")
L=$(field rps "$WORK/login.txt")
S=$(field rps "$WORK/signin.txt")
SP99=$(field p99_ms "$WORK/authz_storm.txt")
STORM_X=$(awk -v a="$SP99" -v b="$AP99" 'BEGIN { printf "%.1f", a / b }')
MAX_IDLE=$(awk -v a="$IDLE_START_MB" -v b="$IDLE_END_MB" 'BEGIN { print (a > b ? a : b) }')
STARTUP_MAX=$(( STARTUP_FRESH > STARTUP_EXISTING ? STARTUP_FRESH : STARTUP_EXISTING ))
echo
echo "| Scenario | Measured | Ratio | Target | Result |"
echo "|---|---|---|---|---|"
echo "| Baseline \`GET /healthz\` | $H req/s (p99 $(field p99_ms "$WORK/healthz.txt") ms) | 100 % | — | — |"
echo "| Forward auth, valid session | $A req/s | $(ratio "$A" "$H") % | ≥ 70 % | $(verdict "$(ratio "$A" "$H")" ">=" 70) |"
echo "| Forward auth p99 at $CONNS connections | $AP99 ms | — | ≤ 5 ms | $(verdict "$AP99" "<=" 5) |"
echo "| \`GET /login\` | $L req/s | $(ratio "$L" "$H") % | ≥ 50 % | $(verdict "$(ratio "$L" "$H")" ">=" 50) |"
echo "| Code check, accepted codes ($USERS users) vs $STORE UPDATE (best of 1: $SQL1, $CONNS writers: $SQLN commits/s) | $VERIFY_RATE accepted/s | $(ratio "$VERIFY_RATE" "$SQL_BEST") % | ≥ 50 % | $(verdict "$(ratio "$VERIFY_RATE" "$SQL_BEST")" ">=" 50) |"
if [[ "$STORE" == postgres ]]; then
    echo "| Code check's statement alone (pgbench, prepared, $CONNS clients): the ceiling | $STATEMENT_N commits/s | $(ratio "$STATEMENT_N" "$SQL_BEST") % | — | — |"
fi
echo "| Password sign-in vs Argon2id alone ($ARGON2_RATE/s on $(nproc) threads) | $S req/s | $(ratio "$S" "$ARGON2_RATE") % | ≥ 90 % | $(verdict "$(ratio "$S" "$ARGON2_RATE")" ">=" 90) |"
echo "| Forward auth p99 during sign-in storm | $SP99 ms | ${STORM_X} × | ≤ 3 × | $(verdict "$STORM_X" "<=" 3) |"
echo "| Idle RSS (after start / after the run) | $IDLE_START_MB / $IDLE_END_MB MB | — | ≤ 40 MB | $(verdict "$MAX_IDLE" "<=" 40) |"
echo "| Peak RSS per scenario | healthz $PEAK_healthz, authz $PEAK_authz, login $PEAK_login, sign-in $PEAK_signin, storm $PEAK_storm, verify $PEAK_verify MB | — | recorded | — |"
echo "| Start-up to first 200 (fresh / existing data) | $STARTUP_FRESH / $STARTUP_EXISTING ms | — | ≤ 500 ms | $(verdict "$STARTUP_MAX" "<=" 500) |"
echo
echo "run.sh took $(( $(date +%s) - RUN_STARTED )) s"
