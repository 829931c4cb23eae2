"""The vendor's pages for each exhibit, and the district's review comments on them. A save keeps a draft: nothing
typed is lost, complete or not."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agreements.access import DISTRICT_REVIEWERS, member_required
from agreements.models import Agreement, statuses
from agreements.services import agreement_submit
from dpa_portal.errors import refusal_message

from . import places
from .forms import (
    CarriedConfirmForm,
    CommentStateForm,
    CsfResponseFormSet,
    ReviewCommentForm,
    SecurityPlanForm,
    SubcontractorChoiceForm,
    SubcontractorForm,
    SupplementalInformationForm,
)
from .models import AnswerReuse, CsfResponse, ReviewComment, Section, SecurityPlan, SupplementalInformation
from .selectors import agreement_exhibits, c1_crosswalk, comments_by_place, review_rows
from .services import (
    bill_of_rights_acknowledge,
    carried_answers_confirm,
    review_comment_add,
    review_comment_place,
    review_comment_resolve,
)

NOT_SAVED = "Nothing was saved: correct what is marked below. What you typed is kept."
NOT_ADDED = "The comment was not added: there is no such place to comment on."


vendor_only = member_required("agreement", side="vendor")


def _editable(request, agreement) -> bool:
    """Whether the agreement is open for the vendor's editing; if not, says so in a message."""
    if agreement.status != Agreement.Status.WITH_VENDOR:
        messages.error(request, "The answers cannot change now: the agreement is not with you.")
        return False
    return True


def _saved(request, agreement, what: str):
    messages.success(request, f"{what} saved.")
    if "save_and_back" in request.POST:
        return redirect("agreement_detail", pk=agreement.pk)
    return redirect(request.path)


def _page(request, agreement, template, **context):
    return render(
        request,
        template,
        {"agreement": agreement, "comments": comments_by_place(agreement, for_vendor=True), **context},
    )


def _exhibit_form_page(request, agreement, *, model, form_class, template, title, what):
    """Exhibit B or C: one model form on the agreement's exhibit row, saved as a draft."""
    if not _editable(request, agreement):
        return redirect("agreement_detail", pk=agreement.pk)
    form = form_class(request.POST or None, instance=model.objects.get(agreement=agreement))
    if request.method == "POST":
        if form.is_valid():
            form.save()
            return _saved(request, agreement, what)
        messages.error(request, NOT_SAVED)
    return _page(request, agreement, template, form=form, page_title=title)


@vendor_only
def exhibit_b(request, agreement, side, role):
    return _exhibit_form_page(
        request,
        agreement,
        model=SupplementalInformation,
        form_class=SupplementalInformationForm,
        template="exhibits/exhibit_b.html",
        title="Exhibit B: Supplemental information",
        what="Exhibit B",
    )


@vendor_only
def exhibit_c(request, agreement, side, role):
    return _exhibit_form_page(
        request,
        agreement,
        model=SecurityPlan,
        form_class=SecurityPlanForm,
        template="exhibits/exhibit_c.html",
        title="Exhibit C: Data security and privacy plan",
        what="Exhibit C",
    )


@vendor_only
def exhibit_c1(request, agreement, side, role):
    if not _editable(request, agreement):
        return redirect("agreement_detail", pk=agreement.pk)
    responses = (
        CsfResponse.objects.filter(agreement=agreement)
        .select_related("category__function")
        .order_by("category__position")
    )
    formset = CsfResponseFormSet(request.POST or None, queryset=responses)
    if request.method == "POST":
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            return _saved(request, agreement, "Exhibit C.1")
        messages.error(request, NOT_SAVED)
    return _page(
        request,
        agreement,
        "exhibits/exhibit_c1.html",
        formset=formset,
        page_title=f"Exhibit C.1: {agreement.framework.name}",
        c1_crosswalk=c1_crosswalk(AnswerReuse.objects.filter(agreement=agreement).first()),
    )


@vendor_only
def subcontractors(request, agreement, side, role):
    if not _editable(request, agreement):
        return redirect("agreement_detail", pk=agreement.pk)
    info = SupplementalInformation.objects.get(agreement=agreement)
    choice = SubcontractorChoiceForm(
        request.POST if "choose" in request.POST else None,
        contractor=agreement.contractor,
        initial={"subcontractors": list(info.subcontractors.all())},
    )
    new = SubcontractorForm(request.POST if "add" in request.POST else None, contractor=agreement.contractor)
    if request.method == "POST":
        if "choose" in request.POST and choice.is_valid():
            info.subcontractors.set(choice.cleaned_data["subcontractors"])
            return _saved(request, agreement, "The subcontractor list")
        if "add" in request.POST and new.is_valid():
            sub = new.save(commit=False)
            sub.contractor = agreement.contractor
            sub.save()
            info.subcontractors.add(sub)
            return _saved(request, agreement, f"{sub.name}")
        messages.error(request, NOT_SAVED)
    return _page(
        request, agreement, "exhibits/subcontractors.html", choice=choice, new=new, page_title="Subcontractors"
    )


@vendor_only
@require_POST
def acknowledge_bill_of_rights(request, agreement, side, role):
    if _editable(request, agreement):
        with refusal_message(request):
            bill_of_rights_acknowledge(agreement=agreement, actor=request.user)
            messages.success(request, "You acknowledged the district's Bill of Rights (Exhibit A).")
    return redirect("agreement_detail", pk=agreement.pk)


@vendor_only
@require_POST
def submit_carried(request, agreement, side, role):
    """The submit form of an agreement whose answers were carried over from another (issue 16.2): the vendor's box
    saying that those still unchanged hold as of today, recorded with the submission or not at all. Without it the
    submission is refused (exhibits.services.submission_record) and nothing changes: the answers are drafts, kept."""
    form = CarriedConfirmForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["carried_confirmed"]
    with refusal_message(request):
        with transaction.atomic():
            if confirmed:
                carried_answers_confirm(agreement=agreement, actor=request.user)
            agreement_submit(agreement=agreement, actor=request.user)
        messages.success(request, "Submitted to the district for review.")
    return redirect("agreement_detail", pk=agreement.pk)


reviewers_only = member_required("agreement", side="district", roles=DISTRICT_REVIEWERS)


def _back(request, agreement, anchor: str):
    """Back where the reviewer commented: the review page or the agreement page, at the place."""
    page = "agreement_review" if request.POST.get("back") == "review" else "agreement_detail"
    return redirect(reverse(page, args=[agreement.pk]) + anchor)


@reviewers_only
@require_POST
def comment(request, agreement, side, role):
    """A reviewer's comment on a section or one place in it (an item of B, a question of C, a subcontractor, a C.1
    category), while the vendor answers or the district reviews (the pages offer the form on the same terms)."""
    if agreement.status not in statuses.IN_REVIEW:
        raise Http404
    form = ReviewCommentForm(request.POST, agreement=agreement)
    if not form.is_valid():
        messages.error(request, "Write a comment before adding it." if "body" in form.errors else NOT_ADDED)
        return _back(request, agreement, "")
    data = form.cleaned_data
    with refusal_message(request):
        place = review_comment_place(agreement=agreement, key=data["place"])
        review_comment_add(
            agreement=agreement, author=request.user, body=data["body"], recommendation=data["recommendation"], **place
        )
        messages.success(request, "Comment added.")
        return _back(request, agreement, _anchor(request, data["place"], place))
    return _back(request, agreement, "")


def _anchor(request, key, place) -> str:
    if request.POST.get("back") == "review":
        return "#" + places.anchor(key)
    if place.get("category"):
        return f"#csf-{place['category'].identifier}"
    return f"#{place['section']}"


@reviewers_only
@require_POST
def comment_state(request, agreement, side, role):
    """Resolve a comment (the answer now does what it asked), or open it again."""
    if agreement.status not in statuses.IN_REVIEW:
        raise Http404
    form = CommentStateForm(request.POST)
    comment = None
    if form.is_valid():
        found = ReviewComment.objects.select_related("category").filter(agreement=agreement)
        comment = found.filter(pk=form.cleaned_data["comment"]).first()
        if comment is not None:
            comment.agreement = agreement
    if comment is None:  # another agreement's comment is no more found than one that never was
        messages.error(request, "There is no such comment on this agreement.")
        return _back(request, agreement, "")
    resolved = form.cleaned_data["resolved"]
    with refusal_message(request):
        review_comment_resolve(comment=comment, actor=request.user, resolved=resolved)
        messages.success(request, "Comment marked resolved." if resolved else "Comment open again.")
    key = places.key_of(comment)
    return _back(request, agreement, _anchor(request, key, {"section": comment.section, "category": comment.category}))


@member_required("agreement", side="district")
def review(request, agreement, side, role):
    """The district's review, field by field: every answer, what changed since the previous submission, and the
    comments beside each (issue 14.5). A fixed number of queries, whatever the framework or the comments."""
    exhibits = agreement_exhibits(agreement, side=side)
    rows = review_rows(exhibits)
    only = request.GET.get("only") == "changed"
    if only:
        rows = [row for row in rows if row.changes or row.comments]
    return render(
        request,
        "exhibits/review.html",
        {
            "agreement": agreement,
            "side": side,
            "rows": rows,
            "only": only,
            "sections": dict(Section.choices),
            "latest_submission": exhibits["latest_submission"],
            "changes": exhibits["changes"],
            "change_rows": exhibits["change_rows"],
            "reuse": exhibits["reuse"],
            "carried": exhibits["carried"],
            "can_comment": role in DISTRICT_REVIEWERS and agreement.status in statuses.IN_REVIEW,
            "page_title": "Review, field by field",
        },
    )
