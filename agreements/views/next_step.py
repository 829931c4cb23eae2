"""The agreement page's "Next step" box (issue 14, point 6): for every status and for each side, who has the
agreement (the district or the vendor, by name; the portal while it seals; nobody once nothing is due), what they must
do, and since when (the last change of status, from the timeline the page reads anyway: no query of its own).

The sentences never end with a party's name: a legal name often ends with its own period ("CodeHS, Inc.").
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ..access import DISTRICT_ADMIN, DISTRICT_REVIEWERS, VENDOR_ADMIN
from ..models import Agreement, Signature
from ..models.statuses import ENDED
from .progress import FAILED, READY

S = Agreement.Status
DISTRICT, VENDOR, PORTAL = "district", "vendor", "portal"


@dataclass(frozen=True)
class NextStep:
    holder: str | None  # "district", "vendor", "portal", or None: nobody has anything to do
    holder_label: str  # who has it, as the box says it
    todo: str  # what they must do (or that nothing is due), for the person reading
    since: datetime | None  # when the agreement entered its status
    yours: bool  # the reader's side has it

    @property
    def just_now(self) -> bool:
        """Less than a minute ago: "just now" reads better than "0 minutes ago"."""
        return self.since is not None and timezone.now() - self.since < timedelta(minutes=1)


def _check_carried(carried) -> str:
    """The vendor's step when its answers start from another agreement (the fast track, a reuse, a renewal)."""
    origin = carried.origin
    count = f"{len(carried)} answer{'s' if len(carried) != 1 else ''}"
    source = f" from your agreement with {origin}" if origin else ""
    return (
        f'Check the {count} marked "carried over"{source}: change what differs for this agreement, fill in what is '
        "missing, then submit them to the district."
    )


def last_change(agreement: Agreement, timeline):
    """The change that brought the agreement to its current status, from its timeline (oldest first), or None (an
    agreement entered by import may have none)."""
    for change in reversed(timeline):
        if change.to_status == agreement.status and change.from_status != change.to_status:
            return change
    return None


def next_step(
    agreement: Agreement, *, side: str, role: str, timeline, signatures, signing_copy: str = READY, carried=None
) -> NextStep:
    """What the box says to the reader (`side`, `role`), from the page's timeline and signatures (lists), the state
    of the copy to sign's panel (`signing_copy`: views/progress.py's WORKING, RETRYING, FAILED or READY), and the
    answers still as carried over from another agreement (`carried`: exhibits.selectors.CarriedAnswers)."""
    district, vendor = agreement.agency, agreement.contractor
    change = last_change(agreement, timeline)
    since = change.created_at if change else agreement.status_changed_at
    status = agreement.status
    district_admin = side == DISTRICT and role in DISTRICT_ADMIN
    reviewer = side == DISTRICT and role in DISTRICT_REVIEWERS
    vendor_admin = side == VENDOR and role in VENDOR_ADMIN
    holder, todo = None, ""
    if status == S.DRAFT:
        holder = DISTRICT
        if district_admin:
            todo = (
                "Check the Service Agreement date and the contract term, then send the agreement to "
                f"{vendor} to fill in Exhibits B, C and C.1."
            )
        elif side == DISTRICT:
            todo = "An admin of the district checks the contract term and sends the agreement to the vendor."
        else:
            todo = "The district is preparing the agreement; nothing is due from you yet."
    elif status == S.WITH_VENDOR:
        holder = VENDOR
        sent_back = change is not None and change.from_status == S.SUBMITTED  # changes requested
        if side == VENDOR:
            todo = (
                f"Make the changes that {district} asked for (the note in the timeline, the comments beside the "
                "answers), then submit again."
                if sent_back
                else _check_carried(carried)
                if carried and not carried.confirmed_on
                else "Fill in Exhibits B, C and C.1 and the subcontractors, then submit them to the district."
            )
        else:
            todo = (
                f"{vendor} {'changes its answers as you asked' if sent_back else 'fills in Exhibits B, C and C.1'} "
                "and submits them. Nothing is due from the district until then"
                + ("; reviewers may comment meanwhile." if reviewer else ".")
            )
    elif status == S.SUBMITTED:
        holder = DISTRICT
        if district_admin:
            todo = "Review the answers, comment beside any of them, then approve or request changes."
        elif reviewer:
            todo = (
                "Review the answers and comment beside any of them; an admin of the district then approves or "
                "requests changes."
            )
        elif side == DISTRICT:
            todo = "An admin of the district reviews the answers, then approves them or requests changes."
        else:
            todo = (
                f"{district} reviews your answers, then approves them or asks for changes. Nothing is due from you "
                "until then."
            )
    elif status == S.APPROVED and signing_copy == FAILED:
        # The portal gave up making the copy to sign: nobody can sign; the district decides (its panel says how).
        holder = DISTRICT
        todo = (
            "The portal could not prepare the copy to sign (see below): send the agreement back to the vendor to "
            "change an unusually long or odd answer, or ask the portal's operator to try again."
            if district_admin
            else "The portal could not prepare the copy to sign; an admin of the district decides what happens next."
        )
    elif status == S.APPROVED and signing_copy != READY:
        holder = PORTAL  # preparing the copy to sign: nobody can sign until it exists
        todo = f"The portal prepares the copy to sign (below); then an admin of {vendor} signs it."
    elif status == S.APPROVED:
        holder = VENDOR
        if vendor_admin:
            todo = "Sign the agreement (with a code from your authenticator app); the district countersigns after you."
        elif side == VENDOR:
            todo = f"An admin of {vendor} signs the agreement; the district countersigns after."
        else:
            todo = f"An admin of {vendor} signs first; then an admin of the district countersigns."
    elif status == S.VENDOR_SIGNED and any(s.side == Signature.Side.DISTRICT for s in signatures):
        holder = PORTAL  # since the district countersigned: the status changes once the seal is stored
        since = next(s.signed_at for s in signatures if s.side == Signature.Side.DISTRICT)
        todo = "Both parties signed: the portal seals the executed DPA (below). Nothing is due from either party."
    elif status == S.VENDOR_SIGNED:
        holder = DISTRICT
        if district_admin:
            todo = "Countersign the agreement (with a code from your authenticator app); the portal then seals it."
        elif side == DISTRICT:
            todo = "An admin of the district countersigns; the portal then seals the executed DPA."
        else:
            todo = f"{district} countersigns; the portal then seals the executed DPA. Nothing is due from you."
    elif status == S.EXECUTED:
        todo = (
            "The agreement is in force. Nothing is due now: the deadlines below list what comes (the end of the "
            "term, any report or request)."
        )
    elif status in ENDED:
        holder = VENDOR
        ended = "expired" if status == S.EXPIRED else "was terminated"
        if side == VENDOR:
            todo = (
                f"The agreement {ended}: return or destroy the district's data as the DPA requires (II.9), then "
                "certify its destruction (see the deadlines below)."
            )
        else:
            todo = (
                f"The agreement {ended}: {vendor} returns or destroys the data and certifies its destruction (DPA "
                "II.9). Nothing is due from the district until then; the deadlines below follow it."
            )
    elif status == S.CLOSED:
        todo = (
            "Nothing is due: the vendor certified that the data is destroyed. The agreement stays posted for parents."
        )
    else:  # withdrawn
        todo = "Nothing is due: the district withdrew the agreement before it was signed."
    labels = {
        DISTRICT: f"the district {district}",
        VENDOR: f"the vendor {vendor}",
        PORTAL: f"the portal ({'preparing the copy to sign' if status == S.APPROVED else 'sealing the executed DPA'})",
        None: "nobody (nothing is due)" if status != S.EXECUTED else "both parties, under the executed agreement",
    }
    return NextStep(holder=holder, holder_label=labels[holder], todo=todo, since=since, yours=holder == side)
