from collections.abc import Callable

import pytest

from core.hooks import Hook, HookError, declared_hooks


@pytest.fixture(autouse=True)
def _forget_the_test_hooks():
    yield
    for name in [name for name in Hook._declared if name.startswith("test.")]:
        del Hook._declared[name]


def test_a_registered_hook_calls_its_implementation():
    doubled = Hook[Callable[[int], int]]("test.doubled")
    doubled.register(lambda n: 2 * n)
    assert doubled(21) == 42


def test_registering_a_hook_twice_is_an_error():
    once = Hook[Callable[[], None]]("test.once")
    once.register(lambda: None)
    with pytest.raises(HookError, match=r"'test\.once' is already registered"):
        once.register(lambda: None)


def test_calling_a_hook_nobody_registered_is_an_error():
    unanswered = Hook[Callable[[], None]]("test.unanswered")
    with pytest.raises(HookError, match=r"'test\.unanswered' is called but no app registered it"):
        unanswered()


def test_a_hook_with_a_default_runs_it_until_an_app_registers():
    answer = Hook[Callable[[], str]]("test.defaulted", default=lambda: "alone")
    assert answer() == "alone"
    answer.register(lambda: "registered")
    assert answer() == "registered"


def test_declaring_two_hooks_under_one_name_is_an_error():
    Hook[Callable[[], None]]("test.named")
    with pytest.raises(HookError, match=r"'test\.named' is declared twice"):
        Hook[Callable[[], None]]("test.named")


def test_every_hook_of_the_apps_is_registered_once_the_apps_are_ready():
    apps_hooks = [hook for hook in declared_hooks() if not hook.name.startswith("test.")]
    assert len(apps_hooks) >= 10
    assert [hook.name for hook in apps_hooks if not hook.is_registered] == []
