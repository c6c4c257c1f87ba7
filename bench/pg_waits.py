"""What PostgreSQL sessions wait on during a load: sampled from `pg_stat_activity`.

Run it beside a load on PostgreSQL (for example `bench/mixed_load.py --db postgres`):

    .venv/bin/python bench/pg_waits.py --seconds 15

Every 50 ms it reads the state and wait event of each client session of the databases
whose names start with `--database` (the benchmarks' `fs_bench_` by default). It prints
how many sessions were, on average, in each (state, wait event), and which statements
the sessions waiting on a lock were running: a row lock that every transaction needs
shows as many sessions waiting on one statement, and the lock holder as a session
`idle in transaction` (waiting for its client to send the next statement).
PostgreSQL is reached at FIELDSALES_BENCH_PG (default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import time

import asyncpg

_SESSIONS = """
SELECT state, wait_event_type, wait_event, left(query, 70) AS query
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname LIKE $1
"""


async def sample(dsn: str, database_prefix: str, seconds: float) -> None:
    connection = await asyncpg.connect(dsn)
    states: collections.Counter[tuple[str, str, str]] = collections.Counter()
    lock_waits: collections.Counter[str] = collections.Counter()
    samples = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            for row in await connection.fetch(_SESSIONS, database_prefix + "%"):
                states[
                    (row["state"] or "", row["wait_event_type"] or "", row["wait_event"] or "")
                ] += 1
                if row["wait_event_type"] == "Lock":
                    lock_waits[" ".join(row["query"].split())] += 1
            samples += 1
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    print(f"{samples} samples; sessions on average:")
    for (state, kind, event), count in states.most_common(10):
        print(f"{count / samples:6.1f}  {state} {kind} {event}".rstrip())
    print("waiting on a lock, by statement:")
    for query, count in lock_waits.most_common(10):
        print(f"{count / samples:6.1f}  {query}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--database", default="fs_bench_", help="database name prefix")
    args = parser.parse_args()
    base = os.environ.get("FIELDSALES_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    asyncio.run(sample(f"{base}/postgres", args.database, args.seconds))


if __name__ == "__main__":
    main()
