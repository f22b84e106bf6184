"""Wallets, ledger rows and payments are read-only everywhere in the admin: staff can look, but
no page lets them add, change or delete a money record."""

import pytest
from django.urls import reverse

from accounts.tests.factories import CustomerFactory
from purchasing.models import Payment, PaymentStatus, TransactionKind, Wallet, WalletTransaction
from purchasing.services import wallet_credit

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    customer = CustomerFactory()
    wallet_credit(customer_id=customer.pk, amount=20_000, kind=TransactionKind.CHARGE)
    wallet = Wallet.objects.get(customer=customer)
    payment = Payment.objects.create(
        wallet=wallet, amount=20_000, status=PaymentStatus.SUCCEEDED, gateway="development"
    )
    return {"wallet": wallet, "wallettransaction": wallet.transactions.get(), "payment": payment}


MONEY_FIELDS = {
    "wallet": {"balance": 1_000_000},
    "wallettransaction": {"amount": 1_000_000, "balance_after": 1_000_000, "kind": "refund"},
    "payment": {"amount": 1_000_000, "status": "pending"},
}


def snapshot(records) -> dict:
    return {
        "wallet": Wallet.objects.values().get(pk=records["wallet"].pk),
        "ledger": list(WalletTransaction.objects.values()),
        "payments": list(Payment.objects.values()),
    }


@pytest.mark.parametrize("model_name", list(MONEY_FIELDS))
def test_a_money_record_page_shows_the_values_without_any_input(staff_client, records, model_name):
    obj = records[model_name]
    response = staff_client.get(reverse(f"admin:purchasing_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "20000" in html
    for field in MONEY_FIELDS[model_name]:
        assert f'name="{field}"' not in html
    assert 'name="_save"' not in html


@pytest.mark.parametrize("model_name", list(MONEY_FIELDS))
def test_posting_to_a_money_record_page_is_forbidden_and_changes_nothing(
    staff_client, records, model_name
):
    before = snapshot(records)
    obj = records[model_name]
    change = staff_client.post(
        reverse(f"admin:purchasing_{model_name}_change", args=[obj.pk]), MONEY_FIELDS[model_name]
    )
    add = staff_client.post(
        reverse(f"admin:purchasing_{model_name}_add"),
        {"wallet": records["wallet"].pk, **MONEY_FIELDS[model_name]},
    )
    delete = staff_client.post(
        reverse(f"admin:purchasing_{model_name}_delete", args=[obj.pk]), {"post": "yes"}
    )
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert snapshot(records) == before


@pytest.mark.parametrize("model_name", list(MONEY_FIELDS))
def test_money_record_lists_offer_no_bulk_action_and_no_add_button(
    staff_client, records, model_name
):
    response = staff_client.get(reverse(f"admin:purchasing_{model_name}_changelist"))
    assert response.status_code == 200
    assert b"delete_selected" not in response.content
    assert reverse(f"admin:purchasing_{model_name}_add").encode() not in response.content


def test_the_ledger_and_payments_lists_narrow_to_one_wallet(staff_client, records):
    other = CustomerFactory()
    wallet_credit(customer_id=other.pk, amount=1_000, kind=TransactionKind.CHARGE)
    wallet = records["wallet"]
    ledger = staff_client.get(
        reverse("admin:purchasing_wallettransaction_changelist"), {"wallet": wallet.pk}
    )
    assert list(ledger.context["cl"].result_list) == [records["wallettransaction"]]
    wallet_page = staff_client.get(reverse("admin:purchasing_wallet_change", args=[wallet.pk]))
    assert f"?wallet={wallet.pk}".encode() in wallet_page.content


def test_ledger_rows_are_searched_by_member_email(staff_client, records):
    other = CustomerFactory()
    wallet_credit(customer_id=other.pk, amount=1_000, kind=TransactionKind.CHARGE)
    email = records["wallet"].customer.user.email
    response = staff_client.get(
        reverse("admin:purchasing_wallettransaction_changelist"), {"q": email}
    )
    assert list(response.context["cl"].result_list) == [records["wallettransaction"]]
