"""`make bench`: the reproducible benchmark of the catalog and the reserve/return path.

Creates its own PostgreSQL database (`lib_bench`, or `BENCH_DATABASE_URL`), migrates it, fills it
with bulk SQL, serves the project with gunicorn (production settings, DEBUG off) on a loopback
port, drives it with wrk, measures the references R1 (a trivial Django view) and R2 (pgbench) in
the same run, and writes `bench/results.json` plus a Markdown table.

    .venv/bin/python bench/run.py                 # 100,000 books, under 15 minutes
    .venv/bin/python bench/run.py --books 1000000 # the big run
    .venv/bin/python bench/run.py --scale         # figures 1-3 at 10k, 100k and 1M books too
    .venv/bin/python bench/run.py --import        # only the catalog import: 10k and 100k records
"""

import argparse
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import datagen, importing, load  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lib_bench"
PGBENCH_DATABASE = "lib_bench_pgbench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
HOST = "127.0.0.1"
SCALE_SIZES = (10_000, 100_000, 1_000_000)
SEARCH_TERMS = ["river", "golden+tower", "Karimi", "9780000001", "lantern", "secret+garden"]
CYCLE_MEMBERS = 2_000
RACERS = 50
RACE_ROUNDS = 5
REVIEW_PAGES = 50  # figure 8 reads a random one of the first 50 pages of the reviews
QUEUE_DROPS = 1_000
QUEUE_LENGTH = 10_000
LOGIN_FLOODERS = 8


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--books", type=int, default=100_000, help="catalog size (default 100,000)")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--scale", action="store_true", help="figures 1-3 at 10k, 100k and 1M too")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of every figure")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each")
    parser.add_argument("--port", type=int, default=8765)
    # Six processes of two threads: wrk's keep-alive connections stay with the process that
    # accepted them, and with three processes one of them often got most of the 16 (one core's
    # worth of throughput for the whole figure: a figure halved at random between runs).
    parser.add_argument("--workers", type=int, default=6, help="gunicorn gthread workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--release-only",
        action="store_true",
        help="only the 10,000-waiter release and the query counts (no server, no results.json);\n"
        "quick before/after checks, e.g. with --books 1000",
    )
    parser.add_argument(
        "--import",
        dest="import_only",
        action="store_true",
        help="only the catalog import: time and peak memory of MARC files into an empty\n"
        "catalog and again (no server); writes --import-output",
    )
    parser.add_argument(
        "--import-sizes",
        default=",".join(map(str, importing.SIZES)),
        help="records per imported file (default 10000,100000)",
    )
    parser.add_argument(
        "--import-output", type=Path, default=ROOT / "bench" / "import_results.json"
    )
    return parser.parse_args()


# --- environment, database, server -----------------------------------------------------------


def bench_environment(database_url: str) -> dict:
    """Production settings (DEBUG off) for both this process and the gunicorn it starts."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PAYMENT_GATEWAY": "purchasing.gateways.WebhookGateway",
        "PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": HOST,
        "JWT_ACCESS_MINUTES": "120",
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        # One trusted proxy: the login flood of figure 7 names its made-up clients in
        # X-Forwarded-For; wrk's other requests carry no such header and count as 127.0.0.1.
        "NUM_PROXIES": "1",
    }


def psql_args(database_url: str) -> tuple[list[str], str]:
    parts = urlsplit(database_url)
    args = ["-h", parts.hostname or HOST, "-p", str(parts.port or 5432)]
    args += ["-U", parts.username or "postgres"]
    return args, parts.path.lstrip("/")


def _on_server(database_url: str, *statements: str) -> None:
    """Run statements on the server's `postgres` database (creating and dropping databases)."""
    import psycopg2

    parts = urlsplit(database_url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    admin.close()


def recreate_database(database_url: str, name: str) -> None:
    _on_server(
        database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )


def drop_database(database_url: str, name: str) -> None:
    _on_server(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


class Server:
    """gunicorn with gthread workers: each worker a process (the 2 cores run Python in parallel),
    each with a few threads that overlap database waits and keep wrk's connections alive."""

    def __init__(self, *, port: int, workers: int, threads: int, log_path: Path):
        self.port, self.workers, self.threads = port, workers, threads
        self.log_path = log_path
        self.process = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def describe(self) -> dict:
        return {
            "server": "gunicorn",
            "worker_class": "gthread",
            "workers": self.workers,
            "threads": self.threads,
            "bind": f"{HOST}:{self.port}",
        }

    def start(self) -> None:
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "library_project.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        # To a file: figure 6's flood logs one warning per refused login.
        self.log_path.parent.mkdir(exist_ok=True)
        with self.log_path.open("w") as server_log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                start_new_session=True,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            try:
                with urllib.request.urlopen(self.base_url + "/bench/r1/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def http_status(url: str, *, method: str = "GET", token: str | None = None, body=None) -> int:
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- data --------------------------------------------------------------------------------------

CATALOG_TABLES = ["catalog_book", "catalog_author", "catalog_book_authors"]


def generate(*, first_book: int, last_book: int, layout: datagen.MemberLayout) -> None:
    """Add books `first_book..last_book` (and the members and special books on the first call)."""
    from django.db import connection, transaction

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        if first_book == 1:
            datagen.reference_data(cur)
            datagen.members(cur, layout)
        with datagen.secondary_indexes_deferred(cur, CATALOG_TABLES):
            datagen.catalog(cur, first_book=first_book, last_book=last_book)
        datagen.reservations(cur, first_book=first_book, last_book=last_book)
        if first_book == 1:
            datagen.race_and_release_books(cur, layout)
            datagen.reviews(cur)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("CHECKPOINT")  # the bulk load's dirty pages written now, not mid-figure
    flush_redis()  # cached pages, if any, describe the catalog before this bulk insert
    log(f"catalog at {last_book:,} books ({time.monotonic() - started:.0f} s)")


def sizes() -> dict:
    from django.db import connection

    counts = {}
    with connection.cursor() as cur:
        for key, table in [
            ("books", "catalog_book"),
            ("authors", "catalog_author"),
            ("book_authors", "catalog_book_authors"),
            ("genres", "catalog_genre"),
            ("cities", "catalog_city"),
            ("members", "accounts_customer"),
            ("memberships", "accounts_membership"),
            ("wallets", "purchasing_wallet"),
            ("ledger_rows", "purchasing_wallettransaction"),
            ("reservations", "reservations_reservation"),
            ("queue_entries", "reservations_queueentry"),
            ("reviews", "readers_review"),
        ]:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[key] = cur.fetchone()[0]
    return counts


def mint_tokens(customer_ids: list[int]) -> list[str]:
    """Access tokens from the project's own token class (the one login hands out)."""
    try:
        from accounts.tokens import RefreshToken
    except ImportError:
        from rest_framework_simplejwt.tokens import RefreshToken
    from accounts.models import User

    users = User.objects.filter(customer__id__in=customer_ids).order_by("id")
    return [str(RefreshToken.for_user(user).access_token) for user in users]


def cycle_member_ids(count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT customer_id FROM bench_rich ORDER BY rn LIMIT %s", (count,))
        return [row[0] for row in cur.fetchall()]


def racer_ids(layout: datagen.MemberLayout, rounds: int) -> list[list[int]]:
    plan_members = [j for j in range(layout.racers_first, layout.members) if j % 10 != 0]
    return [plan_members[r * RACERS : (r + 1) * RACERS] for r in range(rounds)]


# --- measurements -----------------------------------------------------------------------------


def measure(name: str, options, **wrk_kwargs) -> dict:
    log(f"{name}: warm-up {options.warmup} s, then {options.duration} s")
    if options.warmup:
        load.run_wrk(**{**wrk_kwargs, "seconds": options.warmup})
    result = load.run_wrk(**{**wrk_kwargs, "seconds": options.duration})
    log(
        f"{name}: {result['requests_per_s']} req/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, non-2xx {result['non_2xx']}, errors {result['errors']}"
    )
    return result


def read_figures(server: Server, args, book_range: tuple[int, int]) -> dict:
    common = {"base_url": server.base_url, "connections": args.concurrency, "threads": 2}
    return {
        "1_list": measure(
            "figure 1 GET /api/books/", args, path="/api/books/", script="get.lua", **common
        ),
        "2_search": measure(
            "figure 2 GET /api/books/?search=",
            args,
            path="/api/books/",
            script="search.lua",
            args=SEARCH_TERMS,
            **common,
        ),
        "3_detail": measure(
            "figure 3 GET /api/books/{id}/",
            args,
            path="/api/books/",
            script="detail.lua",
            args=[str(book_range[0]), str(book_range[1])],
            **common,
        ),
    }


def unavailable(reason: str) -> dict:
    log(f"not available: {reason}")
    return {"available": False, "reason": reason}


def probe_reserve_return(server: Server, token: str, book_id: int) -> str | None:
    """None when POST then DELETE /api/reservations/ work for this token, else why not."""
    url = server.base_url + "/api/reservations/"
    request = urllib.request.Request(
        url, method="POST", data=json.dumps({"book": book_id, "days": 1}).encode()
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, payload = response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return f"POST /api/reservations/ answered {exc.code}"
    if status != 201 or "id" not in payload:
        return f"POST /api/reservations/ answered {status} without a reservation id"
    deleted = http_status(f"{url}{payload['id']}/", method="DELETE", token=token)
    if deleted != 204:
        return f"DELETE /api/reservations/{{id}}/ answered {deleted}"
    return None


def reserve_return_figure(server: Server, args, tokens: list[str], book_range) -> dict:
    from django.db import connection

    reason = probe_reserve_return(server, tokens[0], book_range[1])
    if reason:
        return unavailable(reason)
    path = Path(args.output).parent / "out"
    path.mkdir(exist_ok=True)
    tokens_file = path / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    connections = args.concurrency
    result = measure(
        "figure 4 POST+DELETE /api/reservations/",
        args,
        base_url=server.base_url,
        path="/api/reservations/",
        script="reserve_return.lua",
        args=[str(tokens_file), str(book_range[0]), str(book_range[1]), str(connections)],
        connections=connections,
        threads=connections,
    )
    result["cycles_per_s"] = round((result.get("cycles") or 0) / result["seconds"], 1)
    with connection.cursor() as cur:
        result["books_with_inconsistent_units"] = datagen.unit_inconsistencies(cur)
        result["wallets_with_inconsistent_ledger"] = datagen.ledger_inconsistencies(cur)
    return result


def login_flood_figure(server: Server, args, book_range, *, many_addresses: bool) -> dict:
    """Figure 3's book detail while `LOGIN_FLOODERS` connections post wrong passwords to the
    login: from one address (its per-address limit answers 429 before any hashing) or from many
    (every attempt costs an Argon2 hash on a web worker)."""
    flood: dict = {}

    def run_flood() -> None:
        flood.update(
            load.run_wrk(
                base_url=server.base_url,
                path="/api/auth/login/",
                script="login_flood.lua",
                args=["many" if many_addresses else "one"],
                connections=LOGIN_FLOODERS,
                threads=2,
                seconds=args.warmup + args.duration,
            )
        )

    flooder = threading.Thread(target=run_flood)
    flooder.start()
    try:
        result = measure(
            f"figure {7 if many_addresses else 6} GET /api/books/{{id}}/ during a login flood "
            f"from {'many addresses' if many_addresses else 'one address'}",
            args,
            base_url=server.base_url,
            path="/api/books/",
            script="detail.lua",
            args=[str(book_range[0]), str(book_range[1])],
            connections=args.concurrency,
            threads=2,
        )
    finally:
        flooder.join()
    result["login_flood"] = {
        key: flood.get(key) for key in ("connections", "requests_per_s", "p50_ms", "p99_ms")
    }
    result["login_flood"]["statuses"] = flood.get("statuses")
    log(f"login flood: {result['login_flood']}")
    return result


def race_figure(server: Server, layout, rounds: int) -> dict:
    """Figure 5: 50 members at once on one 3-unit book, `rounds` times (a fresh book each)."""
    from django.db import connection

    groups = racer_ids(layout, rounds)
    first_tokens = mint_tokens(groups[0][:1])
    reason = None
    status = http_status(
        server.base_url + "/api/reservations/", method="POST", token=first_tokens[0], body={}
    )
    if status in (404, 405) or status >= 500:
        reason = f"POST /api/reservations/ answered {status}"
    if reason:
        return unavailable(reason)
    log(f"figure 5: {RACERS} members racing for one 3-unit book, {rounds} rounds")
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    wall = 0.0
    rounds_consistent = 0
    for number, members in enumerate(groups, start=1):
        book_id = number  # books 1..RACE_BOOKS_LAST have 3 free units
        tokens = mint_tokens(members)
        outcome = load.race(host=HOST, port=server.port, tokens=tokens, book_id=book_id)
        for key, value in outcome["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
        latencies += outcome["latencies"]
        wall += outcome["wall"]
        granted = outcome["statuses"].get("201", 0)
        queued = outcome["statuses"].get("202", 0)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT available_units, total_units, "
                "(SELECT count(*) FROM reservations_reservation WHERE book_id = %s AND status = 'active'), "
                "(SELECT count(*) FROM reservations_queueentry WHERE book_id = %s AND status = 'waiting') "
                "FROM catalog_book WHERE id = %s",
                (book_id, book_id, book_id),
            )
            available, total, active, waiting = cur.fetchone()
        if (
            granted <= total
            and active == granted
            and available == total - granted
            and waiting == queued
        ):
            rounds_consistent += 1
    latencies.sort()
    requests = sum(statuses.values())
    with connection.cursor() as cur:
        ledger_bad = datagen.ledger_inconsistencies(cur)
        units_bad = datagen.unit_inconsistencies(cur)
    result = load.figure(
        requests=requests,
        seconds=wall,
        p50_ms=load.percentile(latencies, 50) * 1000,
        p95_ms=load.percentile(latencies, 95) * 1000,
        p99_ms=load.percentile(latencies, 99) * 1000,
        errors=statuses.get("0", 0),
        non_2xx=sum(v for k, v in statuses.items() if not k.startswith("2")),
        statuses=dict(sorted(statuses.items())),
        connections=RACERS,
        rounds=rounds,
        rounds_consistent=rounds_consistent,
        granted_201=statuses.get("201", 0),
        queued_202=statuses.get("202", 0),
        books_with_inconsistent_units=units_bad,
        wallets_with_inconsistent_ledger=ledger_bad,
    )
    log(
        f"figure 5: {result['statuses']}, consistent rounds {rounds_consistent}/{rounds}, "
        f"p99 {result['p99_ms']} ms"
    )
    return result


def release_figure(layout: datagen.MemberLayout) -> dict:
    """A returned unit on a book with 10,000 waiting, the first 1,000 of whom cannot pay."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        from reservations.services import reservation_return
    except ImportError as exc:
        return unavailable(f"reservations.services.reservation_return: {exc}")
    from accounts.models import Customer
    from reservations.models import QueueEntry, Reservation

    reservation = Reservation.objects.get(
        customer_id=layout.holder, book_id=datagen.RELEASE_BOOK, status="active"
    )
    customer = Customer.objects.get(pk=layout.holder)
    log(
        f"release: returning a unit of a book with {QUEUE_LENGTH:,} waiting, {QUEUE_DROPS:,} to drop"
    )
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            reservation_return(customer=customer, reservation_id=reservation.pk)
            elapsed = time.perf_counter() - started
    except Exception as exc:  # the service is young: report, never crash the run
        return unavailable(f"reservation_return raised {type(exc).__name__}: {exc}")
    entries = QueueEntry.objects.filter(book_id=datagen.RELEASE_BOOK)
    result = {
        "available": True,
        "seconds": round(elapsed, 3),
        "queries": len(queries),
        "dropped": entries.filter(status="dropped").count(),
        "fulfilled": entries.filter(status="fulfilled").count(),
        "still_waiting": entries.filter(status="waiting").count(),
        "note": "in-process reservations.services.reservation_return, including its on-commit "
        "enqueueing of the drop notifications; queries captured with CaptureQueriesContext",
    }
    log(f"release: {result['seconds']} s, {result['queries']} queries, {result['dropped']} dropped")
    return result


def query_counts(book_range, token_member: int) -> dict:
    """Queries each figure's request costs, through Django's test client against the bench DB."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    counts = {}
    for key, path in [
        ("1_list", "/api/books/"),
        ("2_search", "/api/books/?search=river"),
        ("3_detail", f"/api/books/{book_range[0] + 7}/"),
        ("8_reviews", f"/api/books/{datagen.REVIEWS_BOOK}/reviews/?ordering=most_liked&page=7"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        counts[key] = {"status": status, "queries": len(queries)}
    token = mint_tokens([token_member])[0]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with CaptureQueriesContext(connection) as queries:
        created = client.post(
            "/api/reservations/",
            {"book": book_range[0] + 3, "days": 1},
            content_type="application/json",
            **auth,
        )
    counts["4_reserve"] = {"status": created.status_code, "queries": len(queries)}
    if created.status_code == 201:
        with CaptureQueriesContext(connection) as queries:
            status = client.delete(f"/api/reservations/{created.json()['id']}/", **auth).status_code
        counts["4_return"] = {"status": status, "queries": len(queries)}
    return counts


# --- report -----------------------------------------------------------------------------------


def ratio(value: float | None, reference: float | None) -> float | None:
    if not value or not reference:
        return None
    return round(value / reference, 3)


def markdown(results: dict) -> str:
    refs = results["references"]
    r1 = refs["R1"].get("requests_per_s")
    r2 = refs["R2"].get("transactions_per_s")
    lines = [
        f"Books: {results['sizes']['books']:,} · concurrency {results['config']['concurrency']} · "
        f"{results['config']['duration_s']} s per figure · {results['machine']['cpu_count']} cores "
        "shared by gunicorn, PostgreSQL and the load generator",
        "",
        "| figure | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | ratio to reference |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def row(label: str, fig: dict, ratio_text: str) -> None:
        if not fig.get("available"):
            lines.append(f"| {label} | not available | | | | | | {fig.get('reason', '')} |")
            return
        lines.append(
            f"| {label} | {fig['requests_per_s']:,} | {fig['p50_ms']} | {fig['p95_ms']} | "
            f"{fig['p99_ms']} | {fig.get('errors', 0)} | {fig.get('non_2xx', 0)} | {ratio_text} |"
        )

    row("R1 trivial Django view", refs["R1"], "1 (reference)")
    r2_fig = dict(refs["R2"], requests_per_s=refs["R2"].get("transactions_per_s"))
    row("R2 pgbench TPC-B (tx/s)", r2_fig, "1 (reference)")
    labels = {
        "1_list": "1 GET /api/books/",
        "2_search": "2 GET /api/books/?search=",
        "3_detail": "3 GET /api/books/{id}/",
        "4_reserve_return": "4 reserve + return (requests)",
        "5_race": "5 50 members race a 3-unit book",
        "6_detail_login_flood_one_address": "6 GET /api/books/{id}/, login flood from one address",
        "7_detail_login_flood_many_addresses": "7 GET /api/books/{id}/, login flood from many",
        "8_reviews": "8 GET /api/books/{id}/reviews/ (10,000 reviews)",
    }
    for key, label in labels.items():
        fig = results["figures"][key]
        if key == "4_reserve_return" and fig.get("available"):
            text = f"{ratio(fig['cycles_per_s'], r2)} x R2 ({fig['cycles_per_s']} cycles/s)"
        elif key == "5_race":
            text = f"statuses {fig.get('statuses', {})}" if fig.get("available") else ""
        elif "login_flood" in fig:
            flood = fig["login_flood"]
            text = f"login {flood['requests_per_s']} req/s, statuses {flood['statuses']}"
        else:
            text = f"{ratio(fig.get('requests_per_s'), r1)} x R1"
        row(label, fig, text)
    release = results["release"]
    lines.append("")
    if release.get("available"):
        lines.append(
            f"Release of a unit to a queue of {QUEUE_LENGTH:,} with {QUEUE_DROPS:,} drops: "
            f"{release['seconds']} s, {release['queries']} queries "
            f"({release['dropped']} dropped, {release['fulfilled']} fulfilled)."
        )
    else:
        lines.append(
            f"Release of a unit to a queue of {QUEUE_LENGTH:,}: not available ({release['reason']})."
        )
    if results.get("scale"):
        lines += [
            "",
            "| books | list req/s · p99 ms | search req/s · p99 ms | detail req/s · p99 ms |",
            "|---|---|---|---|",
        ]
        for size, figs in results["scale"].items():
            cells = [
                f"{figs[k]['requests_per_s']:,} · {figs[k]['p99_ms']}"
                for k in ("1_list", "2_search", "3_detail")
            ]
            lines.append(f"| {int(size):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    dsn_args, database = psql_args(database_url)
    os.environ.update(bench_environment(database_url))
    if args.import_only:
        sizes = [int(size) for size in args.import_sizes.split(",")]
        results = importing.run(database_url, sizes, log=log)
        importing.save(results, args.import_output)
        print(importing.markdown(results))
        log(f"wrote {args.import_output} in {round(time.monotonic() - started)} s")
        return 0
    load.ensure_wrk()
    layout = datagen.MemberLayout(members=args.members)

    log(f"database {database}: recreate and migrate")
    recreate_database(database_url, database)
    flush_redis()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if args.release_only:
        generate(first_book=1, last_book=args.books, layout=layout)
        release = release_figure(layout)
        counts = query_counts((datagen.FIRST_FREE_BOOK, args.books), layout.racers_first + 700)
        print(json.dumps({"release": release, "query_counts": counts}, indent=2))
        return 0

    steps = sorted({args.books, *SCALE_SIZES}) if args.scale else [args.books]
    scale: dict[str, dict] = {}
    results: dict = {}
    server = Server(
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        log_path=Path(args.output).parent / "out" / "gunicorn.log",
    )
    generated = 0
    try:
        for size in steps:
            generate(first_book=generated + 1, last_book=size, layout=layout)
            generated = size
            book_range = (datagen.FIRST_FREE_BOOK, size)
            if server.process is None:
                server.start()
                log(f"gunicorn on {server.base_url}: {server.describe()}")
            if size != args.books:
                scale[str(size)] = read_figures(server, args, book_range)
                continue
            results = full_run(args, server, layout, book_range, database_url, dsn_args)
            scale[str(size)] = {
                k: results["figures"][k] for k in ("1_list", "2_search", "3_detail")
            }
    finally:
        server.stop()
    results["release"] = release_figure(layout)
    results["query_counts"] = query_counts(
        (datagen.FIRST_FREE_BOOK, args.books), layout.racers_first + 700
    )
    if args.scale:
        results["scale"] = scale
    results["config"]["total_seconds"] = round(time.monotonic() - started)
    flush_redis()
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(markdown(results))
    print()
    log(f"wrote {args.output} in {results['config']['total_seconds']} s")
    return 0


def full_run(args, server: Server, layout, book_range, database_url: str, dsn_args) -> dict:
    """Every figure and both references at the main catalog size."""
    from django.db import connection

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": connection.cursor().connection.server_version,
            "load_generator": load.wrk_version(),
            "note": "gunicorn, PostgreSQL, Redis and the load generator share these cores; other "
            "work on the machine adds noise",
        },
        "config": {
            "books": args.books,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn": server.describe(),
            "settings": "bench.settings (library_project.settings, DEBUG off, ROOT_URLCONF bench.urls)",
            "search_terms": SEARCH_TERMS,
        },
        "sizes": sizes(),
    }
    log("tokens: minting access tokens for the reserve/return members")
    tokens = mint_tokens(cycle_member_ids(CYCLE_MEMBERS))
    auth_status = http_status(server.base_url + "/api/reservations/", token=tokens[0])
    anonymous_status = http_status(server.base_url + "/api/reservations/")
    results["config"]["token_check"] = {
        "with_token": auth_status,
        "without_token": anonymous_status,
    }
    log(
        f"token check GET /api/reservations/: {auth_status} with a token, {anonymous_status} without"
    )

    r1 = measure(
        "R1 trivial Django view",
        args,
        base_url=server.base_url,
        path="/bench/r1/",
        script="get.lua",
        connections=args.concurrency,
        threads=2,
    )
    figures = read_figures(server, args, book_range)
    figures["4_reserve_return"] = reserve_return_figure(server, args, tokens, book_range)
    figures["5_race"] = race_figure(server, layout, RACE_ROUNDS)
    figures["8_reviews"] = measure(
        "figure 8 GET /api/books/{id}/reviews/",
        args,
        base_url=server.base_url,
        path="/api/books/",
        script="reviews.lua",
        args=[str(datagen.REVIEWS_BOOK), str(REVIEW_PAGES)],
        connections=args.concurrency,
        threads=2,
    )
    for many_addresses, key in [
        (False, "6_detail_login_flood_one_address"),
        (True, "7_detail_login_flood_many_addresses"),
    ]:
        figures[key] = login_flood_figure(server, args, book_range, many_addresses=many_addresses)

    # R2 last: pgbench's million-row load and its update storm leave checkpoint and autovacuum
    # work behind that would run during the figures measured after it (detail reads halved).
    log(f"R2 pgbench: -i -s 10, then -c {args.concurrency} -j 2 -T {args.duration}")
    recreate_database(database_url, PGBENCH_DATABASE)
    r2 = load.run_pgbench(
        dsn_args=dsn_args,
        database=PGBENCH_DATABASE,
        clients=args.concurrency,
        seconds=args.duration,
    )
    drop_database(database_url, PGBENCH_DATABASE)
    log(f"R2: {r2['transactions_per_s']} tx/s, p99 {r2['p99_ms']} ms")
    results["references"] = {"R1": r1, "R2": r2}
    for key in ("1_list", "2_search", "3_detail", "8_reviews"):
        figures[key]["ratio_to_R1"] = ratio(figures[key]["requests_per_s"], r1["requests_per_s"])
    if figures["4_reserve_return"].get("available"):
        figures["4_reserve_return"]["ratio_to_R2"] = ratio(
            figures["4_reserve_return"]["cycles_per_s"], r2["transactions_per_s"]
        )
    results["figures"] = figures
    results["p99_under_100ms"] = {
        k: v["p99_ms"] < 100 for k, v in figures.items() if v.get("available")
    }
    return results


if __name__ == "__main__":
    sys.exit(main())
