#!/usr/bin/python3
"""Micro-benchmark: the replay guard's conditional UPDATE, straight on SQLite.

Copies the server's database (SQLite backup API, so the WAL is included), opens one
connection per worker thread with the server's durability settings (WAL, synchronous=FULL,
busy timeout) and has each worker commit, one transaction per UPDATE,

    UPDATE totp_binding SET last_step = ? WHERE user_id = ? AND last_step < ?

for its own share of the users, with a step that always grows, so every UPDATE changes one
row (the same work as an accepted code). Prints the commits per second.

Usage: sqlite_update_bench.py SOURCE_DB WORK_DIR [--threads N] [--seconds S]
"""

import argparse
import os
import sqlite3
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("workdir")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    copy_path = os.path.join(args.workdir, "sqlite-bench-copy.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(copy_path + suffix):
            os.remove(copy_path + suffix)
    source = sqlite3.connect(f"file:{args.source}?mode=ro", uri=True)
    target = sqlite3.connect(copy_path)
    source.backup(target)
    source.close()
    target.execute("PRAGMA journal_mode=WAL")
    users = [row[0] for row in target.execute("SELECT user_id FROM totp_binding ORDER BY user_id")]
    base = (target.execute("SELECT MAX(last_step) FROM totp_binding").fetchone()[0] or 0) + 1
    target.close()
    if not users:
        raise SystemExit("no totp_binding rows in the copy")

    stop = threading.Event()
    start_barrier = threading.Barrier(args.threads + 1)
    counts = [0] * args.threads
    missed = [0] * args.threads
    busy = [0] * args.threads

    def worker(index):
        conn = sqlite3.connect(copy_path, isolation_level=None, timeout=5.0, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        mine = users[index :: args.threads] or [users[index % len(users)]]
        step = base
        start_barrier.wait()
        n = 0
        while not stop.is_set():
            user = mine[n % len(mine)]
            if n % len(mine) == 0:
                step += 1
            # GRDB's pool.write opens a deferred transaction; IMMEDIATE here only avoids the
            # upgrade deadlock retry between Python connections and costs the same fsync.
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                # The busy timeout ran out while other writers queued for the lock: try again.
                busy[index] += 1
                continue
            cur = conn.execute(
                "UPDATE totp_binding SET last_step = ? WHERE user_id = ? AND last_step < ?",
                (step, user, step),
            )
            conn.execute("COMMIT")
            if cur.rowcount == 1:
                counts[index] += 1
            else:
                missed[index] += 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    start_barrier.wait()
    began = time.monotonic()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    total = sum(counts)
    mode = sqlite3.connect(copy_path).execute("PRAGMA journal_mode").fetchone()[0]
    print(f"sqlite_update: threads={args.threads} users={len(users)} journal={mode} synchronous=FULL "
          f"commits={total} unchanged={sum(missed)} busy_retries={sum(busy)} seconds={elapsed:.2f} commits_per_s={total / elapsed:.1f}")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(copy_path + suffix):
            os.remove(copy_path + suffix)


if __name__ == "__main__":
    main()
