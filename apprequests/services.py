"""The writes of the app requests (issue 16): the district's staff domains, sign-up by e-mail domain, and a request
with the answer the portal can give at once."""

import re
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import token_hash
from agreements.access import DISTRICT_ADMIN, district_emails, require_district_staff
from agreements.mail import email_enqueue
from agreements.models import Agreement
from agreements.models.statuses import BEFORE_EXECUTION, AgreementStatus
from dpa_portal.errors import EXISTS, INVALID, STATE, ApplicationError
from exhibits.models import Submission
from vendors.matching import FREE_MAIL, domain_of, name_key
from vendors.models import Product

from .models import AppRequest, Requester, SignUpLink, StaffDomain
from .selectors import agency_for_email

SIGN_UP_LINK_LIFETIME = timedelta(hours=48)
DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# How many products whose name or web domain might be the app are checked by name key: enough for one app's
# namesakes, bounded so that a one-word name never reads the whole catalogue.
CANDIDATES = 200
# The answer of a request whose app has an agreement in effect: at once, or when the agreement it waited on executes.
APPROVED_ANSWER = "Approved: the district has a data privacy agreement in effect for this app."


# --- the district's staff domains ------------------------------------------------------------------------------


def staff_domain_add(*, agency, domain: str, actor) -> StaffDomain:
    require_district_staff(actor, agency.pk, roles=DISTRICT_ADMIN)
    domain = domain.strip().casefold().removeprefix("@")
    if not DOMAIN.match(domain):
        raise ApplicationError(f"“{domain}” is not an e-mail domain (for example: hometowncsd.org).", code=INVALID)
    if domain in FREE_MAIL:
        raise ApplicationError(f"Anyone can have an address at {domain}: list the district's own domain.", code=INVALID)
    try:
        with transaction.atomic():
            return StaffDomain.objects.create(agency=agency, domain=domain)
    except IntegrityError as exc:
        raise ApplicationError(f"{domain} is already listed.", code=EXISTS) from exc


def staff_domain_remove(*, agency, pk: int, actor) -> None:
    require_district_staff(actor, agency.pk, roles=DISTRICT_ADMIN)
    StaffDomain.objects.filter(agency=agency, pk=pk).delete()


# --- sign-up ----------------------------------------------------------------------------------------------------


def sign_up_request(*, email: str) -> SignUpLink | None:
    """E-mail a single-use sign-up link if the address is at one of a district's staff domains; else nothing. The
    caller answers alike either way, so that nobody learns which addresses or domains the portal knows."""
    email = email.strip().casefold()
    agency = agency_for_email(email)
    if agency is None:
        return None
    token = secrets.token_urlsafe(32)
    link = SignUpLink.objects.create(
        agency=agency,
        email=email,
        token_hash=token_hash(token),
        expires_at=timezone.now() + SIGN_UP_LINK_LIFETIME,
    )
    email_enqueue(
        to=[email],
        template="apprequest_sign_up",
        context={
            "agency": agency,
            "path": reverse("apprequests_sign_up_confirm", args=[token]),
            "hours": SIGN_UP_LINK_LIFETIME // timedelta(hours=1),
        },
    )
    return link


def sign_up_link_for(token: str) -> SignUpLink | None:
    """The link if it may still be used: known, unused, unexpired."""
    link = SignUpLink.objects.select_related("agency").filter(token_hash=token_hash(token)).first()
    return link if _usable(link) else None


def _usable(link: SignUpLink | None) -> bool:
    return link is not None and link.used_at is None and link.expires_at > timezone.now()


def sign_up_complete(*, token: str, password: str | None = None, first_name: str = "", last_name: str = ""):
    """Use the link: the address's account (created now with `password` when there is none) becomes a requester of
    the district. Returns (user, created). The password must already have passed Django's validators (the form)."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        link = SignUpLink.objects.select_for_update().select_related("agency").filter(token_hash=token_hash(token))
        link = link.first()
        if not _usable(link):
            raise ApplicationError("This sign-up link was used already or has expired: ask for a new one.", code=STATE)
        User = get_user_model()
        user = User.objects.filter(email__iexact=link.email).first()
        created = user is None
        if created:
            if not password:
                raise ApplicationError("Choose a password.", code=INVALID)
            user = User.objects.create_user(
                email=link.email, password=password, first_name=first_name.strip(), last_name=last_name.strip()
            )
            # Following the link proves the address, as an invitation does.
            EmailAddress.objects.create(user=user, email=link.email, verified=True, primary=True)
        Requester.objects.get_or_create(user=user, agency=link.agency)
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return user, created


# --- requests and the instant answer ---------------------------------------------------------------------------


def _matching_products(app_name: str, website: str) -> list[int]:
    """Products that are this app: the same name key (vendors.matching.name_key), or a web domain of the product or
    its vendor equal to the request's website's. Narrowed in SQL by the raw name and domain, confirmed here."""
    key, domain = name_key(app_name), domain_of(website)
    if domain in FREE_MAIL:
        domain = ""
    narrow = Product.objects.filter(name__icontains=app_name.strip()) | Product.objects.filter(name__iexact=key)
    if domain:
        narrow = narrow | Product.objects.filter(website__icontains=domain)
        narrow = narrow | Product.objects.filter(contractor__website__icontains=domain)
    rows = narrow.values_list("pk", "name", "website", "contractor__website")[:CANDIDATES]
    return [
        pk
        for pk, name, product_site, vendor_site in rows
        if (key and name_key(name) == key) or (domain and domain in (domain_of(product_site), domain_of(vendor_site)))
    ]


def instant_answer(app_request: AppRequest) -> None:
    """What the portal can say at once (issue 16.2), set on the unsaved request: approved (an agreement in effect),
    in review (one under way), fast track offered (other New York districts hold an executed DPA), else submitted
    for the director's triage."""
    products = _matching_products(app_request.app_name, app_request.website)
    if not products:
        return
    own = (
        Agreement.objects.filter(agency=app_request.agency, products__in=products)
        .filter(status__in=[AgreementStatus.EXECUTED, *BEFORE_EXECUTION])
        .values_list("pk", "status", "products")
        .distinct()
    )
    own = [row for row in own if row[2] in products]
    in_effect = [row for row in own if row[1] == AgreementStatus.EXECUTED]
    if in_effect:
        pk, _, product = in_effect[0]
        app_request.status, app_request.agreement_id, app_request.product_id = AppRequest.Status.APPROVED, pk, product
        app_request.answer = APPROVED_ANSWER
        return
    if own:
        pk, _, product = own[0]
        app_request.status, app_request.agreement_id, app_request.product_id = AppRequest.Status.IN_REVIEW, pk, product
        # Any status before execution (statuses.BEFORE_EXECUTION): to the teacher it is all "being worked on".
        app_request.answer = "The district is already working on an agreement for this app: it is in review."
        return
    others = (
        Agreement.objects.filter(products__in=products, status=AgreementStatus.EXECUTED, agency__state="NY")
        .exclude(agency=app_request.agency)
        .annotate(answered=Exists(Submission.objects.filter(agreement=OuterRef("pk"))))
        .values_list("agency__name", "products", "answered")
        .distinct()
        .order_by("agency__name")[:CANDIDATES]
    )
    others = [row for row in others if row[1] in products]
    # The fast track starts from answers another district signed in the portal (exhibits.services
    # executed_source_for); a DPA signed outside it has none to start from, so it is named, not offered.
    answered = sorted({name for name, _, has_answers in others if has_answers})
    outside = sorted({name for name, _, has_answers in others if not has_answers} - set(answered))
    if answered:
        app_request.status = AppRequest.Status.FAST_TRACK_OFFERED
        app_request.product_id = next(product for _, product, has_answers in others if has_answers)
        app_request.answer = (
            f"Other New York districts have a signed data privacy agreement for this app: {_names(answered)}. "
            "The district can start its own from the answers the vendor gave them (the fast track)."
        )
    elif outside:
        app_request.answer = (
            f"Other New York districts signed a data privacy agreement for this app outside the portal: "
            f"{_names(outside)}. The district's technology office looks at your request next."
        )


def _names(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def app_request_submit(*, requester: Requester, **fields) -> AppRequest:
    """Record a request, answer what can be answered at once, and tell the district's admins."""
    app_request = AppRequest(agency=requester.agency, requester=requester, **fields)
    return answer_and_tell_the_district(app_request)


def answer_and_tell_the_district(app_request: AppRequest) -> AppRequest:
    """Check a new or edited request, answer what can be answered at once, save it and e-mail the district's admins
    (a new request, and a teacher's answer to the district's question)."""
    requester = app_request.requester
    app_request.full_clean(exclude=["agency", "requester"])
    instant_answer(app_request)
    app_request.save()
    email_enqueue(
        to=district_emails(requester.agency_id, roles=DISTRICT_ADMIN),
        template="apprequest_new",
        context={"app_request": app_request, "agency": requester.agency, "requester": requester.user},
    )
    return app_request
