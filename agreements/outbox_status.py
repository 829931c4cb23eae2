"""Whether the portal's e-mails went out (issue 15), read for the pages that show it: the district dashboard's panel of
undelivered e-mails, and the line under a duty-bearing thing (a breach report, an invitation, a duty) that says
whether its e-mail was sent. Each is one query through a small index (the outbox's status, or what an e-mail is about).

The pages show them with one partial, templates/agreements/_email_delivery.html.
"""

from .models import OutboundEmail

# The dashboard lists at most this many; the admin's outbox ("Needs a person") has them all.
UNDELIVERED_LISTED = 20


def district_undelivered(*, agency) -> list[OutboundEmail]:
    """The e-mails about the district's agreements that have not gone out after a failed attempt: those still being
    tried, and those given up (for a person to send again), newest first."""
    return list(
        OutboundEmail.objects.filter(status__in=OutboundEmail.UNDELIVERED, agreement__agency=agency)
        .select_related("agreement__contractor")
        .defer("body_text", "body_html")
        .order_by("-created_at")[:UNDELIVERED_LISTED]
    )


def email_delivery(kind: str, ids, *, agency=None) -> dict[int, OutboundEmail]:
    """The latest e-mail about each of `ids` (breach reports, invitations or duties: `kind` is an
    OutboundEmail.About), keyed by id; a thing with no e-mail is absent. With `agency`, only the e-mails about that
    district's agreements (a breach report to several districts has one notice for each)."""
    latest: dict[int, OutboundEmail] = {}
    emails = (
        OutboundEmail.objects.filter(about_kind=kind, about_id__in=list(ids))
        .select_related("agreement__agency")
        .defer("body_text", "body_html")
    )
    if agency is not None:
        emails = emails.filter(agreement__agency=agency)
    for email in emails.order_by("created_at", "pk"):
        latest[email.about_id] = email
    return latest
