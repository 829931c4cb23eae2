"""Load the framework catalogues (exhibits/frameworks/*.json) into the database, idempotently.

Each file is one version of a framework. Loading updates names and descriptions in place and never deletes a
category, because Exhibit C.1 responses point at categories and an executed agreement must keep its rows.
"""

import json
from datetime import date
from pathlib import Path

from django.apps import apps as global_apps
from django.db import transaction

CATALOGUE_DIR = Path(__file__).resolve().parent / "frameworks"


def catalogue_files() -> list[Path]:
    return sorted(CATALOGUE_DIR.glob("*.json"))


def load_catalogue(data: dict, apps=global_apps) -> tuple[object, bool]:
    """Create or update one framework version from its parsed file; return (framework, changed)."""
    Framework = apps.get_model("exhibits", "Framework")
    FrameworkFunction = apps.get_model("exhibits", "FrameworkFunction")
    FrameworkCategory = apps.get_model("exhibits", "FrameworkCategory")

    changed = False
    with transaction.atomic():
        framework, created = _upsert(
            Framework,
            {"code": data["code"], "version": data["version"]},
            {
                "name": data["name"],
                "published": date.fromisoformat(data["published"]) if data.get("published") else None,
                "source": data.get("source", ""),
            },
        )
        changed |= created
        position = 0
        for function_position, function_data in enumerate(data["functions"], 1):
            function, created = _upsert(
                FrameworkFunction,
                {"framework": framework, "identifier": function_data["identifier"]},
                {
                    "name": function_data["name"],
                    "description": function_data.get("description", ""),
                    "position": function_position,
                },
            )
            changed |= created
            for category_data in function_data["categories"]:
                position += 1
                _, created = _upsert(
                    FrameworkCategory,
                    {"framework": framework, "identifier": category_data["identifier"]},
                    {
                        "function": function,
                        "name": category_data["name"],
                        "description": category_data["description"],
                        "position": position,
                    },
                )
                changed |= created
    return framework, changed


def _upsert(model, lookup: dict, values: dict):
    """update_or_create that writes only when a value differs, and reports whether anything changed."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    if created:
        return obj, True
    stale = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if stale:
        for name, value in stale.items():
            setattr(obj, name, value)
        obj.save(update_fields=list(stale))
    return obj, bool(stale)


def load_all_catalogues(apps=global_apps) -> list[tuple[object, bool]]:
    return [load_catalogue(json.loads(path.read_text(encoding="utf-8")), apps) for path in catalogue_files()]
