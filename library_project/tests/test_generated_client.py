"""The consumer's view: a Python client generated from our schema imports whole and drives a
member's journey against a live server, using nothing but the generated code.

The client is generated with openapi-python-client (pinned in requirements-dev.txt) into a
temporary folder, exactly as `make client` does.
"""

import importlib
import json
import pkgutil
import subprocess
import sys
import uuid

import pytest
from django.contrib.auth.models import Permission
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate

import library_project
from accounts.models import Plan
from accounts.tests.factories import PASSWORD, UserFactory, member
from catalog.tests.factories import AuthorFactory, BookFactory
from library_project.tests.outbox import outbox
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "library_client"
# No post-generation hooks: the generator's default runs ruff from PATH.
GENERATOR_CONFIG = "post_hooks: []\n"


def openapi_document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi():
    validate(json.loads(json.dumps(openapi_document(), default=str)))


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_blocker):
    """The generated package, imported; and what the generator printed."""
    folder = tmp_path_factory.mktemp("client")
    schema = folder / "openapi.json"
    with django_db_blocker.unblock():
        schema.write_text(json.dumps(openapi_document(), default=str))
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE), run.stdout + run.stderr
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_generator_warns_of_nothing(generated):
    _, output = generated
    assert "Warning" not in output, output


def test_every_generated_module_imports(generated):
    package, _ = generated
    failed = {}
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # every failure is collected and shown at once
            failed[name] = repr(exc)
    assert len(names) > 100
    assert failed == {}


class Api:
    """The generated operations by their module names, called the way a consumer calls them."""

    def __init__(self, package, base_url: str):
        self.package = package
        self.base_url = base_url

    def op(self, tag: str, name: str):
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str):
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def anonymous(self):
        return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)

    def signed_in(self, token: str):
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, raise_on_unexpected_status=True
        )

    def sign_in(self, username: str, phone: str) -> tuple:
        """Both sign-in steps; the code is read from the SMS the server sent."""
        started = self.op("auth", "auth_login_create").sync_detailed(
            client=self.anonymous(),
            body=self.model("LoginInputRequest")(username=username, password=PASSWORD),
        )
        assert started.status_code == 200, started.content
        pair = self.op("auth", "auth_login_verify_create").sync_detailed(
            client=self.anonymous(),
            body=self.model("LoginVerifyInputRequest")(
                otp_token=started.parsed.otp_token, code=outbox.last_code(phone)
            ),
        )
        assert pair.status_code == 200, pair.content
        return pair.parsed.access, pair.parsed.refresh


@pytest.fixture
def api(generated, live_server, outbox):
    return Api(generated[0], live_server.url)


@pytest.fixture
def shelf():
    """An author's two books: one with copies on the shelf, one whose only copy is out."""
    author = AuthorFactory(name="Umberto Eco")
    open_book = BookFactory(title="Foucault's Pendulum", total_units=2)
    busy_book = BookFactory(title="The Name of the Rose", total_units=1)
    open_book.authors.add(author)
    busy_book.authors.add(author)
    holder = member(Plan.PLUS)
    held = reservation_create(customer=holder, book_id=busy_book.pk, days=3).reservation
    librarian = UserFactory(is_staff=True)
    librarian.user_permissions.add(Permission.objects.get(codename="change_reservation"))
    return {"open": open_book, "busy": busy_book, "held": held, "librarian": librarian}


def test_a_members_whole_journey_runs_through_the_generated_client(api, shelf):
    email, phone = f"reader-{uuid.uuid4().hex[:8]}@example.com", "+989121234567"
    m = api.model

    # Sign up, activate with the mailed token, sign in with the texted code.
    signed_up = api.op("auth", "auth_signup_create").sync_detailed(
        client=api.anonymous(),
        body=m("SignupInputRequest")(
            email=email, phone=phone, password=PASSWORD, first_name="Sara", last_name="Reader"
        ),
    )
    assert signed_up.status_code == 201
    assert signed_up.parsed.email == email
    activated = api.op("auth", "auth_activate_create").sync_detailed(
        client=api.anonymous(), body=m("TokenInputRequest")(token=outbox.link_token(to=email))
    )
    assert activated.status_code == 204
    access, refresh = api.sign_in(email, phone)
    me = api.signed_in(access)

    # Charge the wallet, then replay the same charge: one payment, credited once.
    charge = api.op("wallet", "wallet_charge_create")
    first = charge.sync_detailed(
        client=me, body=m("ChargeInputRequest")(amount=200_000), idempotency_key="journey-1"
    )
    again = charge.sync_detailed(
        client=me, body=m("ChargeInputRequest")(amount=200_000), idempotency_key="journey-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.parsed.id == first.parsed.id
    wallet = api.op("wallet", "wallet_retrieve").sync_detailed(client=me)
    assert wallet.parsed.balance == 200_000

    # Buy the plus plan.
    bought = api.op("memberships", "memberships_create").sync_detailed(
        client=me,
        body=m("MembershipPurchaseInputRequest")(
            plan=m("MembershipPurchaseInputPlanEnum")("plus"), months=1
        ),
    )
    assert bought.status_code == 201, bought.content

    # Search and filter the catalog.
    found = api.op("books", "books_list").sync_detailed(client=me, search="Eco")
    assert {book.title for book in found.parsed.results} == {
        "Foucault's Pendulum",
        "The Name of the Rose",
    }
    on_shelf = api.op("books", "books_list").sync_detailed(
        client=me, search="Eco", available=m("BooksListAvailable")("true")
    )
    assert [book.title for book in on_shelf.parsed.results] == ["Foucault's Pendulum"]

    # Quote, then reserve a book on the shelf (201) and queue for the one that is out (202).
    reserve = m("ReserveInputRequest")
    quote = api.op("reservations", "reservations_quote_create").sync_detailed(
        client=me, body=reserve(book=shelf["open"].pk, days=3)
    )
    assert (quote.status_code, quote.parsed.price) == (200, 3_000)
    reservations = api.op("reservations", "reservations_create")
    loan = reservations.sync_detailed(client=me, body=reserve(book=shelf["open"].pk, days=3))
    assert loan.status_code == 201
    assert loan.parsed.price == quote.parsed.price
    queued = reservations.sync_detailed(client=me, body=reserve(book=shelf["busy"].pk, days=2))
    assert queued.status_code == 202
    assert isinstance(queued.parsed, m("QueueEntry"))
    assert (queued.parsed.status.value, queued.parsed.position) == ("waiting", 1)

    # Renew the loan; shortening it is a typed 400.
    renew = api.op("reservations", "reservations_update")
    longer = renew.sync_detailed(loan.parsed.id, client=me, body=m("RenewInputRequest")(days=5))
    assert (longer.status_code, longer.parsed.days) == (200, 5)
    shorter = renew.sync_detailed(loan.parsed.id, client=me, body=m("RenewInputRequest")(days=2))
    assert shorter.status_code == 400
    assert isinstance(shorter.parsed, m("Error"))
    assert (shorter.parsed.code, shorter.parsed.current_days) == ("shortening_refused", 5)

    # Return the book; returning it again is a typed 409.
    give_back = api.op("reservations", "reservations_destroy")
    assert give_back.sync_detailed(loan.parsed.id, client=me).status_code == 204
    twice = give_back.sync_detailed(loan.parsed.id, client=me)
    assert twice.status_code == 409
    assert (twice.parsed.code, twice.parsed.status) == ("reservation_not_active", "returned")

    # A librarian ends the other member's loan: the queued member is served.
    staff_access, _ = api.sign_in(shelf["librarian"].email, shelf["librarian"].phone)
    ended = api.op("admin", "admin_reservations_end_create").sync_detailed(
        shelf["held"].pk, client=api.signed_in(staff_access)
    )
    assert ended.status_code == 200, ended.content
    mine = api.op("reservations", "reservations_list").sync_detailed(client=me)
    assert {(r.book, r.status.value) for r in mine.parsed.results} >= {(shelf["busy"].pk, "active")}
    notes = api.op("notifications", "notifications_list").sync_detailed(client=me)
    assert notes.status_code == 200
    assert [note.kind.value for note in notes.parsed.results] == ["queue_granted"]

    # Sign out; the access token of the session no longer works (a parsed 401).
    logged_out = api.op("auth", "auth_logout_create").sync_detailed(
        client=me, body=m("RefreshInputRequest")(refresh=refresh)
    )
    assert logged_out.status_code == 204
    after = api.op("users", "users_me_retrieve").sync_detailed(client=me)
    assert after.status_code == 401
    assert isinstance(after.parsed, m("Error"))
    assert after.parsed.code == "token_revoked"


def test_the_schema_carries_the_services_version():
    assert openapi_document()["info"]["version"] == library_project.__version__
