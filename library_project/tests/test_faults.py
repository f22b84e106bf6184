"""Failing parts, on the real services: Redis stopped, a PostgreSQL connection dropped, a Celery
worker killed in the middle of the expiry task.

Redis here is a server of the test's own (another port), started and stopped by the test; the
shared one is never touched.
"""

import base64
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from werkzeug.test import Client as WsgiClient

from accounts.models import Customer, Notification
from accounts.tests.factories import CustomerFactory, MembershipFactory
from catalog.models import Book
from catalog.services import author_create, book_create
from catalog.tests.factories import BookFactory, isbn13
from library_project.celery import app as celery_app
from library_project.tests.outbox import outbox
from library_project.tests.security_world import PASSWORD, client_for, make_world
from purchasing.models import WalletTransaction
from purchasing.services import wallet_charge
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create

ROOT = Path(django_settings.BASE_DIR)


REDIS_NO_DISK = ("--save", "", "--appendonly", "no")
CELERY_WORKER = ("-m", "celery", "-A", "library_project", "worker", "--loglevel=INFO")
WORKER_OPTIONS = ("-P", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server on a free loopback port, for this test only (no persistence)."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = _free_port()
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, *("--port", str(self.port), "--bind", "127.0.0.1"), *REDIS_NO_DISK],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("own redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@contextmanager
def _celery_broker(url: str):
    """Point this process's Celery app at `url` (not eager), and back afterwards."""
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        reset_pools()


@pytest.fixture
def services_on_own_redis(own_redis, settings, outbox):
    """Cache, throttles, health check and broker all on the test's own Redis."""
    settings.REDIS_URL = own_redis.url(0)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": own_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with _celery_broker(own_redis.url(0)):
        yield own_redis


def _queued_tasks(server: OwnRedis) -> list[tuple[str, list]]:
    """(task name, args) of the messages waiting in the default queue."""
    client = redis.Redis.from_url(server.url(0))
    found = []
    for raw in client.lrange("celery", 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found


# --- Redis down ----------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_reserving_and_returning_work_while_redis_is_down_and_notifications_wait_for_it(
    services_on_own_redis, caplog
):
    from accounts.tasks import deliver_notification, redeliver_undelivered

    world = make_world()
    held = Reservation.objects.get(book=world.full_book, status=ReservationStatus.ACTIVE)
    services_on_own_redis.stop()

    with TestCase.captureOnCommitCallbacks(execute=True):
        returned = client_for(world.author).delete(f"/api/reservations/{held.pk}/")
        reserved = client_for(world.author).post(
            "/api/reservations/", {"book": world.book.pk, "days": 2}, format="json"
        )
    health = client_for(None).get("/api/health/")

    assert returned.status_code == 204
    assert reserved.status_code == 201, reserved.content
    world.queue_entry.refresh_from_db()
    assert world.queue_entry.status == QueueStatus.FULFILLED  # the waiter got the unit
    granted = Notification.objects.exclude(event_key__startswith="security:").get(
        user=world.member, kind="queue_granted", delivered_at=None
    )
    assert any(
        getattr(r, "event", "") == "notification.enqueue_failed"
        and granted.pk in r.notification_ids
        for r in caplog.records
    )
    # Redis only degrades the service (tasks wait): the probe says so and stays 200.
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}

    # Redis is back: the sweep enqueues the notification again, a worker delivers it once.
    services_on_own_redis.start()
    assert client_for(None).get("/api/health/").json()["status"] == "ok"
    assert redeliver_undelivered(now=timezone.now() + timedelta(minutes=3)) >= 1
    assert ("accounts.tasks.deliver_notification", [granted.pk]) in _queued_tasks(
        services_on_own_redis
    )
    deliver_notification.apply(args=[granted.pk])
    granted.refresh_from_db()
    assert granted.delivered_at is not None
    assert [m.to for m in outbox.sms if m.body == granted.message] == [world.member.phone]
    # Delivered once: the next sweep leaves it alone.
    redis.Redis.from_url(services_on_own_redis.url(0)).delete("celery")
    redeliver_undelivered(now=timezone.now() + timedelta(minutes=3))
    assert ("accounts.tasks.deliver_notification", [granted.pk]) not in _queued_tasks(
        services_on_own_redis
    )


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_in_fails_open_when_the_throttle_cache_is_down_and_says_so(
    services_on_own_redis, caplog
):
    """Decision: the login throttle fails open. A password alone never yields a token: the SMS
    code is still needed, and its 5-attempt limit lives in the database, not in the cache."""
    world = make_world()
    services_on_own_redis.stop()
    client = client_for(None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        step1 = client.post(
            "/api/auth/login/", {"username": world.member.email, "password": PASSWORD}
        )
    assert step1.status_code == 200
    otp_token = step1.json()["otp_token"]
    code = outbox.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": wrong})
    burned = client.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert burned.status_code == 400  # the database-held attempt limit still holds
    assert any("auth throttle unavailable" in r.getMessage() for r in caplog.records)


# --- PostgreSQL connection dropped ---------------------------------------------------------------


def _database_url(settings_dict: dict) -> str:
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def _superuser_connection():
    return psycopg2.connect(_database_url({**connection.settings_dict, "NAME": "postgres"}))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_database_dropped_the_connection_succeeds():
    """A book page reads the database on every request, through a statement prepared on the
    connection (core.prepared): the new connection prepares it again."""
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    page = f"/api/books/{BookFactory().pk}/"
    server = WsgiClient(get_wsgi_application())  # as a WSGI server calls it, with its signals
    assert server.get(page).status_code == 200
    connection.ensure_connection()
    old_pid = connection.connection.get_backend_pid()

    admin = _superuser_connection()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
        assert cursor.fetchone()[0] is True
    admin.close()

    response = server.get(page)
    assert response.status_code == 200, response.get_data()[:300]
    assert connection.connection.get_backend_pid() != old_pid


# --- a Celery worker killed during the expiry task -----------------------------------------------


def _due_holder_and_waiter(n: int, admin_customer) -> tuple[Book, Reservation, QueueEntry]:
    holder, waiter = CustomerFactory(), CustomerFactory()
    for customer in (holder, waiter):
        MembershipFactory(customer=customer, plan="plus")
        wallet_charge(customer_id=customer.pk, amount=100_000)
    book = book_create(
        created_by=admin_customer.user,
        title=f"Due book {n}",
        isbn=isbn13(920_000 + n),
        genre=__import__("catalog.models").models.Genre.objects.get_or_create(name="Due")[0],
        published_year=2020,
        total_units=1,
        authors=[author_create(name=f"Due author {n}")],
    )
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    entry = reservation_create(customer=waiter, book_id=book.pk, days=2).queue_entry
    Reservation.objects.filter(pk=held.pk).update(
        starts_at=timezone.now() - timedelta(days=4), ends_at=timezone.now() - timedelta(days=1)
    )
    return book, held, entry


def _worker(env: dict, name: str, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *CELERY_WORKER, *WORKER_OPTIONS, f"--hostname={name}@%h"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_expiry_is_redelivered_and_ends_as_one_clean_run(
    own_redis, tmp_path
):
    admin = CustomerFactory()
    cases = [_due_holder_and_waiter(n, admin) for n in range(3)]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": own_redis.url(0),
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CONN_MAX_AGE": "0",
        "DJANGO_TESTING": "true",
    }
    (first_book, first_held, _), (locked_book, _, _) = cases[0], cases[1]

    # Hold the second book's row lock, so the task commits the first book and then waits.
    blocker = psycopg2.connect(_database_url(connection.settings_dict))
    blocker_cursor = blocker.cursor()
    blocker_cursor.execute("SELECT id FROM catalog_book WHERE id = %s FOR UPDATE", [locked_book.pk])
    producer = Celery(broker=own_redis.url(0), set_as_current=False)  # not the tasks' app
    workers = []
    worker_log = (tmp_path / "workers.log").open("w")
    try:
        workers.append(_worker(env, "first", worker_log))
        producer.send_task("reservations.tasks.expire_due_reservations")
        _wait_for(
            lambda: Reservation.objects.get(pk=first_held.pk).status != ReservationStatus.ACTIVE,
            60,
            "the first worker to settle the first book",
        )
        with connection.cursor() as cursor:
            _wait_for(
                lambda: (
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    )
                    or cursor.fetchone()[0] > 0
                ),
                30,
                "the first worker to wait for the locked book",
            )
        os.kill(workers[0].pid, signal.SIGKILL)  # mid-task: the message is never acknowledged
        workers[0].wait(10)
        blocker.rollback()

        workers.append(_worker(env, "second", worker_log))
        _wait_for(
            lambda: (
                not Reservation.objects.filter(
                    book__in=[book for book, _, _ in cases], status=ReservationStatus.ACTIVE
                )
                .exclude(customer__in=[entry.customer_id for _, _, entry in cases])
                .exists()
                and not QueueEntry.objects.filter(
                    pk__in=[entry.pk for _, _, entry in cases], status=QueueStatus.WAITING
                ).exists()
            ),
            90,
            "the redelivered task to settle every book",
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(30)
        blocker.close()
        producer.close()
        worker_log.close()
        print((tmp_path / "workers.log").read_text()[-5000:])

    # The same end state as one clean run: each unit went to its waiter exactly once.
    for book, held, entry in cases:
        book.refresh_from_db()
        held.refresh_from_db()
        entry.refresh_from_db()
        assert held.status == ReservationStatus.EXPIRED
        assert entry.status == QueueStatus.FULFILLED
        assert book.available_units == 0
        waiter = Customer.objects.get(pk=entry.customer_id)
        assert (
            Reservation.objects.filter(
                customer=waiter, book=book, status=ReservationStatus.ACTIVE
            ).count()
            == 1
        )
        assert (
            WalletTransaction.objects.filter(
                wallet__customer=waiter, kind="reservation_fee"
            ).count()
            == 1
        )
        assert Notification.objects.filter(user=waiter.user, kind="queue_granted").count() == 1
    assert first_book.pk != locked_book.pk
    logging.getLogger(__name__).info("worker kill test settled %d books", len(cases))
