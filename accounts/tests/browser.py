"""Browser-test steps shared by the apps' admin tests."""

from accounts.tests.factories import PASSWORD
from library_project.tests.outbox import outbox


def sign_in_to_admin(page, base_url: str, email: str, next_path: str = "/admin/") -> None:
    """Both steps of the admin's sign-in form: the password, then the code from the SMS."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/login/code/**")
    page.fill("#id_code", outbox.last_code())
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
