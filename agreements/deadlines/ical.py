"""An iCalendar (RFC 5545) feed of a person's deadlines: one all-day event per open duty, on its due date.

Written by hand: the format needs a few properties, escaping of text and folding of long lines, which is less code
than a dependency to keep.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone

from .calendar import long_date

PRODID = "-//DPA Portal//Deadlines//EN"


def _escape(text: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newlines are escaped; other controls dropped."""
    text = str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in text if ch >= " " or ch == "\t")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1), never inside a character."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def calendar_for(obligations, *, name: str) -> str:
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "dpa-portal"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for o in obligations:
        party = o.contractor if o.owed_by == "vendor" and o.contractor else o.agency
        title = f"Review the delay: {o.title.lower()}" if o.delay_under_review else o.title
        summary = f"{'OVERDUE: ' if o.is_late else ''}{title} ({party})"
        description = "\n".join(
            part
            for part in [
                f"Due from {party} to {o.owed_to}.",
                f"{o.rule}",
                f"Source: {o.source}.",
                o.due_explanation,
                f"Clock started {long_date(o.clock_started_on)}.",
            ]
            if part
        )
        url = f"{settings.SITE_URL}/deadlines/{o.pk}/"
        lines += [
            "BEGIN:VEVENT",
            f"UID:obligation-{o.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{o.due_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{o.due_on + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description + chr(10) + url)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
