#!/usr/bin/env bash
# Micro-benchmark: the replay guard's conditional UPDATE, straight on PostgreSQL with pgbench.
#
#   pg_update_bench.sh PGBIN WORK_DIR PORT CLIENTS SECONDS [code-check]
#
# The PostgreSQL counterpart of sqlite_update_bench.py, on the benchmark's own server (socket in
# WORK_DIR/pg, database sekisho, user sekisho), with the server's durability settings. Each
# transaction is one prepared
#
#     UPDATE totp_binding SET last_step = last_step + 1 WHERE user_id = $1 AND last_step < $2
#
# for a random user with a bound authenticator and a bound that always holds, so every
# UPDATE changes one row and commits (the same work as an accepted code: an index look-up, a row
# version, a WAL flush at commit). Prints commits_per_s like the SQLite script.
#
# With `code-check`: instead, the server's own statement for an accepted code
# (pg_code_check.sql: gate, guard, session rotation, last sign-in and audit event, as PostgreSQL
# logs it from `GuardedChange`; the guard's bound always holds, as above), prepared, one per
# transaction: the most accepted codes per second this database could commit, with no HTTP,
# no Swift and no reads around it.
set -euo pipefail
PGBIN=$1 WORK=$2 PORT=$3 CLIENTS=$4 SECONDS_FOR=$5
psql() { "$PGBIN/psql" -X -A -t -h "$WORK/pg" -p "$PORT" -U sekisho -d sekisho "$@"; }
read -r LOW HIGH < <(psql -F ' ' -c "SELECT MIN(user_id), MAX(user_id) FROM totp_binding")
[[ -n "$LOW" ]] || { echo "no totp_binding rows" >&2; exit 1; }
SCRIPT="$WORK/pg_update_bench.sql"
LABEL="conditional UPDATE"
# Users without a binding (the admin) simply match no row; they are few, and counted apart.
cat >"$SCRIPT" <<SQL
\set uid random($LOW, $HIGH)
UPDATE totp_binding SET last_step = last_step + 1 WHERE user_id = :uid AND last_step < 9000000000000000000;
SQL
if [[ "${6:-}" == code-check ]]; then
    SCRIPT="$(dirname "${BASH_SOURCE[0]}")/pg_code_check.sql"
    LABEL="code check's statement"
fi
THREADS=$(( CLIENTS < 2 ? 1 : 2 ))
OUT=$("$PGBIN/pgbench" -n -h "$WORK/pg" -p "$PORT" -U sekisho -M prepared -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_FOR" \
    -D low="$LOW" -D high="$HIGH" -f "$SCRIPT" sekisho 2>&1)
TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$OUT" | head -1)
[[ -n "$TPS" ]] || { echo "pgbench gave no tps:" >&2; echo "$OUT" >&2; exit 1; }
echo "pgbench $LABEL: clients=$CLIENTS commits_per_s=$TPS"
