"""The `Error` component names every extra a refusal can carry: a generated client reads each one
as a typed field instead of dropping it."""

import ast
from pathlib import Path

from django.conf import settings

import accounts.errors
import catalog.errors
import purchasing.errors
import reservations.errors
from core.error_shapes import ErrorSerializer
from core.errors import DomainError

APPS = ["accounts", "catalog", "core", "purchasing", "reservations"]
ERROR_MODULES = [accounts.errors, catalog.errors, purchasing.errors, reservations.errors]


def _domain_error_names() -> set[str]:
    assert ERROR_MODULES  # imported so that every subclass exists
    found, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _source_files():
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _string_keys(node: ast.Dict) -> set[str]:
    return {key.value for key in node.keys if isinstance(key, ast.Constant)}


def extras_in_source() -> set[str]:
    """Every extra the code hands a domain error: keyword arguments of a construction (and of
    `super().__init__` inside one), keys of `self.extra = {...}` and of the dicts the
    reservation rules build a refusal's arguments from."""
    names = _domain_error_names()
    extras = set()
    for path in _source_files():
        tree = ast.parse(path.read_text())
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if cls.name not in names:
                continue
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and _called_name(node) == "__init__":
                    extras |= {k.arg for k in node.keywords if k.arg}
                if (
                    isinstance(node, ast.Assign)
                    and isinstance(node.value, ast.Dict)
                    and any(
                        isinstance(t, ast.Attribute) and t.attr == "extra" for t in node.targets
                    )
                ):
                    extras |= _string_keys(node.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in names:
                extras |= {k.arg for k in node.keywords if k.arg}
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", 0)]
            if isinstance(node, ast.Assign | ast.AnnAssign) and any(
                isinstance(t, ast.Name) and t.id == "REFUSALS" for t in targets
            ):
                for lam in (n for n in ast.walk(node.value) if isinstance(n, ast.Lambda)):
                    if isinstance(lam.body, ast.Dict):
                        extras |= _string_keys(lam.body)
    return extras - {"detail", "code"}


def test_every_extra_a_refusal_carries_is_a_typed_field_of_the_error_component():
    extras = extras_in_source()
    # The scan sees each way an extra is passed: a raise, a super().__init__, a rule's table.
    assert {"retry_after", "required_amount", "max_days", "limit", "units_on_loan"} <= extras
    assert extras <= set(ErrorSerializer().fields), extras - set(ErrorSerializer().fields)
