"""The district's approved-apps list (issue 16.4): one row per app that its staff asked for, with the status a parent
can rely on. Read, never stored: the status comes from the district's agreements as they are now (16.5), so an
agreement that expires, ends early or is withdrawn changes the list at once, without any job keeping it up to date.

What a row holds is chosen, not filtered: the app's name, its public status, the agreement's public page, the reason
only when the district chose to show it, and the approved alternative it named. Never who asked (name, e-mail), the
request's purpose or data, the district's question or its internal notes: those columns are not even read.

Two queries whatever the number of requests: the district's listed requests, then its agreements for them and
those in effect.
"""

from dataclasses import dataclass

from django.db.models import Q

from agreements.models import Agreement
from agreements.models.statuses import BEFORE_EXECUTION, ENDED_OR_CLOSED, AgreementStatus
from vendors.matching import name_key

from .models import AppRequest

APPROVED, IN_REVIEW, ENDED, NOT_APPROVED = "approved", "in_review", "ended", "not_approved"
# The order of the statuses when one app has several requests or agreements: the best news a parent can rely on.
PRECEDENCE = (APPROVED, IN_REVIEW, ENDED, NOT_APPROVED)

# A request the district has not acted on (submitted, or only offered the fast track) is not on the list: its name
# is a teacher's free text that nobody at the district has read yet, and the app is not in use. One the teacher
# withdrew is not either.
_ACTED_ON = (AppRequest.Status.APPROVED, AppRequest.Status.IN_REVIEW, AppRequest.Status.MORE_INFO_ASKED)
_DECLINED = AppRequest.Status.DECLINED


@dataclass(frozen=True)
class PublicApp:
    name: str
    status: str  # one of PRECEDENCE
    agreement_id: int | None = None  # its posted page (approved, or ended: the page stays posted)
    reason: str = ""  # only when the district chose to show it
    alternative: str = ""  # an approved app the district suggests instead
    alternative_agreement_id: int | None = None


def _listed_requests(agency):
    """The requests that may put an app on the list, with only the columns the list may show."""
    acted_on = Q(agreement__isnull=False) | Q(product__isnull=False) | Q(status__in=[*_ACTED_ON, _DECLINED])
    return (
        AppRequest.objects.filter(agency=agency)
        .exclude(status=AppRequest.Status.WITHDRAWN)
        .filter(acted_on)
        .order_by("created_at", "pk")
        .values_list(
            "status",
            "app_name",
            "name_key",
            "product_id",
            "product__name",
            "agreement_id",
            "reason",
            "reason_shown",
            "alternative_id",
            "alternative__name",
            named=True,
        )
    )


def approved_apps(agency) -> list[PublicApp]:
    """The district's list, by name: the apps its staff asked for, and every product of an agreement in effect (an
    app the district signed for before anyone asked, or before the portal had requests, is in use too)."""
    requests = list(_listed_requests(agency))
    products = {pk for r in requests for pk in (r.product_id, r.alternative_id) if pk}
    linked = {r.agreement_id for r in requests if r.agreement_id}
    # The district's agreements for these apps: the ones the requests are linked to, any other covering the same
    # product (a renewal signed later, or one signed before anyone asked), and every one in effect.
    rows = (
        Agreement.objects.filter(agency=agency)
        .filter(Q(pk__in=linked) | Q(products__in=products) | Q(status=AgreementStatus.EXECUTED))
        .values_list("pk", "status", "products", "products__name")
        .distinct()
    )
    by_pk, by_product, product_names = {}, {}, {}
    for pk, status, product, product_name in rows:
        by_pk[pk] = status
        if product is not None:
            by_product.setdefault(product, set()).add(pk)
            product_names[product] = product_name

    groups: dict = {}
    for request in requests:
        product = request.product_id
        key = ("product", product) if product else ("name", request.name_key or request.app_name.casefold())
        groups.setdefault(key, []).append(request)
    # The products in effect that nobody asked for, each its own app.
    for product, pks in by_product.items():
        if ("product", product) not in groups and _newest(pks, by_pk, (AgreementStatus.EXECUTED,)):
            groups[("product", product)] = []
    # A request without a product whose name is that of a product on the list joins it.
    keys = {name_key(product_names[k[1]]): k for k in groups if k[0] == "product" and product_names.get(k[1])}
    keys.update({r.name_key: ("product", r.product_id) for r in requests if r.product_id and r.name_key})
    for key in [k for k in groups if k[0] == "name" and k[1] in keys]:
        groups[keys[key[1]]].extend(groups.pop(key))

    apps = [_row(key, reqs, by_pk, by_product, product_names) for key, reqs in groups.items()]
    return sorted((app for app in apps if app is not None), key=lambda app: (app.name.casefold(), app.name))


def _newest(pks, by_pk, statuses):
    found = [pk for pk in pks if by_pk.get(pk) in statuses]
    return max(found) if found else None


def _row(key, requests, by_pk, by_product, product_names) -> PublicApp | None:
    product = key[1] if key[0] == "product" else None
    name = (
        product_names.get(product)
        or next((r.product__name for r in requests if r.product__name), None)
        or requests[0].app_name
    )
    pks = {r.agreement_id for r in requests if r.agreement_id} | by_product.get(product, set())
    for r in requests:
        pks |= by_product.get(r.product_id, set())

    executed = _newest(pks, by_pk, (AgreementStatus.EXECUTED,))
    if executed:
        return PublicApp(name, APPROVED, agreement_id=executed)
    if _newest(pks, by_pk, BEFORE_EXECUTION) or any(r.status in _ACTED_ON[1:] and not r.agreement_id for r in requests):
        # The request's own status counts only while no agreement answers for it: one linked to an agreement that
        # ended stays "in review" in the director's queue, but the app is not.
        return PublicApp(name, IN_REVIEW)
    ended = _newest(pks, by_pk, ENDED_OR_CLOSED)
    if ended:
        return PublicApp(name, ENDED, agreement_id=ended)
    declined = [r for r in requests if r.status == _DECLINED]
    withdrawn_agreement = _newest(pks, by_pk, (AgreementStatus.WITHDRAWN,))
    if not declined and not withdrawn_agreement:
        return None  # only requests the district has not answered yet
    # The newest reason the district chose to show (a duplicate declined without one does not hide it).
    reason = next((r.reason for r in reversed(declined) if r.reason_shown and r.reason), "")
    alternative = next((r for r in reversed(declined) if r.alternative_id), None)
    if alternative is None:
        return PublicApp(name, NOT_APPROVED, reason=reason)
    return PublicApp(
        name,
        NOT_APPROVED,
        reason=reason,
        alternative=alternative.alternative__name,
        alternative_agreement_id=_alternative_agreement(alternative.alternative_id, by_pk, by_product),
    )


def _alternative_agreement(product, by_pk, by_product):
    return _newest(by_product.get(product, set()), by_pk, (AgreementStatus.EXECUTED,))
