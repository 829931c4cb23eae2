from django.contrib import admin

from .models import (
    Agreement,
    AgreementDocument,
    DistrictMembership,
    EducationalAgency,
    OutboundEmail,
    OutsideSigning,
    RenderJob,
    Signature,
    StatusChange,
    Termination,
    statuses,
)


class RecordAdmin(admin.ModelAdmin):
    """Records the portal writes (a step, a document, a signature, a render): shown, never added or edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(RecordAdmin):
    """Records that are not deleted here either."""

    def has_delete_permission(self, request, obj=None):
        return False


class DistrictMembershipInline(admin.TabularInline):
    model = DistrictMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(EducationalAgency)
class EducationalAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "city", "breach_notice_email"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "slug", "city", "breach_notice_name", "breach_notice_email", "complaint_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DistrictMembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "website"]}),
        ("Address", {"fields": ["street_address", "city", "state", "postal_code"]}),
        (
            "Breach notices (DPA II.12)",
            {
                "fields": [
                    "breach_notice_name",
                    "breach_notice_title",
                    "breach_notice_street_address",
                    "breach_notice_city",
                    "breach_notice_state",
                    "breach_notice_postal_code",
                    "breach_notice_email",
                    "data_protection_office_name",
                    "data_protection_office_email",
                ]
            },
        ),
        (
            "Complaints (Exhibit A)",
            {
                "fields": [
                    "complaint_contact_name",
                    "complaint_email",
                    "complaint_mail_address",
                    "complaint_phone",
                    "complaint_url",
                ]
            },
        ),
    ]


@admin.register(DistrictMembership)
class DistrictMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role", "created_at"]
    list_filter = ["role", "agency"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["user", "agency"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        # The log is written only by the lifecycle service.
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "agency", "contractor", "status", "kind", "contract_start", "contract_end"]
    list_filter = ["status", "kind", "framework", "agency", "contractor"]
    search_fields = ["agency__name", "contractor__legal_name", "products__name"]
    list_select_related = ["agency", "contractor"]
    date_hierarchy = "contract_end"
    autocomplete_fields = ["agency", "contractor", "products", "previous"]
    # Status moves only through the lifecycle service, which logs each step.
    readonly_fields = ["status", "status_changed_at", "created_by", "created_at", "updated_at"]
    inlines = [StatusChangeInline]
    # Once signed, the term changes only through agreements.deadlines.services.agreement_term_change, which logs who,
    # when and why, tells both parties and moves the end-of-term reminders (issue 11.4); never a raw edit here.
    TERM_FIELDS = ["service_agreement_date", "contract_start", "contract_end", "runs_until_terminated", "review_on"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status not in statuses.TERM_EDITABLE:
            fields += self.TERM_FIELDS
        return fields


@admin.register(StatusChange)
class StatusChangeAdmin(RecordAdmin):
    list_display = ["agreement", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "actor__email", "note"]
    list_select_related = ["agreement__agency", "agreement__contractor", "actor"]
    date_hierarchy = "created_at"


@admin.register(Termination)
class TerminationAdmin(ReadOnlyAdmin):
    """Early terminations, read only: a district admin ends an agreement through its page (agreement_terminate), which
    also cancels the term's reminders and opens the return-or-destroy duty; an edit here would do neither."""

    list_display = ["agreement", "effective_on", "basis", "recorded_by", "recorded_at"]
    list_filter = ["basis"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "reason"]
    list_select_related = ["agreement__agency", "agreement__contractor", "recorded_by"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox (issue 15). Filter by status "Needs a person" for the e-mails every attempt failed to send; once the
    mail server is back, "Send again" starts their schedule afresh (a row sent or being sent is left alone)."""

    list_display = ["subject", "template", "status", "attempts", "next_attempt_at", "created_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "to", "agreement__agency__name", "agreement__contractor__legal_name"]
    date_hierarchy = "created_at"
    readonly_fields = ["template", "to", "subject", "body_text", "body_html", "agreement", "about_kind", "about_id",
                       "status", "attempts", "last_error", "created_at", "claimed_at", "next_attempt_at",
                       "sent_at"]  # fmt: skip
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again (the attempts start afresh)")
    def send_again(self, request, queryset):
        from .mail import outbox_send_again

        queued = outbox_send_again(queryset)
        skipped = queryset.count() - len(queued)
        note = f" {skipped} left alone: sent, or being sent." if skipped else ""
        self.message_user(request, f"{len(queued)} e-mail(s) queued again.{note}")


@admin.register(AgreementDocument)
class AgreementDocumentAdmin(RecordAdmin):
    list_display = ["document_id", "agreement", "kind", "size", "created_at"]
    list_filter = ["kind"]
    search_fields = ["document_id", "sha256", "agreement__agency__name", "agreement__contractor__legal_name"]
    list_select_related = ["agreement__agency", "agreement__contractor"]
    exclude = ["pdf"]  # the bytes are served by the portal, not shown here
    readonly_fields = ["agreement", "kind", "sha256", "size", "document_id", "created_at"]


@admin.register(OutsideSigning)
class OutsideSigningAdmin(ReadOnlyAdmin):
    """How an agreement signed outside the portal came in (issue 12): a record of the import, never edited here (the
    district completes the agreement on its page)."""

    list_display = ["agreement", "uploaded_by_name", "uploaded_at", "pdf_text", "source_filename"]
    list_filter = ["pdf_text", "accuracy_model_wording"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "source_filename", "source_key"]
    list_select_related = ["agreement__agency", "agreement__contractor"]
    readonly_fields = [
        "agreement", "uploaded_at", "uploaded_by", "uploaded_by_name", "document", "source_filename", "pdf_text",
        "read_from_pdf", "subcontractor_terms", "accuracy_challenges", "accuracy_model_wording",
        "vendor_contact_name", "vendor_contact_email", "source_key",
    ]  # fmt: skip


@admin.register(Signature)
class SignatureAdmin(RecordAdmin):
    list_display = ["typed_name", "organisation", "side", "method", "signed_at"]
    list_filter = ["side", "method", "consent_version"]
    search_fields = ["typed_name", "signer_email", "organisation", "document_sha256"]
    list_select_related = ["agreement", "signer"]
    exclude = ["drawn_image"]


@admin.register(RenderJob)
class RenderJobAdmin(RecordAdmin):
    """Renders that failed (issue 10): each is tried a bounded number of times, then given up and the district told.
    "Try again" starts the attempts afresh once the cause is dealt with (a worker overloaded, a certificate missing)."""

    list_display = ["agreement", "kind", "attempts", "last_error", "failed_at", "given_up_at", "retry_after"]
    list_filter = ["kind", ("given_up_at", admin.EmptyFieldListFilter)]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "last_error"]
    list_select_related = ["agreement__agency", "agreement__contractor"]
    readonly_fields = [f.name for f in RenderJob._meta.fields]
    actions = ["try_again"]

    @admin.action(description="Try again (the attempts start afresh)")
    def try_again(self, request, queryset):
        from django.db import transaction

        from . import render_jobs, tasks

        task = {
            AgreementDocument.Kind.SIGNING_COPY: tasks.prepare_signing_copy,
            AgreementDocument.Kind.EXECUTED: tasks.execute_agreement,
            AgreementDocument.Kind.PUBLIC_COPY: tasks.prepare_public_copy,
        }
        for job in queryset:
            render_jobs.job_retry(job)
            transaction.on_commit(lambda job=job: task[job.kind].delay(job.agreement_id), robust=True)
        self.message_user(request, f"{queryset.count()} document(s) queued again.")


from .deadlines import admin as _deadlines_admin  # noqa: E402, F401
