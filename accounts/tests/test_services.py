"""The auth service called directly, as the admin, tasks and other apps call it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import services
from accounts.errors import AdminOnly, CannotRevokeAdmin, InvalidInput
from accounts.models import (
    ActivationToken,
    OtpChallenge,
    PasswordResetToken,
    RevokedAccessToken,
)
from accounts.tasks import purge_expired_credentials
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory
from accounts.throttling import parse_rate
from accounts.tokens import RefreshToken
from core.errors import NotFound
from library_project.tests.outbox import outbox
from purchasing.models import Wallet

pytestmark = pytest.mark.django_db


def _signup(**overrides):
    fields = {
        "email": "A.B@Example.com",
        "phone": "+989120000001",
        "password": PASSWORD,
        "client_ip": "203.0.113.9",
    }
    return services.user_signup(**{**fields, **overrides})


def test_sign_up_makes_an_inactive_user_a_customer_and_an_empty_wallet(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        user = _signup()
    assert user.email == "a.b@example.com"
    assert not user.is_active
    assert Wallet.objects.get(customer__user=user).balance == 0
    assert ActivationToken.objects.filter(user=user).count() == 1
    assert outbox.mail[0].to == ["a.b@example.com"]


def test_the_activation_email_leaves_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _signup()
    assert outbox.mail == []
    assert len(callbacks) == 1


def test_revoking_needs_an_admin_and_refuses_admin_targets(member):
    admin = AdminFactory()
    with pytest.raises(AdminOnly):
        services.user_revoke_tokens(user_id=member.pk, by=UserFactory())
    with pytest.raises(CannotRevokeAdmin):
        services.user_revoke_tokens(user_id=AdminFactory().pk, by=admin)
    with pytest.raises(NotFound):
        services.user_revoke_tokens(user_id=999_999, by=admin)
    services.user_revoke_tokens(user_id=member.pk, by=admin)
    member.refresh_from_db()
    assert member.tokens_valid_after is not None


def test_password_change_keeps_the_old_password_when_the_new_one_is_refused(member):
    with pytest.raises(InvalidInput):
        services.password_change(
            user=member, old_password=PASSWORD, new_password="abc", client_ip="203.0.113.9"
        )
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert member.tokens_valid_after is None


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("5/min", (5, 60)),
        ("10/s", (10, 1)),
        ("3/h", (3, 3600)),
        ("1/day", (1, 86400)),
        ("5/15m", (5, 900)),
    ],
)
def test_throttle_rates_parse(rate, expected):
    assert parse_rate(rate) == expected


def test_the_purge_deletes_expired_credentials_and_keeps_live_ones(member):
    now = timezone.now()
    past, future = now - timedelta(seconds=1), now + timedelta(hours=1)
    for model in (ActivationToken, PasswordResetToken):
        model.objects.create(user=member, token_hash=f"{model.__name__}-old", expires_at=past)
        model.objects.create(user=member, token_hash=f"{model.__name__}-new", expires_at=future)
    for suffix, when in (("old", past), ("new", future)):
        OtpChallenge.objects.create(user=member, token_hash=suffix, code_hash="x", expires_at=when)
        RevokedAccessToken.objects.create(jti=suffix, expires_at=when)
    expired_refresh = RefreshToken.for_user(member)
    live_refresh = RefreshToken.for_user(member)
    OutstandingToken.objects.filter(jti=expired_refresh["jti"]).update(expires_at=past)
    expired_refresh.blacklist()
    live_refresh.blacklist()

    deleted = purge_expired_credentials()

    assert deleted["OtpChallenge"] == 1 and deleted["OutstandingToken"] == 1
    for model in (ActivationToken, PasswordResetToken, OtpChallenge, RevokedAccessToken):
        assert model.objects.filter(expires_at__lte=now).count() == 0
        assert model.objects.count() == 1
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live_refresh["jti"]]
    assert BlacklistedToken.objects.get().token.jti == live_refresh["jti"]
    assert purge_expired_credentials()["OutstandingToken"] == 0  # safe to run twice


def test_deleting_myself_leaves_every_queue_i_wait_in():
    from accounts.services import user_deactivate
    from accounts.tests.factories import member
    from catalog.tests.factories import BookFactory
    from reservations.models import QueueEntry
    from reservations.services import reservation_create

    holder, waiter = member(), member()
    books = [BookFactory(total_units=1) for _ in range(2)]
    for book in books:
        reservation_create(customer=holder, book_id=book.pk, days=3)
        reservation_create(customer=waiter, book_id=book.pk, days=3)

    user_deactivate(user=waiter.user)

    statuses = set(QueueEntry.objects.filter(customer=waiter).values_list("status", flat=True))
    assert statuses == {"left"}
