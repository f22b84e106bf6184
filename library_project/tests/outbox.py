"""The SMS and email a test sent, read one way: the codes texted and the link tokens mailed."""

import re

from django.core import mail

from accounts import sms

LINK_TOKEN = re.compile(r"token=([\w-]+)")


class Outbox:
    """Both in-memory outboxes; the `outbox` fixture turns the in-memory backends on and empties them."""

    @property
    def sms(self) -> list:
        return sms.outbox

    @property
    def mail(self) -> list:
        return mail.outbox

    def clear(self) -> None:
        sms.outbox.clear()
        mail.outbox = []

    def sms_to(self, phone: str) -> list:
        return [message for message in sms.outbox if message.to == phone]

    def mail_to(self, address: str) -> list:
        return [message for message in mail.outbox if message.to == [address]]

    def last_code(self, phone: str | None = None) -> str:
        """The code that ends the last SMS (to `phone`, when given)."""
        texts = self.sms_to(phone) if phone else sms.outbox
        assert texts, f"no SMS to {phone}" if phone else "no SMS sent"
        return texts[-1].body.rsplit(" ", 1)[-1]

    def link_token(self, message=None, *, to: str | None = None) -> str:
        """The token in a mailed link: of `message`, or of the last email (to `to`, when given)."""
        if message is None:
            letters = self.mail_to(to) if to else mail.outbox
            assert letters, f"no email to {to}" if to else "no email sent"
            message = letters[-1]
        return LINK_TOKEN.search(message.body).group(1)


outbox = Outbox()
