"""The public cards' tags format dates themselves, each month's name translated once a page
(public_records._Texts.date): the same text as formats.date_format for every day, in every language."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format

from exhibits.templatetags.public_records import _Texts


def test_every_date_is_written_as_date_format_writes_it():
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts, day = _Texts(), date(2024, 1, 1)
            while day < date(2029, 1, 1):
                assert texts.date(day) == date_format(day, "DATE_FORMAT"), (code, day)
                day += timedelta(days=1)
            assert texts.date(None) == ""
