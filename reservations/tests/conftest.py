import pytest


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """SMS and email go to in-memory outboxes; nothing leaves the test."""
