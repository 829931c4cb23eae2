"""Whether a duty-bearing e-mail went out, on the page of what it is about (issue 15), rendered with
agreements/_email_delivery.html from agreements/outbox_status.py email_delivery (one indexed query):

    {% load outbox %}{% email_status "breach_report" report.pk agency=agency %}

or, for a list, one query for all of it:

    {% email_deliveries "invitation" invitations as delivered %}
    {% for invitation in invitations %}{% email_status_in delivered invitation.pk %}{% endfor %}

`agency` keeps the e-mail to that district where one thing has an e-mail to each of several districts (a breach
report). A district admin of the e-mail's agreement also gets "Send again" when it did not go out (the view checks
the same again).
"""

from django import template

from ..access import DISTRICT_ADMIN, is_district_staff
from ..outbox_status import email_delivery

register = template.Library()
TEMPLATE = "agreements/_email_delivery.html"


@register.inclusion_tag(TEMPLATE, takes_context=True)
def email_status(context, kind: str, pk: int, agency=None, label: str = ""):
    return _shown(context, email_delivery(kind, [pk], agency=agency).get(pk), label)


@register.simple_tag
def email_deliveries(kind: str, things) -> dict:
    return email_delivery(kind, [thing.pk for thing in things])


@register.inclusion_tag(TEMPLATE, takes_context=True)
def email_status_in(context, deliveries: dict, pk: int, label: str = ""):
    return _shown(context, deliveries.get(pk), label)


def _shown(context, email, label: str) -> dict:
    request = context.get("request")
    district = email.agreement.agency if email is not None and email.agreement_id else None
    can_send_again = (
        district is not None
        and email.status in email.UNDELIVERED
        and request is not None
        and is_district_staff(request.user, district.pk, roles=DISTRICT_ADMIN)
    )
    return {
        "email": email,
        "label": label,
        "send_again_slug": district.slug if can_send_again else None,
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
