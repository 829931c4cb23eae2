import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


def token_hash(token: str) -> str:
    """What is stored of a secret link's token (an invitation's, a calendar feed's): its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitations_pending_q(now=None) -> Q:
    """Invitations neither accepted, withdrawn nor expired (at `now`)."""
    now = now or timezone.now()
    return Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who signs in: district staff, vendor staff or a platform operator. Signs in by e-mail."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            # Addresses differ only by case are the same mailbox in practice.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email


class InvitationKind(models.TextChoices):
    DISTRICT_STAFF = "district_staff", "District staff"
    # A district invites a person at a vendor: they join (or found) the vendor's organisation on acceptance.
    VENDOR_CONTACT = "vendor_contact", "Vendor contact"
    VENDOR_STAFF = "vendor_staff", "Vendor staff"


class Invitation(models.Model):
    """A single-use, expiring invitation to join a district's or a vendor's staff.

    Only the SHA-256 of the token is stored: the raw token exists in the e-mail alone, so a copy of the database
    cannot be used to accept an invitation.
    """

    Kind = InvitationKind

    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.EmailField("e-mail address", help_text="Stored in lower case; only this address may accept.")
    role = models.CharField(max_length=10, help_text="The role the invitee gets in the organisation.")
    agency = models.ForeignKey(
        "agreements.EducationalAgency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="The inviting district (district staff and vendor contacts).",
    )
    contractor = models.ForeignKey(
        "vendors.Contractor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="The vendor the invitee joins (vendor contacts and vendor staff).",
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="Where a vendor contact lands after accepting.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"], name="invitation_email")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InvitationKind.values), name="invitation_kind_valid"),
            # Who invites into what: a district into its own staff or to a vendor; a vendor into its own staff.
            models.CheckConstraint(
                condition=(Q(kind="district_staff") & Q(agency__isnull=False) & Q(contractor__isnull=True))
                | (Q(kind="vendor_contact") & Q(agency__isnull=False) & Q(contractor__isnull=False))
                | (Q(kind="vendor_staff") & Q(agency__isnull=True) & Q(contractor__isnull=False)),
                name="invitation_organisation_matches_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="district_staff") & Q(role__in=["admin", "reviewer", "viewer"]))
                | (Q(kind="vendor_contact") & Q(role="admin"))
                | (Q(kind="vendor_staff") & Q(role__in=["admin", "editor"])),
                name="invitation_role_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(agreement__isnull=True) | Q(kind="vendor_contact"), name="invitation_agreement_for_vendor"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="invitation_expires_after_created"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True) | Q(accepted_at__isnull=False),
                name="invitation_accepted_by_needs_accepted_at",
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="invitation_email_lower_case"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.email} ({self.status})"

    @property
    def organisation(self):
        """The organisation the invitee joins."""
        return self.agency if self.kind == InvitationKind.DISTRICT_STAFF else self.contractor

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def get_role_display(self) -> str:
        return self.role.capitalize()
