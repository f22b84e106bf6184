"""Celery tasks of purchasing: take ids (or none), call a service, own their retry policy."""

from dataclasses import asdict

from celery import shared_task

from purchasing.services import payments_verify_stale


@shared_task(acks_late=True)
def verify_stale_payments() -> dict:
    """Beat runs this every few minutes; overlapping runs are safe (the service settles each
    payment under its row locks, once). A gateway outage leaves payments pending for the next run."""
    return asdict(payments_verify_stale())
