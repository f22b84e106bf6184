"""The auth service is a package of small modules that still answers to its one old name."""

import importlib
import inspect
import pkgutil
from pathlib import Path

from accounts import services

MODULES = [
    importlib.import_module(f"accounts.services.{info.name}")
    for info in pkgutil.iter_modules(services.__path__)
]


def test_every_public_name_of_every_module_is_offered_by_the_package():
    public = {
        name
        for module in MODULES
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", module.__name__) == module.__name__
        and (inspect.isfunction(value) or inspect.isclass(value) or name.isupper())
    }
    assert public == set(services.__all__)
    assert all(getattr(services, name) is not None for name in services.__all__)


def test_each_module_of_the_service_stays_small():
    sizes = {
        module.__name__: len(Path(module.__file__).read_text().splitlines()) for module in MODULES
    }
    assert len(sizes) >= 7
    assert max(sizes.values()) <= 250, sizes
