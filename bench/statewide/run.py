"""The statewide scale benchmark (issue 13): for each size, a database generated with SQL, the portal served by
gunicorn, each page measured cold and warm against the bare page of the same size in the same run, throughput under
concurrent clients, and the deadline sweep with the same due items. Prints a table and writes it to --out.

Run through bench/statewide.sh, which starts a throwaway PostgreSQL and Redis (scripts/services.sh) and sets
DATABASE_URL and REDIS_URL; each size gets its own database, made from one migrated template.

    bench/statewide.sh [--agreements 10000,1000000] [--workers 2] [--runs 5] [--out bench/results/statewide.md]
"""

import argparse
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# New queries for the statewide search: each cold run asks one never asked before (words of generate.py's names).
QUERIES = [
    "spark reader", "nimbus", "cobalt labs", "amazon web services", "harbor math", "prism", "juniper tutor",
    "falcon science", "quill writer", "aurora", "twilio", "meadow classroom", "granite", "lumen library",
    "sierra coding", "echo music", "beacon", "ridge assess", "zendesk", "orbit",
]  # fmt: skip


def log(line=""):
    print(line, file=sys.stderr, flush=True)


# --- databases and processes ---------------------------------------------------------------------------------------


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + name))


def psql(sql: str):
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def django_env(db: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="statewide-benchmark-only",  # noqa: S106 (a throwaway server)
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        # The search's rate limit is per address; the benchmark asks from one.
        DPA_RATE_LIMIT_SEARCH="1000000/m",
        DJANGO_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def child(module: str, db: str, *args) -> dict:
    """Run bench.statewide.<module> in a Django process on database `db`; its last stdout line is JSON."""
    done = subprocess.run(  # noqa: S603 (our own modules, our arguments)
        [PYTHON, "-m", f"bench.statewide.{module}", *args],
        cwd=ROOT,
        env=django_env(db),
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """The portal under gunicorn with the project's gunicorn.conf.py and the benchmark's URLconf."""

    def __init__(self, db: str, workers: int, static_root: str):
        self.port = free_port()
        env = django_env(
            db,
            DJANGO_SETTINGS_MODULE="bench.statewide.settings",
            DJANGO_STATIC_ROOT=static_root,
            WEB_CONCURRENCY=str(workers),
            GUNICORN_ACCESS_LOG="",
            # Steady state: no worker restarts in the middle of a figure (production keeps gunicorn.conf.py's).
            GUNICORN_MAX_REQUESTS="0",
        )
        self.process = subprocess.Popen(  # noqa: S603 (our own server, our arguments)
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
             "dpa_portal.wsgi:application"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def memory(self, key: str) -> int:
        """The largest `key` (VmRSS, VmHWM) of the workers, in bytes."""
        largest = 0
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(key + ":"):
                        largest = max(largest, int(line.split()[1]) * 1024)
            except OSError:
                continue
        return largest

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- HTTP ------------------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    ttfb: float
    total: float
    size: int


def get(port: int, path: str, cookie: str = "", connection=None) -> Response:
    """GET `path`: the time to the response's headers (first byte) and to its last byte. A request that gunicorn
    ends (its timeout kills the worker) is status 0, at the time it ended."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Host": "127.0.0.1", "Accept-Encoding": "identity"}
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        ttfb = time.perf_counter() - started
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
    except (OSError, http.client.HTTPException):
        if connection is not None:
            raise
        failed = time.perf_counter() - started
        return Response(0, failed, failed, 0)
    finally:
        if connection is None:
            conn.close()
    return Response(response.status, ttfb, time.perf_counter() - started, size)


def flush_cache():
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@dataclass
class Page:
    name: str
    path: str | list[str]  # a list: one new path per cold run (the search)
    rows: int  # the rows (agreements, districts, entries) the page lists
    cookie: str = ""
    streamed: bool = False
    cold: list[Response] = field(default_factory=list)
    warm: list[Response] = field(default_factory=list)
    bare: int = 0  # the rows of the bare page of the page's own size in bytes, the last measured
    bare_times: list[float] = field(default_factory=list)  # the bare page of each response's size, beside it
    row_times: list[float] = field(default_factory=list)  # the bare page of as many rows as the page lists
    # A signed-in page: the bare page of its size requested with the same session too (Django reads the session and
    # the user, and the portal's MFA middleware asks its one question, for any signed-in request).
    signed_bare_times: list[float] = field(default_factory=list)
    memory: dict = field(default_factory=dict)

    def path_for(self, run: int) -> str:
        return self.path[run % len(self.path)] if isinstance(self.path, list) else self.path


def bare_rows(fetch):
    """A function of a page's size in bytes to the rows of a bare page of that size (two bare pages measure a row
    and the frame)."""
    one, hundred_one = fetch("/bench/bare/?size=1", "").size, fetch("/bench/bare/?size=101", "").size
    per_row = (hundred_one - one) / 100
    return lambda size: max(1, min(round((size - one) / per_row) + 1, 20_000))


def measure(fetch, clear, page: Page, runs: int):
    """Cold: the cache emptied (`clear`), then one request, `runs` times. Warm: the same request again, `runs` times.
    After each, the bare page of that response's size in bytes (the goal's yardstick; a search's new query each time
    has its own size) and the bare page of as many rows as the page lists, so that all see the same machine at the
    same moment. `fetch(path, cookie)` returns a Response: gunicorn's over HTTP (`get`), or Django's test client in
    the suite."""
    rows_of = bare_rows(fetch)
    same_rows = f"/bench/bare/?size={page.rows}"

    def beside(response: Response):
        page.bare = rows_of(response.size)
        page.bare_times.append(fetch(f"/bench/bare/?size={page.bare}", "").total)
        page.row_times.append(fetch(same_rows, "").total)
        if page.cookie:
            page.signed_bare_times.append(fetch(f"/bench/bare/?size={page.bare}", page.cookie).total)

    # The worker's first request of each is not counted.
    fetch(f"/bench/bare/?size={rows_of(fetch(page.path_for(0), page.cookie).size)}", "")
    fetch(same_rows, "")
    for run in range(runs):
        clear()
        page.cold.append(fetch(page.path_for(run), page.cookie))
        beside(page.cold[-1])
    for _ in range(runs):
        page.warm.append(fetch(page.path_for(runs - 1), page.cookie))
        beside(page.warm[-1])


def throughput(port: int, path: str, cookie: str = "", clients: int = 20, seconds: float = 10) -> float:
    """Requests per second answered 200 under `clients` concurrent keep-alive clients for `seconds`."""
    done = [0] * clients
    failed = [0] * clients
    stop = time.monotonic() + seconds

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop:
            try:
                ok = get(port, path, cookie, connection=conn).status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                ok = False
            if ok:
                done[i] += 1
            else:
                failed[i] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


# --- one size ------------------------------------------------------------------------------------------------------


def pages_for(facts: dict) -> list[Page]:
    slug, posted = facts["district"], facts["district_posted"]
    cookie = f"sessionid={facts['session']}"
    deep = max(1, (posted + 49) // 50 - 1)
    return [
        Page("/public/ index", "/public/", rows=min(facts["districts"], 2_000)),
        Page("district posted list, page 1", f"/public/{slug}/", rows=50),
        Page(f"district posted list, page {deep}", f"/public/{slug}/?page={deep}", rows=50),
        Page("public agreement page", f"/public/{slug}/agreements/{facts['agreement']}/", rows=1),
        Page("statewide search, new query", [f"/public/search/?q={q.replace(' ', '+')}" for q in QUERIES], rows=50),
        Page("statewide Atom feed", "/public/feed.atom", rows=50),
        Page("district JSON", f"/public/{slug}/agreements.json", rows=min(posted, 2_000), streamed=True),
        Page("district CSV", f"/public/{slug}/agreements.csv", rows=min(posted, 2_000), streamed=True),
        Page("district dashboard, signed in", f"/district/{slug}/", rows=50, cookie=cookie),
    ]


def run_size(args, agreements: int, static_root: str, today: date) -> dict:
    db = f"dpa_statewide_{agreements}"
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db} TEMPLATE dpa_statewide_template")
    log(f"== {agreements:,} agreements (database {db})")
    started = time.perf_counter()
    facts = child("prepare", db, "--agreements", str(agreements), "--today", today.isoformat())
    facts["generation_seconds"] = time.perf_counter() - started
    log(f"  generated and prepared in {facts['generation_seconds']:.0f} s")
    result = {"facts": facts, "pages": [], "throughput": {}}
    server = Gunicorn(db, args.workers, static_root)
    try:
        pages = pages_for(facts)
        for page in pages:
            before = server.memory("VmRSS")
            measure(lambda path, cookie: get(server.port, path, cookie), flush_cache, page, args.runs)
            if page.streamed:
                page.memory = {"rss_before": before, "peak": server.memory("VmHWM")}
            log(f"  {page.name}: cold {median(page.cold):.3f} s, warm {median(page.warm):.3f} s, "
                f"bare {statistics.median(page.bare_times):.3f} s")  # fmt: skip
        result["pages"] = pages
        if args.throughput:
            slug = facts["district"]
            for name, path, cookie in (
                ("bare page, 1 row", "/bench/bare/?size=1", ""),
                ("bare page, 50 rows", "/bench/bare/?size=50", ""),
                ("public agreement page (warm)", f"/public/{slug}/agreements/{facts['agreement']}/", ""),
                ("district posted list, page 1 (warm)", f"/public/{slug}/", ""),
                ("district dashboard, signed in", f"/district/{slug}/", f"sessionid={facts['session']}"),
            ):
                rate = throughput(server.port, path, cookie, clients=args.clients, seconds=args.throughput)
                result["throughput"][name] = rate
                log(f"  throughput, {name}: {rate:.1f} requests/s")
    finally:
        server.stop()
    result["search_sql"] = child("search_sql", db)
    log(
        f"  statewide search's query: slowest {max(first for first, _ in result['search_sql']['times'].values()):.3f} s"
    )
    if args.sweep:
        result["sweep"] = child("sweep", db, "--agreements", str(agreements), "--today", today.isoformat())
        log(f"  sweep: {result['sweep']['median']:.3f} s")
    if not args.keep:
        psql(f"DROP DATABASE IF EXISTS {db}")
    return result


def median(responses: list[Response], attr="total") -> float:
    return statistics.median(getattr(r, attr) for r in responses)


def ratio(responses: list[Response], bare_times: list[float]) -> float:
    """The median of each response's time over the time of the bare page of its size measured just after it."""
    return statistics.median(r.total / bare for r, bare in zip(responses, bare_times, strict=False))


# --- the report ----------------------------------------------------------------------------------------------------


def commit() -> str:
    """The commit measured: a snapshot of one (git archive, so that others' work in the checkout does not change the
    pages in the middle of a long run) says it in its COMMIT file."""
    if (ROOT / "COMMIT").exists():
        return (ROOT / "COMMIT").read_text().strip()
    git = ["git", "-C", str(ROOT)]
    done = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True)  # noqa: S603
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)  # noqa: S603
    return done.stdout.strip()[:100] + (" (with uncommitted changes in the checkout)" if dirty.stdout.strip() else "")


def search_sql_summary(times: dict[int, dict[str, list[float]]]) -> str:
    """The statewide search's query at each size (search_sql.py): the median and the slowest, asked first and again."""
    parts = []
    for n, by_query in times.items():
        first = {q: t[0] for q, t in by_query.items()}
        again = [t[1] for t in by_query.values()]
        slowest = max(first, key=first.get)
        parts.append(
            f"at {n:,}: asked first, median {statistics.median(first.values()) * 1000:.1f} ms, slowest "
            f"{first[slowest] * 1000:.1f} ms ({slowest!r}); asked again, median {statistics.median(again) * 1000:.1f} "
            f"ms, slowest {max(again) * 1000:.1f} ms"
        )
    queries = len(next(iter(times.values())))
    return (
        f"The statewide search's query (`statewide_search`, one query: the ranking and its hits), {queries} queries "
        f"(bench/statewide/search_sql.py; goal: under 100 ms for any query): " + "; ".join(parts) + "."
    )


def report(args, results: dict[int, dict], started: datetime) -> str:
    sizes = sorted(results)
    lines = [
        f"# Statewide scale ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Commit {commit()}; {os.cpu_count()} CPUs, Python {platform.python_version()}, gunicorn "
        f"{args.workers} workers (gunicorn.conf.py), PostgreSQL and Redis on the same machine; {args.runs} runs each, "
        "median. Cold: the cache emptied before the request (the search: a query never asked before). Ratio: the "
        "page's time over the bare page's of the same size in bytes (a bare Django page of N rows from one simple "
        "query, same run, same moment); 'rows': over the bare page of as many rows as the page lists. Goal (issue "
        "13.2): every public page cold and the dashboard within 2x of the bare page at the largest size, and within "
        "2x of its own time at the smallest.",
        "",
    ]
    for n in sizes:
        f = results[n]["facts"]
        s = f["sizes"]
        generation = sum(f["seconds"].values()) + sum(f.get("derived_seconds", {}).values())
        lines.append(
            f"- {n:,} agreements, {s['districts']:,} districts, {s['vendors']:,} vendors; the big district has "
            f"{f['district_posted']:,} posted. Generated in {generation:.0f} s of SQL ({f['generation_seconds']:.0f} s "
            f"with the process); database {f.get('database_bytes', 0) / 2**30:.1f} GB; rows: "
            f"{', '.join(f'{k} {v:,}' for k, v in f['rows'].items() if v)}."
        )
    lines += ["", header(sizes), "|" + "---|" * (1 + 3 * len(sizes) + (1 if len(sizes) > 1 else 0))]
    names = [p.name for p in results[sizes[0]]["pages"]]
    for i, name in enumerate(names):
        cells = [name.replace("|", "/")]
        for n in sizes:
            page = results[n]["pages"][i]
            bare = statistics.median(page.bare_times)
            cold, warm = median(page.cold), median(page.warm)
            extra = ""
            if page.streamed:
                extra = f"; first byte {median(page.cold, 'ttfb') * 1000:.0f} ms"
            if page.memory:
                rss, peak = page.memory["rss_before"] / 2**20, page.memory["peak"] / 2**20
                extra += f"; worker {rss:.0f} -> {peak:.0f} MB peak"
            failed = [r.status for r in page.cold + page.warm if r.status != 200]
            if failed:
                extra += f"; {len(failed)} of {len(page.cold) + len(page.warm)} failed ({', '.join(map(str, failed))})"
            rows = statistics.median(page.row_times)
            if page.signed_bare_times:
                extra += f"; {ratio(page.cold, page.signed_bare_times):.1f}x the bare page signed in"
            cells += [
                f"{cold * 1000:.0f} ms ({ratio(page.cold, page.bare_times):.1f}x; {cold / rows:.1f}x rows){extra}",
                f"{warm * 1000:.0f} ms ({ratio(page.warm, page.bare_times[len(page.cold) :]):.1f}x)",
                f"page {page.cold[-1].size / 1024:.0f} KB: bare {bare * 1000:.0f} ms for {page.bare:,} rows; "
                f"{rows * 1000:.0f} ms for {page.rows:,} row{'s' if page.rows != 1 else ''}",
            ]
        if len(sizes) > 1:
            first, last = results[sizes[0]]["pages"][i], results[sizes[-1]]["pages"][i]
            growth = f"{median(last.cold) / median(first.cold):.1f}x"
            if first.rows == last.rows:
                # The same growth counted in bare pages of the moment: a machine busier in one half does not count.
                in_rows = lambda p: median(p.cold) / statistics.median(p.row_times)  # noqa: E731
                growth += f" ({in_rows(last) / in_rows(first):.1f}x in bare pages)"
            else:
                # A page that lists more at the larger size (the index's districts, a search's hits, a district's
                # open data): its growth at the same size in bytes, the "same page size", is the growth of its
                # ratio to the bare page of its own size.
                at_size = lambda p: ratio(p.cold, p.bare_times)  # noqa: E731
                growth += f" ({at_size(last) / at_size(first):.1f}x at the same size)"
            cells.append(growth)
        lines.append("| " + " | ".join(cells) + " |")
    if any(results[n].get("sweep") for n in sizes):
        cells = ["deadline sweep, 100 items due (today fixed)"]
        for n in sizes:
            sw = results[n]["sweep"]
            cells += [f"{sw['median'] * 1000:.0f} ms, {sw['queries']} queries", "-",
                      f"first sweep after the load {sw['settle_seconds']:.1f} s"]  # fmt: skip
        if len(sizes) > 1:
            cells.append(f"{results[sizes[-1]]['sweep']['median'] / results[sizes[0]]['sweep']['median']:.1f}x")
        lines.append("| " + " | ".join(cells) + " |")
    if any(results[n].get("search_sql") for n in sizes):
        lines += [
            "",
            search_sql_summary({n: results[n]["search_sql"]["times"] for n in sizes if results[n].get("search_sql")}),
        ]
    if any(results[n]["throughput"] for n in sizes):
        lines += ["", f"Throughput, {args.clients} concurrent clients for {args.throughput:.0f} s (requests/s):", ""]
        lines += ["| page | " + " | ".join(f"{n:,}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
        for name in results[sizes[0]]["throughput"]:
            lines.append(f"| {name} | " + " | ".join(f"{results[n]['throughput'][name]:.1f}" for n in sizes) + " |")
    for n in sizes:
        sw = results[n].get("sweep")
        if not sw:
            continue
        runs = [round(t, 3) for t in sw["times"]]
        lines += [
            "",
            f"Sweep at {n:,}: runs {runs} s; what each did: {sw['results'][0]}; the first sweep after the load did "
            f"{sw['settle']}. Slowest statements of one run, EXPLAIN ANALYZE:",
            "",
        ]
        for plan in sw["plans"]:
            lines += ["```", f"-- {plan['seconds'] * 1000:.1f} ms: {plan['sql'][:600]}", plan["plan"], "```"]
        if sw.get("own_plans"):
            lines += ["", f"The sweep's own plans at {n:,} (`sweep_plans(today)`, with the due items in place):", ""]
            for plan in sw["own_plans"]:
                lines += ["```", f"-- {plan['step']}", plan["plan"], "```"]
    return "\n".join(lines) + "\n"


def header(sizes) -> str:
    cells = ["page"]
    for n in sizes:
        cells += [f"{n:,}: cold (x bare)", f"{n:,}: warm (x bare)", f"{n:,}: the page's size; bare pages"]
    if len(sizes) > 1:
        cells.append(f"cold growth {sizes[0]:,} -> {sizes[-1]:,}")
    return "| " + " | ".join(cells) + " |"


# --- main ----------------------------------------------------------------------------------------------------------


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", default="10000", help="sizes, comma-separated (e.g. 10000,1000000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--runs", type=int, default=5, help="cold and warm requests per page (median)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients for the throughput")
    parser.add_argument("--throughput", type=float, default=10, help="seconds per throughput figure (0: none)")
    parser.add_argument("--no-sweep", dest="sweep", action="store_false", help="skip the deadline sweep")
    parser.add_argument("--keep", action="store_true", help="keep the databases (while the services run)")
    parser.add_argument("--out", default="bench/results/statewide.md")
    args = parser.parse_args(argv)
    args.sizes = sorted(int(n.replace("_", "")) for n in args.agreements.split(","))
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    started = datetime.now(UTC)
    today = date.today()
    static_root = str(Path(os.environ.get("DJANGO_MEDIA_ROOT", "/tmp")).parent / "static")  # noqa: S108
    log("Migrating the template database and collecting static files")
    psql("DROP DATABASE IF EXISTS dpa_statewide_template")
    psql("CREATE DATABASE dpa_statewide_template")
    env = django_env("dpa_statewide_template", DJANGO_STATIC_ROOT=static_root)
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603
    results = {n: run_size(args, n, static_root, today) for n in args.sizes}
    text = report(args, results, started)
    print(text)
    if args.out:
        Path(ROOT / args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(ROOT / args.out).write_text(text)
    return {"args": args, "results": results, "text": text}


if __name__ == "__main__":
    main()
