"""Length limits of what people type (issue 10): one number per field, written beside its model, held everywhere.

Each app writes its limits once, as constants beside the model (e.g. `exhibits.models.EXHIBIT_B_LENGTHS`), and:

- the model holds them: a CharField's `max_length`; a TextField made by `bounded_text` gets a `MaxLengthValidator`
  and a `MaxLinesValidator` (`full_clean`, ModelForms, the admin) and `length_checks` a database CHECK constraint,
  which also holds for every writer that skips validation (services, answer reuse, `QuerySet.update`, the shell);
- the form reads them: a ModelForm from the model field, a plain form with `text_form_field(Model, "field")` (or
  `max_length(Model, "field")` for a one-line field);
- the page shows them: the field's `maxlength` attribute, and static/js/charcount.js writes "N characters left" under
  each textarea that has one.

Why a TextField with a CHECK rather than a CharField: a TextField stays a multi-line field in every form and in the
admin; SQLite (the development database) ignores varchar lengths but enforces a CHECK; and on PostgreSQL a CHECK can
be added without rejecting rows written before the limit (`AddLengthChecks` below), where `ALTER COLUMN ... TYPE
varchar(n)` would fail on the first longer one.

A text's lines are bounded too (`max_lines`: one per 50 characters of its limit, at least 10): each line break costs a
printed line, and a 5,000-character answer of line breaks alone would be a hundred pages of the DPA.

Browsers count a line break as one character for `maxlength` and send it as two (CR LF); `Textarea` turns them back
into one, so that what the counter allowed is what the form and the model accept.
"""

from django import forms
from django.contrib.postgres.operations import AddConstraintNotValid
from django.core.validators import BaseValidator, MaxLengthValidator
from django.db import models
from django.db.migrations.operations import AddConstraint
from django.db.models import Q, Value
from django.db.models.functions import Length, Replace
from django.db.models.lookups import LessThanOrEqual
from django.utils.deconstruct import deconstructible

CHARS_PER_LINE = 50
MIN_LINES = 10


def max_lines(max_length: int) -> int:
    """How many lines a text of at most `max_length` characters may hold: a list of short items fits."""
    return max(MIN_LINES, max_length // CHARS_PER_LINE)


def line_count(text: str) -> int:
    """Lines as a page prints them: a line break is LF, CR LF or CR (Django's linebreaksbr reads all three)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1 if text else 0


@deconstructible
class MaxLinesValidator(BaseValidator):
    message = "Keep this to %(limit_value)d lines (it has %(show_value)d)."
    code = "max_lines"

    def compare(self, a, b):
        return a > b

    def clean(self, x):
        return line_count(x)


def bounded_text(*args, max_length: int, **kwargs) -> models.TextField:
    """A TextField of at most `max_length` characters and `max_lines(max_length)` lines: validated by the model (and
    so by its ModelForm), shown by its form field. Pair it with `length_checks` in the model's Meta for the database."""
    validators = [MaxLengthValidator(max_length), MaxLinesValidator(max_lines(max_length))]
    return models.TextField(*args, max_length=max_length, validators=validators, **kwargs)


def _line_breaks(field: str):
    normalised = Replace(Replace(field, Value("\r\n"), Value("\n")), Value("\r"), Value("\n"))
    return Length(normalised) - Length(Replace(normalised, Value("\n"), Value("")))


def length_checks(prefix: str, limits: dict[str, int]) -> list[models.CheckConstraint]:
    """One CHECK per TextField of `limits`, named `<prefix>_<field>_length`: at most that many characters, and at most
    `max_lines` of it lines."""
    return [
        models.CheckConstraint(
            condition=Q(LessThanOrEqual(Length(field), limit))
            & Q(LessThanOrEqual(_line_breaks(field), max_lines(limit) - 1)),
            name=f"{prefix}_{field}_length",
            violation_error_message=f"Keep this to {limit:,} characters and {max_lines(limit)} lines.",
        )
        for field, limit in limits.items()
    ]


def max_length(model, field: str) -> int:
    """The limit of `model.field`, for a plain form's field that ends up there (one number, read from the model)."""
    return model._meta.get_field(field).max_length


def text_form_field(model, field: str, **kwargs) -> forms.CharField:
    """A plain form's multi-line field whose text ends up in `model.field`: that field's limits, and its textarea."""
    limit = max_length(model, field)
    kwargs.setdefault("widget", Textarea(attrs={"rows": 2}))
    return forms.CharField(max_length=limit, validators=[MaxLinesValidator(max_lines(limit))], **kwargs)


class Textarea(forms.Textarea):
    """A textarea whose line breaks arrive as the browser counted them: one character each (LF), not CR LF."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class AddLengthChecks(AddConstraintNotValid):
    """Add a length CHECK without refusing rows written before it (migrations of issue 10).

    On PostgreSQL the constraint is added NOT VALID: every row written or changed from now on is checked, and a longer
    answer stored earlier stays as it was (nothing is truncated; an executed agreement never changes). Its form then
    shows the limit when someone edits it. On another database (SQLite, for development) it is added as usual.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddConstraint.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Create length check {self.constraint.name} on model {self.model_name} (existing rows not refused)"
