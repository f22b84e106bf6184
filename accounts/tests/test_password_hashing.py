"""Passwords are stored with Argon2id at OWASP's minimum cost; a hash made with Django's default
Argon2 parameters still signs in, and is re-hashed at the chosen cost then."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password

import library_project.settings as production_settings
from accounts import services
from accounts.errors import InvalidCredentials
from accounts.hashers import OwaspArgon2PasswordHasher
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS  # tests use a fast hasher


def _parameters(encoded: str) -> tuple[str, int, int, int]:
    decoded = identify_hasher(encoded).decode(encoded)
    return (
        decoded["variety"],
        decoded["memory_cost"],
        decoded["time_cost"],
        decoded["parallelism"],
    )


def _user_with_hash(encoded: str):
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(password=encoded)
    return user


def test_new_passwords_are_argon2id_with_19_mib_2_passes_and_1_lane(production_hashers):
    encoded = make_password(PASSWORD)
    assert isinstance(identify_hasher(encoded), OwaspArgon2PasswordHasher)
    assert _parameters(encoded) == ("argon2id", 19 * 1024, 2, 1)


def test_a_django_default_argon2_hash_signs_in_and_is_rehashed_at_the_chosen_cost(
    production_hashers,
):
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    assert _parameters(old) == ("argon2id", 102400, 2, 8)
    user = _user_with_hash(old)

    services.user_login_start(username=user.email, password=PASSWORD, client_ip="203.0.113.9")

    user.refresh_from_db()
    assert user.password != old
    assert _parameters(user.password) == ("argon2id", 19 * 1024, 2, 1)
    assert user.check_password(PASSWORD)


def test_a_wrong_password_leaves_an_old_hash_as_it_was(production_hashers):
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    user = _user_with_hash(old)

    with pytest.raises(InvalidCredentials):
        services.user_login_start(username=user.email, password="Wr0ng!pass", client_ip="ip")

    user.refresh_from_db()
    assert user.password == old
