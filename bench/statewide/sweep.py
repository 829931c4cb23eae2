"""Child process of run.py, inside Django on one size's database: the hourly deadline sweep with `today` fixed.

A first sweep settles what the SQL load left for it; then `make_due` gives it its fixed work and the sweep is timed
several times, each in a transaction rolled back, so that each run has the same work. The SQL of one run is captured
(connection.execute_wrapper) and its slowest statements are EXPLAIN ANALYZEd in the same kind of transaction.
Prints one JSON line for run.py."""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date

import django


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, required=True)
    parser.add_argument("--districts", type=int, default=0)
    parser.add_argument("--vendors", type=int, default=0)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")
    django.setup()

    from django.db import connection, transaction

    from agreements.deadlines.sweep import sweep_run

    from .generate import Sizes, make_due

    sizes = Sizes(args.agreements, args.districts, args.vendors)
    started = time.perf_counter()
    settle = sweep_run(today=args.today)
    settle_seconds = time.perf_counter() - started
    print(f"  first sweep after the load: {settle_seconds:.2f} s {summary(settle)}", file=sys.stderr, flush=True)
    make_due(connection, sizes, args.today)
    with connection.cursor() as c:
        c.execute("ANALYZE agreements_agreement")
        c.execute("ANALYZE agreements_obligation")

    # The sweep's own plans of the queries it reads its rows with, if it offers them (agreements.deadlines.sweep).
    from agreements.deadlines import sweep as sweep_module

    own_plans = []
    if hasattr(sweep_module, "sweep_plans"):
        own_plans = [{"step": name, "plan": plan} for name, plan in sweep_module.sweep_plans(args.today)]

    times, results, statements = [], [], []

    def capture(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - t, sql, params))

    for run in range(args.runs):
        try:
            with transaction.atomic():
                if run == 0:
                    with connection.execute_wrapper(capture):
                        t = time.perf_counter()
                        result = sweep_run(today=args.today)
                        times.append(time.perf_counter() - t)
                else:
                    t = time.perf_counter()
                    result = sweep_run(today=args.today)
                    times.append(time.perf_counter() - t)
                results.append(summary(result))
                raise Rollback
        except Rollback:
            pass
    plans = []
    for seconds, sql, params in sorted(statements, key=lambda s: -s[0])[: args.explain]:
        try:
            with transaction.atomic():
                with connection.cursor() as c:
                    c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = "\n".join(row[0] for row in c.fetchall())
                raise Rollback
        except Rollback:
            pass
        except Exception as error:  # a statement that cannot be explained alone (it needs an earlier one's rows)
            plan = f"(not explained: {error})"
        plans.append({"seconds": seconds, "sql": sql, "plan": plan})
    print(
        json.dumps(
            {
                "settle_seconds": settle_seconds,
                "settle": summary(settle),
                "times": times,
                "median": statistics.median(times),
                "results": results,
                "queries": len(statements),
                "query_seconds": sum(s[0] for s in statements),
                "plans": plans,
                "own_plans": own_plans,
            }
        )
    )


def summary(result) -> dict:
    data = result.as_dict()
    return {k: (len(v) if isinstance(v, list) else v) for k, v in data.items()}


if __name__ == "__main__":
    main()
