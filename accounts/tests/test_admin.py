"""The accounts admin: finding users, revoking tokens through the auth service (never an admin's),
signing members up, and customers with their plan, wallet and counts in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer, User
from accounts.tests.conftest import as_user
from accounts.tests.factories import (
    PASSWORD,
    AdminFactory,
    CustomerFactory,
    MembershipFactory,
    UserFactory,
)
from library_project.tests.outbox import outbox
from purchasing.models import Wallet
from purchasing.tests.factories import fund
from reservations.tests.factories import QueueEntryFactory, ReservationFactory

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")
CUSTOMERS = reverse("admin:accounts_customer_changelist")


@pytest.fixture
def staff(admin):
    return admin


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def messages_of(response, level_tag: str) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == level_tag]


def revoke_url(user) -> str:
    return reverse("admin:accounts_user_revoke_tokens", args=[user.pk])


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- finding users --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["ReaderX@Example.com", "+989350009999", "Parvin", "Rostami"],
    ids=["email", "phone", "first name", "last name"],
)
def test_users_are_found_by_email_phone_or_name(staff_client, query):
    wanted = UserFactory(
        email="readerx@example.com", phone="+989350009999", first_name="Parvin", last_name="Rostami"
    )
    UserFactory()
    assert listed(staff_client.get(USERS, {"q": query})) == [wanted]


def test_users_are_filtered_by_active_and_admin(staff_client, staff):
    inactive = UserFactory(is_active=False)
    member = UserFactory()
    assert listed(staff_client.get(USERS, {"is_active__exact": "0"})) == [inactive]
    assert listed(staff_client.get(USERS, {"is_staff__exact": "1"})) == [staff]
    assert member in listed(staff_client.get(USERS, {"is_staff__exact": "0"}))


def test_users_are_filtered_by_their_plan_as_of_now(staff_client, staff):
    plus = MembershipFactory(plan="plus").customer.user
    premium_customer = MembershipFactory(plan="premium").customer
    MembershipFactory(customer=premium_customer, plan="plus")  # premium wins over plus
    lapsed = MembershipFactory(
        starts_at=timezone.now() - timedelta(days=60), ends_at=timezone.now() - timedelta(days=1)
    ).customer.user
    assert listed(staff_client.get(USERS, {"plan": "plus"})) == [plus]
    assert listed(staff_client.get(USERS, {"plan": "premium"})) == [premium_customer.user]
    free = listed(staff_client.get(USERS, {"plan": "free"}))
    assert lapsed in free and staff in free
    assert plus not in free and premium_customer.user not in free


# --- revoking tokens ------------------------------------------------------------------------


def test_the_user_page_offers_revoke_all_tokens(staff_client, member):
    response = staff_client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    assert revoke_url(member).encode() in response.content


def test_revoke_asks_for_confirmation_before_changing_anything(staff_client, member):
    response = staff_client.get(revoke_url(member))
    assert response.status_code == 200
    assert b"Revoke every token of this account?" in response.content
    member.refresh_from_db()
    assert member.tokens_valid_after is None


def test_confirming_revoke_makes_every_earlier_token_of_the_member_answer_401(staff_client, member):
    api = as_user(member)
    assert api.get("/api/users/me/").status_code == 200
    response = staff_client.post(revoke_url(member), {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[member.pk])
    assert messages_of(response, "success") == [
        f"Revoked all tokens of {member.email}: every token issued before now is rejected."
    ]
    assert api.get("/api/users/me/").status_code == 401


def test_revoking_an_admin_is_refused_with_a_message_and_changes_nothing(client, staff):
    other_admin = AdminFactory()
    client.force_login(staff)
    response = client.post(revoke_url(other_admin), {"confirm": "yes"})
    assert response.status_code == 302
    assert messages_of(response, "error") == [
        f"The tokens of an admin cannot be revoked. Nothing was changed for {other_admin.email}."
    ]
    other_admin.refresh_from_db()
    assert other_admin.tokens_valid_after is None
    assert as_user(other_admin).get("/api/users/me/").status_code == 200


def test_the_revoke_action_revokes_members_and_refuses_admins(staff_client, staff, member):
    other_member = CustomerFactory().user
    selection = {"action": "revoke_tokens", "_selected_action": [member.pk, other_member.pk]}
    selection["_selected_action"].append(staff.pk)

    asked = staff_client.post(USERS, {**selection, "index": 0})
    assert asked.status_code == 200
    assert b"admin \xe2\x80\x94 will be refused" in asked.content
    assert not User.objects.filter(tokens_valid_after__isnull=False).exists()

    done = staff_client.post(USERS, {**selection, "confirm": "yes"})
    assert messages_of(done, "error") == [
        f"The tokens of an admin cannot be revoked. Nothing was changed for {staff.email}."
    ]
    assert messages_of(done, "success")[-1] == "Revoked the tokens of 2 users."
    assert set(User.objects.filter(tokens_valid_after__isnull=False)) == {member, other_member}


def test_staff_without_the_change_permission_cannot_revoke(client, member):
    viewer = UserFactory(is_staff=True)
    client.force_login(viewer)
    assert client.post(revoke_url(member), {"confirm": "yes"}).status_code == 403
    member.refresh_from_db()
    assert member.tokens_valid_after is None


# --- adding and changing users --------------------------------------------------------------


def sign_up_form(**changes) -> dict:
    return {
        "email": "New.Member@Example.com",
        "phone": "+989121110000",
        "first_name": "Nika",
        "last_name": "Sadeghi",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }


def test_the_add_user_page_asks_for_the_sign_up_fields(staff_client):
    html = staff_client.get(reverse("admin:accounts_user_add")).content.decode()
    for field in ["email", "phone", "first_name", "last_name", "password1", "password2"]:
        assert f'name="{field}"' in html
    assert 'name="is_staff"' not in html


def test_adding_a_user_signs_them_up_with_a_customer_and_an_empty_wallet(
    staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:accounts_user_add"), sign_up_form())
    assert response.status_code == 302, response.context and response.context["errors"]
    user = User.objects.get(email="new.member@example.com")
    assert not user.is_active
    assert user.check_password(PASSWORD)
    assert Wallet.objects.get(customer__user=user).balance == 0
    assert [m.to for m in outbox.mail] == [["new.member@example.com"]]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "MEMBER-TAKEN@example.com"}, "email"),
        ({"phone": "+989121119999"}, "phone"),
        ({"password1": "short", "password2": "short"}, "password2"),
        ({"password2": "Other!Passw0rd"}, "password2"),
        ({"phone": "0912"}, "phone"),
    ],
    ids=["email taken", "phone taken", "weak password", "passwords differ", "bad phone"],
)
def test_a_refused_sign_up_in_the_admin_shows_the_field_and_creates_nothing(
    staff_client, changes, field
):
    UserFactory(email="member-taken@example.com", phone="+989121119999")
    before = (User.objects.count(), Customer.objects.count())
    response = staff_client.post(reverse("admin:accounts_user_add"), sign_up_form(**changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert (User.objects.count(), Customer.objects.count()) == before


def test_changing_a_users_name_and_phone_goes_through_the_profile_service(staff_client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    form = {
        "phone": "+989121112222",
        "first_name": "Renamed",
        "last_name": member.last_name,
        "is_staff": "",
        "is_superuser": "",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.phone, member.is_staff) == (
        "Renamed",
        "+989121112222",
        False,
    )


def test_the_user_page_has_no_input_for_email_activity_or_revocation_time(staff_client, member):
    html = staff_client.get(reverse("admin:accounts_user_change", args=[member.pk])).content
    for field in [b"email", b"is_active", b"tokens_valid_after", b"password"]:
        assert b'name="' + field + b'"' not in html


def test_users_cannot_be_deleted_in_the_admin(staff_client, member):
    response = staff_client.post(
        reverse("admin:accounts_user_delete", args=[member.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=member.pk).exists()


# --- customers ------------------------------------------------------------------------------


def test_the_customer_list_shows_plan_its_end_balance_and_counts(staff_client):
    membership = MembershipFactory(plan="premium")
    customer = membership.customer
    fund(customer, 12_345)
    ReservationFactory(customer=customer)
    ReservationFactory(customer=customer)
    QueueEntryFactory(customer=customer, book=ReservationFactory().book, days=2)
    response = staff_client.get(CUSTOMERS, {"q": customer.user.email})
    [row] = listed(response)
    assert (row.plan_now, row.active_reservations_count, row.waiting_entries_count) == (
        "premium",
        2,
        1,
    )
    html = response.content.decode()
    assert "12345" in html
    assert f"{membership.ends_at:%Y-%m-%d %H:%M} UTC" in html


def test_the_customer_list_costs_the_same_number_of_queries_for_3_or_12_customers(
    staff_client, django_assert_max_num_queries
):
    def load() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(CUSTOMERS).status_code == 200
        return len(queries)

    for _ in range(3):
        MembershipFactory()
    few = load()
    for _ in range(9):
        ReservationFactory(customer=MembershipFactory(plan="premium").customer)
    assert load() == few
    with django_assert_max_num_queries(few):
        staff_client.get(CUSTOMERS)


def test_the_customer_list_filters_by_plan(staff_client):
    premium = MembershipFactory(plan="premium").customer
    MembershipFactory(plan="plus")
    assert listed(staff_client.get(CUSTOMERS, {"plan": "premium"})) == [premium]


def test_the_customer_page_shows_the_wallet_but_offers_no_input_for_money(staff_client, member):
    customer = member.customer
    fund(customer, 5_000)
    MembershipFactory(customer=customer)
    response = staff_client.get(reverse("admin:accounts_customer_change", args=[customer.pk]))
    html = response.content.decode()
    assert "5000" in html
    for field in ["balance", "wallet", "amount", "price_paid", "memberships-0-plan"]:
        assert f'name="{field}"' not in html
    assert 'name="address"' in html


def test_changing_a_customer_in_the_admin_keeps_the_wallet_and_memberships(staff_client, member):
    customer = member.customer
    fund(customer, 5_000)
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    response = staff_client.post(
        url,
        {
            "city": "",
            "address": "12 Library Lane",
            "date_of_birth": "",
            "balance": 999_999,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    customer.refresh_from_db()
    assert customer.address == "12 Library Lane"
    assert customer.wallet.balance == 5_000


def test_customers_and_memberships_cannot_be_added_changed_or_deleted_directly(
    staff_client, member
):
    membership = MembershipFactory(customer=member.customer)
    forbidden = [
        reverse("admin:accounts_customer_add"),
        reverse("admin:accounts_customer_delete", args=[member.customer.pk]),
        reverse("admin:accounts_membership_add"),
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        reverse("admin:accounts_membership_delete", args=[membership.pk]),
    ]
    for url in forbidden:
        assert staff_client.post(url, {"post": "yes", "price_paid": 1}).status_code == 403, url
    membership.refresh_from_db()
    assert membership.price_paid == 50_000


def test_changing_my_password_in_the_admin_revokes_my_api_tokens(staff_client, staff):
    from accounts.tests.factories import PASSWORD

    api = as_user(staff)
    assert api.get("/api/users/me/").status_code == 200
    new_password = "Another#Pass2026"
    response = staff_client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:password_change_done")
    staff.refresh_from_db()
    assert staff.check_password(new_password)
    assert api.get("/api/users/me/").status_code == 401
    assert staff_client.get(USERS).status_code == 200  # the admin session itself stays signed in


def test_a_wrong_old_password_in_the_admin_changes_nothing(staff_client, staff):
    from accounts.tests.factories import PASSWORD

    response = staff_client.post(
        reverse("admin:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "Another#Pass2026",
            "new_password2": "Another#Pass2026",
        },
    )
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
