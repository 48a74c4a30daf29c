-- The code check's single statement on PostgreSQL, for `pg_update_bench.sh … code-check`: what
-- SQLStore.spendCode sends through GuardedChange.asOneStatement for a right code (the lockout's gate,
-- the replay guard, the half-way session replaced by a signed-in one, the last sign-in and the audit
-- event), copied from PostgreSQL's statement log with pgbench variables for its parameters. The guard
-- always holds (as in the plain UPDATE), the old session's hash matches nothing, every new session is
-- new. Keep it in step with the server's statement when that changes.
\set uid random(:low, :high)
\set r random(1, 1000000000000)
\set now 1800000000
WITH gate0 AS (SELECT CASE WHEN (attempt.locked_until IS NOT NULL AND attempt.locked_until > :now AND attempt.window_start > :now - 900) THEN 1 ELSE 0 END AS waiting
    FROM attempt WHERE scope = 'account' AND key = 'bench' || :uid FOR UPDATE),
gate1 AS (SELECT CASE WHEN (attempt.locked_until IS NOT NULL AND attempt.locked_until > :now AND attempt.window_start > :now - 900) THEN 1 ELSE 0 END AS waiting
    FROM attempt WHERE scope = 'address' AND key = '127.0.0.1' FOR SHARE),
guarded AS (UPDATE totp_binding SET last_step = last_step + 1 WHERE user_id = :uid AND last_step < 9000000000000000000 AND (NOT EXISTS (SELECT 1 FROM gate0 WHERE waiting = 1) AND NOT EXISTS (SELECT 1 FROM gate1 WHERE waiting = 1)) RETURNING 1 AS changed),
follower0 AS (DELETE FROM attempt WHERE scope = 'account' AND key = 'bench' || :uid AND EXISTS (SELECT 1 FROM guarded)),
follower1 AS (DELETE FROM session WHERE id_hash = 'old' || :r AND EXISTS (SELECT 1 FROM guarded)),
follower2 AS (DELETE FROM totp_enrollment WHERE session_id_hash = 'old' || :r AND EXISTS (SELECT 1 FROM guarded)),
follower3 AS (INSERT INTO session (id_hash, user_id, state, created_at, last_seen_at, expires_at, authenticated_at, client_address)
    SELECT 'pgbench' || :client_id || '-' || :r, :uid, 'signed_in', :now, :now, :now + 43200, CAST(:now AS DOUBLE PRECISION), '127.0.0.1'
    WHERE EXISTS (SELECT 1 FROM guarded)),
follower4 AS (UPDATE "user" SET last_sign_in_at = :now WHERE id = :uid AND EXISTS (SELECT 1 FROM guarded)),
follower5 AS (INSERT INTO audit_event (at, kind, actor_user_id, subject_user_id, username, client_address, detail)
    SELECT :now, 'sign_in', CAST(NULL AS BIGINT), CAST(:uid AS BIGINT), 'bench' || :uid, '127.0.0.1', 'totp'
    WHERE EXISTS (SELECT 1 FROM guarded))
SELECT (NOT EXISTS (SELECT 1 FROM gate0 WHERE waiting = 1) AND NOT EXISTS (SELECT 1 FROM gate1 WHERE waiting = 1)) AS open, (SELECT COUNT(*) FROM guarded) AS changed;
