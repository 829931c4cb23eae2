"""The Spanish catalogue: the compiled .mo is up to date with the .po, and every message is translated.

Read with the standard library only (gettext reads the .mo; a few lines read the .po), so the test needs no
gettext tools: it fails when someone edits django.po and forgets `manage.py compilemessages`.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"


def read_po(path: Path) -> dict:
    """{msgid or (msgid, msgid_plural): msgstr or {n: msgstr}} for every entry that is not fuzzy or obsolete."""
    entries, entry, key, fuzzy = {}, {}, None, False

    def finish():
        if "msgid" in entry and entry["msgid"] and not fuzzy:
            if "msgid_plural" in entry:
                entries[(entry["msgid"], entry["msgid_plural"])] = entry["plural"]
            else:
                entries[entry["msgid"]] = entry.get("msgstr", "")

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            finish()
            entry, key, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr ")):
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
        elif line.startswith("msgstr["):
            index, _, value = line.partition(" ")
            key = int(index[7:-1])
            entry.setdefault("plural", {})[key] = ast.literal_eval(value)
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, int):
                entry["plural"][key] += value
            else:
                entry[key] += value
    return entries


def read_mo(path: Path) -> dict:
    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    messages = {}
    for msgid, msgstr in catalog.items():
        if isinstance(msgid, tuple):  # (msgid, n) for plurals
            messages.setdefault(msgid[0], {})[msgid[1]] = msgstr
        elif msgid:
            messages[msgid] = msgstr
    return messages


def test_the_mo_file_is_compiled_from_the_current_po_file():
    po, mo = read_po(LOCALE / "django.po"), read_mo(LOCALE / "django.mo")
    assert len(po) > 150
    expected = {(k[0] if isinstance(k, tuple) else k): v for k, v in po.items()}
    assert mo == expected, "locale/es/LC_MESSAGES/django.mo is out of date: run manage.py compilemessages -l es"


def test_every_message_is_translated():
    untranslated = [
        k for k, v in read_po(LOCALE / "django.po").items() if not (all(v.values()) if isinstance(v, dict) else v)
    ]
    assert untranslated == []


@pytest.mark.parametrize(("english", "spanish"), [("In effect", "Vigente"), ("Encryption", "Cifrado")])
def test_django_finds_the_catalogue(english, spanish):
    with translation.override("es"):
        assert translation.gettext(english) == spanish
