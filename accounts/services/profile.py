"""A member's names and customer profile, the admin's user form, and closing an account."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import hooks
from accounts.errors import (
    ActiveReservations,
    AlreadyRegistered,
    UseEmailChange,
    UsePhoneChange,
)
from accounts.models import (
    Customer,
    User,
)
from accounts.phones import normalize_phone
from accounts.services._common import (
    PHONE_TAKEN,
    _clean_fields,
    _ensure_unique,
    _normalize_email,
    _phone_or_invalid,
    _revoke_all_tokens,
)

USER_EDITABLE_FIELDS = ("first_name", "last_name", "phone", "language")
PROFILE_FIELDS = ("first_name", "last_name", "language")
CUSTOMER_EDITABLE_FIELDS = ("city", "address", "date_of_birth")


def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change a user's names, phone and language: the admin's user form, behind staff permissions. Members
    change their own through `user_profile_update`, which leaves the phone to a proven change."""
    changed = [name for name in USER_EDITABLE_FIELDS if name in data]
    if "phone" in changed:
        data = {**data, "phone": _phone_or_invalid(data["phone"])}
    for name in changed:
        setattr(user, name, data[name])
    _clean_fields(user, exclude=["password"])
    if "phone" in changed:
        _ensure_unique(phone=user.phone, exclude_pk=user.pk)
    try:
        with transaction.atomic():
            user.save(update_fields=changed or None)
    except IntegrityError as exc:
        raise AlreadyRegistered({"phone": [_(PHONE_TAKEN)]}) from exc
    return user


def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """A member changes his own names and language (`en` or `fa`). A new phone or email is
    refused and points to the change flows that prove it (the value he already has, sent back,
    is no change and passes)."""
    if "phone" in data and _typed_phone(data["phone"]) != user.phone:
        raise UsePhoneChange()
    if "email" in data and _normalize_email(data["email"]) != _normalize_email(user.email):
        raise UseEmailChange()
    return user_update(
        user=user, data={name: data[name] for name in PROFILE_FIELDS if name in data}
    )


def _typed_phone(phone: str) -> str:
    """The number as stored, when what was typed is one; else as typed (then it is no match)."""
    try:
        return normalize_phone(phone)
    except ValidationError:
        return phone


def user_deactivate(*, user: User) -> None:
    """Delete yourself: the account is deactivated and its tokens revoked; refused (409) while
    you hold an active reservation."""
    with transaction.atomic():
        customer = Customer.objects.filter(user=user).first()
        if customer is not None:
            count = hooks.active_reservations_locked(customer_id=customer.pk)
            if count:
                raise ActiveReservations(active_reservations=count)
        now = timezone.now()
        user.is_active = False
        user.deactivated_at = now
        _revoke_all_tokens(user, at=now)
        user.save(update_fields=["is_active", "deactivated_at", "tokens_valid_after"])
    if customer is not None:
        hooks.leave_every_queue(customer=customer)


def customer_update(*, customer: Customer, data: dict[str, Any]) -> Customer:
    """Change the customer's own profile: city, address, date of birth."""
    changed = [name for name in CUSTOMER_EDITABLE_FIELDS if name in data]
    for name in changed:
        setattr(customer, name, data[name])
    _clean_fields(customer, exclude=["user"])
    with transaction.atomic():
        customer.save(update_fields=changed or None)
    return customer
