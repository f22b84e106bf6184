"""The Persian translation is complete: every string the code marks has a checked Persian text,
and running `makemessages` on the code finds nothing new (CI has GNU gettext for that)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from conftest import IN_CI

PERSIAN_PO = Path(settings.BASE_DIR) / "locale" / "fa" / "LC_MESSAGES" / "django.po"
# What `make messages` leaves out, and what a copy of the project need not carry.
NOT_SCANNED = {".git", ".venv", "build", "bench", "fixtures", "media", "staticfiles", "test-output"}


def _catalog(path: Path):
    with path.open("rb") as po:
        return read_po(po, ignore_obsolete=True)


def _untranslated(catalog) -> list[str]:
    """The msgids with no Persian text, or only a fuzzy (unchecked) one."""

    def empty(string) -> bool:
        return not all(string) if isinstance(string, tuple) else not string

    return [
        str(message.id)
        for message in catalog
        if message.id and (empty(message.string) or message.fuzzy)
    ]


def test_every_marked_string_has_a_persian_text_with_the_same_placeholders():
    catalog = _catalog(PERSIAN_PO)
    assert len(catalog) > 0
    assert _untranslated(catalog) == []
    # Babel's checks: python-format placeholders and plural forms agree with the English.
    problems = [(str(message.id), [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_makemessages_finds_no_string_missing_from_the_persian_catalog(tmp_path):
    if shutil.which("xgettext") is None:
        reason = "needs GNU gettext (xgettext) to run makemessages: bash .ci/setup-system.sh"
        if IN_CI:
            pytest.fail(f"CI=true and this test {reason}", pytrace=False)
        pytest.skip(reason)
    project = tmp_path / "project"
    shutil.copytree(settings.BASE_DIR, project, ignore=lambda _dir, names: NOT_SCANNED & set(names))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fa", "--no-obsolete"],
        cwd=project,
        env={**os.environ, "DEBUG": "true"},
        check=True,
        capture_output=True,
    )

    fresh = _catalog(project / "locale" / "fa" / "LC_MESSAGES" / "django.po")
    committed = _catalog(PERSIAN_PO)
    assert _untranslated(fresh) == []
    assert {str(m.id) for m in fresh if m.id} == {str(m.id) for m in committed if m.id}
