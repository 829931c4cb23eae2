"""A statewide database in SQL (issue 13.1): districts, vendors with products and subcontractors, agreements spread over
the statuses of a real state, each with Exhibit B, Exhibit C, its log of status changes, posted_at and its deadlines.

INSERT ... SELECT FROM generate_series, never the ORM row by row: a million agreements take minutes. Every row is a
pure function of its number, so two runs of the same size make the same database. Columns that a statement does not
name and that are NOT NULL without a database default get an empty value of their type (`_insert`), so a column added
by a later migration does not break the generator; what it means for the pages is then for its author to fill.

The sweep's work is fixed whatever the size (`DUE_ITEMS`): every reminder that `today` calls for is recorded as sent,
so a first sweep has nothing to send; then `make_due` moves the term of `DUE_ITEMS` executed agreements (spread over
the ids) so that half ended the day before `today` (the sweep expires them) and half end in 20 days (the sweep sends
their 30-day reminder): the same work at 10,000 and at 1,000,000.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import date

DUE_ITEMS = 100
BIG_DISTRICT_AGREEMENTS = 2_000

# Out of 1,000, by agreement number (hashed): mostly posted, as in a state where the portal has run for years.
STATUS_SHARES = [
    ("executed", 430),
    ("expired", 180),
    ("closed", 260),
    ("terminated", 40),
    ("draft", 30),
    ("with_vendor", 20),
    ("submitted", 15),
    ("approved", 10),
    ("vendor_signed", 5),
    ("withdrawn", 10),
]
# The path of each status through the lifecycle: its log of status changes, from creation.
PATHS = {
    "draft": ["draft"],
    "with_vendor": ["draft", "with_vendor"],
    "submitted": ["draft", "with_vendor", "submitted"],
    "approved": ["draft", "with_vendor", "submitted", "approved"],
    "vendor_signed": ["draft", "with_vendor", "submitted", "approved", "vendor_signed"],
    "executed": ["draft", "with_vendor", "submitted", "approved", "vendor_signed", "executed"],
    "expired": ["draft", "with_vendor", "submitted", "approved", "vendor_signed", "executed", "expired"],
    "terminated": ["draft", "with_vendor", "submitted", "approved", "vendor_signed", "executed", "terminated"],
    "closed": ["draft", "with_vendor", "submitted", "approved", "vendor_signed", "executed", "expired", "closed"],
    "withdrawn": ["draft", "with_vendor", "withdrawn"],
}
POSTED = ("executed", "expired", "terminated", "closed")

WORDS = [
    "Bright", "Learn", "Math", "Read", "Class", "Quest", "Spark", "Nova", "Pixel", "Atlas", "Orbit", "Summit",
    "Harbor", "Maple", "Cedar", "River", "Beacon", "Echo", "Lumen", "Vista", "Pioneer", "Meadow", "Falcon", "Tiger",
    "Aurora", "Cobalt", "Granite", "Juniper", "Kestrel", "Lattice", "Mosaic", "Nimbus", "Onyx", "Prism", "Quill",
    "Ridge", "Sierra", "Tundra", "Umber", "Willow",
]  # fmt: skip
SUFFIXES = ["Learning", "Education", "Labs", "Software", "Systems", "Academy", "Media", "Technologies"]
PRODUCT_KINDS = ["Reader", "Math", "Classroom", "Tutor", "Assess", "Library", "Science", "Writer", "Coding", "Music"]
PURPOSES = [
    "The Contractor receives student data only to provide {product}, an online service that the district's teachers "
    "use for instruction and practice, and to support students and teachers who use it.",
    "Student names, class rosters and usage records are used to create accounts, assign lessons and show teachers "
    "each student's progress in {product}; the data is never sold or used for advertising.",
    "Assessment results are processed to generate reports for teachers and administrators, and to personalise "
    "practice within the service; aggregate, de-identified statistics improve the product.",
    "Rostering data is synchronised nightly from the district's student information system through a secure "
    "integration so that classes, enrolments and teachers stay current.",
    "Support staff may view an account's records to answer a request from the district, and only for that purpose.",
    "The service stores student work such as essays, recordings and projects so that students can return to it and "
    "teachers can give feedback.",
]
SECURITY = [
    "Data is encrypted in transit with TLS 1.2 or later and at rest with AES-256 in the hosting provider's managed "
    "database and object storage.",
    "Access to production systems requires single sign-on with multi-factor authentication and is limited by role to "
    "staff who need it; every access is logged and reviewed monthly.",
    "The Contractor runs annual penetration tests by an independent firm, remediates findings by severity, and scans "
    "dependencies and containers for known vulnerabilities on every build.",
    "Employees with access to student data complete privacy and security training at hire and every year, and sign "
    "confidentiality agreements.",
    "Backups are encrypted, kept for 35 days in a second region, and restored in a test each quarter.",
    "An incident response plan names the people responsible, is tested twice a year, and provides for notice to the "
    "district within the time the agreement sets.",
    "The security programme is aligned with the NIST Cybersecurity Framework and reviewed by management each year.",
]
TRANSITION = [
    "At the end of the agreement the Contractor exports the district's data in CSV on request, then deletes it from "
    "production within 30 days and from backups within 35 days after that, and certifies the destruction in writing.",
    "Data is returned through the district's SFTP site or a secure download link, then destroyed with NIST 800-88 "
    "methods; subcontractors delete their copies within the same period.",
]
ENCRYPTION = [
    "TLS 1.2+ in transit; AES-256 at rest with keys managed in a cloud key management service and rotated yearly.",
    "HTTPS only, HSTS; databases and backups encrypted with AES-256; keys held in a hardware security module.",
]
PLAN = [
    "The Contractor implements the data security and privacy program described in its policies, maintained by its "
    "security officer and reviewed annually with the executive team; controls are mapped to the NIST CSF.",
    "Administrative, operational and technical safeguards include role-based access, encryption, logging, "
    "vulnerability management, secure software development and vendor risk reviews.",
]
SUBCONTRACTORS = [
    ("Amazon Web Services", "Hosting of the application and its databases in US regions."),
    ("Twilio SendGrid", "Delivery of e-mail notifications to teachers and families."),
    ("Zendesk", "Customer support tickets raised by district staff."),
]


def _array(values) -> str:
    """A SQL text array literal of Python strings (our own constants, quoted)."""
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _pick(values, number_sql: str) -> str:
    return f"({_array(values)})[1 + (({number_sql}) % {len(values)})]"


@dataclass
class Sizes:
    agreements: int
    districts: int = 0
    vendors: int = 0
    big_district: int = BIG_DISTRICT_AGREEMENTS

    def __post_init__(self):
        # 1,000 districts and 20,000 vendors at a million; fewer at a smaller size, so that a district and a vendor
        # have about as many agreements at every size (the pages compared are the same size).
        self.districts = self.districts or max(10, min(1_000, self.agreements // 1_000))
        self.vendors = self.vendors or max(200, min(20_000, self.agreements // 50))
        if self.agreements % DUE_ITEMS or self.agreements < 2 * self.big_district:
            raise ValueError(f"--agreements must be a multiple of {DUE_ITEMS} and at least {2 * self.big_district}.")


@dataclass
class Generated:
    sizes: Sizes
    today: date
    seconds: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    big_district_slug: str = "district-0001"
    admin_email: str = "admin@district-0001.example.org"


def _not_null_columns(cursor, table: str) -> dict[str, str]:
    """Columns of `table` that need a value: NOT NULL, no database default, not generated. {name: data type}."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_generated = 'NEVER' "
        "AND is_identity = 'NO'",
        [table],
    )
    return dict(cursor.fetchall())


EMPTY = {
    "text": "''",
    "character varying": "''",
    "boolean": "false",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "jsonb": "'{}'::jsonb",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "tsvector": "''::tsvector",
}


def _insert(cursor, table: str, values: dict[str, str], source: str, params=None) -> int:
    """INSERT INTO table (columns) SELECT expressions FROM source; NOT NULL columns not named get an empty value."""
    columns = dict(values)
    for name, kind in _not_null_columns(cursor, table).items():
        if name not in columns:
            columns[name] = EMPTY.get(kind, "DEFAULT")
    names = ", ".join(f'"{n}"' for n in columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(columns.values())} FROM {source}", params)  # noqa: S608
    return cursor.rowcount


def generate(connection, sizes: Sizes, today: date, log=print) -> Generated:
    """Fill the (migrated, empty) database behind `connection` (a Django connection). Returns what was made."""
    from agreements.deadlines import rules
    from agreements.models import EducationalAgency
    from exhibits import bill_of_rights

    out = Generated(sizes=sizes, today=today)
    n, d, v = sizes.agreements, sizes.districts, sizes.vendors
    step = n // DUE_ITEMS
    sample = EducationalAgency(name="DISTRICT_NAME", complaint_email="privacy@DISTRICT_SLUG.example.org")
    bill_items = json.dumps(bill_of_rights.model_items(sample))
    term_rule, destroy_rule = rules.RULES[rules.TERM_END], rules.RULES[rules.RETURN_DESTROY]
    # The agreement's status, from its number: a hash spreads them over districts and vendors.
    hashed = "((g::bigint * 2654435761) % 1000)"
    bounds, total = [], 0
    for status, share in STATUS_SHARES:
        total += share
        bounds.append(f"WHEN {hashed} < {total} THEN '{status}'")
    designated = f"((g - 1) % {step} = 0)"
    status_sql = f"CASE WHEN {designated} THEN 'executed' {' '.join(bounds)} END"
    path_steps = "CASE s " + " ".join(f"WHEN '{k}' THEN {len(p) - 1}" for k, p in PATHS.items()) + " END"

    def timed(name, fn):
        started = time.perf_counter()
        rows = fn()
        out.seconds[name] = time.perf_counter() - started
        out.rows[name] = rows
        log(f"  {name}: {rows:,} rows in {out.seconds[name]:.1f} s")

    with connection.cursor() as c:
        c.execute("SET synchronous_commit = off")
        c.execute("SET work_mem = '256MB'")
        c.execute("SET maintenance_work_mem = '512MB'")
        today_sql = f"DATE '{today.isoformat()}'"
        # Exhibit C.1's framework: CSF 2.0 for most, 1.1 for the older agreements (loaded by a migration).
        c.execute("SELECT version, id FROM exhibits_framework WHERE code = 'nist-csf'")
        frameworks = dict(c.fetchall())
        csf_11, csf_20 = frameworks.get("1.1"), frameworks.get("2.0")

        timed("users", lambda: _insert(c, "accounts_user", {
            "id": "g", "password": "'!'", "is_superuser": "false", "is_staff": "false", "is_active": "true",
            "date_joined": "now()", "first_name": "''", "last_name": "''",
            "email": f"CASE WHEN g <= {d} THEN 'admin@district-' || lpad(g::text, 4, '0') || '.example.org' "
            f"ELSE 'admin@vendor-' || lpad((g - {d})::text, 5, '0') || '.example.com' END",
        }, f"generate_series(1, {d + v}) g"))  # fmt: skip
        timed("districts", lambda: _insert(c, "agreements_educationalagency", {
            "id": "g",
            "name": f"CASE WHEN g = 1 THEN 'Statewide City School District' ELSE "
            f"{_pick(WORDS, 'g * 7')} || ' ' || {_pick(WORDS, 'g / 40 + g')} || ' Central School District ' || g END",
            "slug": "'district-' || lpad(g::text, 4, '0')",
            "kind": "CASE WHEN g % 20 = 0 THEN 'boces' WHEN g % 7 = 0 THEN 'charter_school' ELSE 'school_district' END",
            "state": "'NY'", "city": _pick(WORDS, "g * 3") + " || 'ville'",
            "complaint_email": "'privacy@district-' || lpad(g::text, 4, '0') || '.example.org'",
            "complaint_contact_name": "'Data Protection Officer'",
            "data_protection_office_name": "'Data Protection Officer'",
            "data_protection_office_email": "'dpo@district-' || lpad(g::text, 4, '0') || '.example.org'",
            "post_exhibit_c": "false", "created_at": "now()", "updated_at": "now()",
        }, f"generate_series(1, {d}) g"))  # fmt: skip
        timed("district memberships", lambda: _insert(c, "agreements_districtmembership", {
            "agency_id": "g", "user_id": "g", "role": "'admin'", "created_at": "now()",
        }, f"generate_series(1, {d}) g"))  # fmt: skip
        timed("bills of rights", lambda: _insert(c, "exhibits_billofrights", {
            "agency_id": "a.id", "version": "1", "title": "'Parents'' Bill of Rights for Data Privacy and Security'",
            "preamble": f"'{bill_of_rights.MODEL_PREAMBLE.replace(chr(39), chr(39) * 2)}'",
            "items": "replace(replace(%s, 'DISTRICT_NAME', a.name), 'DISTRICT_SLUG', a.slug)::jsonb",
            "effective_date": "DATE '2024-07-01'", "created_at": "now()",
        }, "agreements_educationalagency a", [bill_items]))  # fmt: skip
        timed("vendors", lambda: _insert(c, "vendors_contractor", {
            "id": "g",
            "legal_name": f"{_pick(WORDS, 'g')} || {_pick(WORDS, 'g / 40')} || ' ' || {_pick(SUFFIXES, 'g / 1600')}"
            " || CASE WHEN g > 12800 THEN ' ' || g ELSE '' END || ', Inc.'",
            "slug": "'vendor-' || lpad(g::text, 5, '0')",
            "state": "'NY'", "website": "'https://vendor-' || g || '.example.com'",
            "created_at": "now()", "updated_at": "now()",
        }, f"generate_series(1, {v}) g"))  # fmt: skip
        timed("vendor memberships", lambda: _insert(c, "vendors_contractormembership", {
            "contractor_id": "g", "user_id": f"{d} + g", "role": "'admin'", "created_at": "now()",
        }, f"generate_series(1, {v}) g"))  # fmt: skip
        # Two products per vendor: 2g - 1 and 2g.
        timed("products", lambda: _insert(c, "vendors_product", {
            "id": "p",
            "contractor_id": "(p + 1) / 2",
            "name": f"{_pick(WORDS, 'p * 13')} || ' ' || {_pick(PRODUCT_KINDS, 'p')}",
            "slug": "'product-' || p",
            "description": "'An online service for classroom instruction, practice and progress reports.'",
            "website": "''", "created_at": "now()",
        }, f"generate_series(1, {2 * v}) p"))  # fmt: skip
        timed("subcontractors", lambda: _insert(c, "vendors_subcontractor", {
            "contractor_id": "g", "name": _pick([s[0] for s in SUBCONTRACTORS], "g + k"),
            "purpose": _pick([s[1] for s in SUBCONTRACTORS], "g + k"),
            "receives_pii": "true", "written_agreement": "true", "created_at": "now()", "updated_at": "now()",
        }, f"generate_series(5, {v}, 5) g, generate_series(0, 1) k"))  # fmt: skip

        # Agreements: ids 1..2000 are the big district's; the rest go round the other districts.
        timed("agreements", lambda: _insert(c, "agreements_agreement", {
            "id": "g", "agency_id": f"CASE WHEN g <= {sizes.big_district} THEN 1 ELSE 2 + (g % {d - 1}) END",
            "contractor_id": f"1 + ((g::bigint * 7919) % {v})",
            "framework_id": f"CASE WHEN g % 10 < 3 THEN {csf_11} ELSE {csf_20} END",
            "status": "s", "kind": "'new'", "runs_until_terminated": "false", "public_copy_due": "false",
            "service_agreement_date": "e.end_on - 375", "contract_start": "e.end_on - 365", "contract_end": "e.end_on",
            "status_changed_at": "e.last_at", "posted_at": f"CASE WHEN s IN {POSTED} THEN e.executed_at END",
            "created_at": "e.created_at", "updated_at": "e.last_at",
        }, f"""generate_series(1, {n}) g, LATERAL (SELECT {status_sql} AS s) st,
            LATERAL (SELECT
              CASE WHEN s = 'executed' THEN {today_sql} + 91 + (g * 31) % 900
                   WHEN s IN ('expired', 'terminated') THEN {today_sql} - 2 - (g * 17) % 400
                   WHEN s = 'closed' THEN {today_sql} - 60 - (g * 13) % 1500
                   ELSE {today_sql} + 380 + (g % 300) END AS end_on) e0,
            LATERAL (SELECT
              ((e0.end_on - 360)::timestamp + interval '10 hours' + (g % 28800) * interval '1 second')::timestamptz
                AS executed_at,
              (({today_sql} - 10 - g % 60)::timestamp + interval '9 hours')::timestamptz AS draft_at) e1,
            LATERAL (SELECT e0.end_on, e1.executed_at,
              CASE WHEN s IN {POSTED} THEN e1.executed_at - interval '15 days' ELSE e1.draft_at END AS created_at,
              CASE WHEN s IN ('expired', 'closed') THEN (e0.end_on + 1)::timestamp + interval '3 hours'
                     + CASE WHEN s = 'closed' THEN interval '40 days' ELSE interval '0' END
                   WHEN s = 'terminated' THEN (e0.end_on - 30)::timestamp + interval '14 hours'
                   WHEN s = 'executed' THEN e1.executed_at
                   ELSE e1.draft_at + ({path_steps}) * interval '2 days' END::timestamptz AS last_at) e""",
        ))  # fmt: skip
        timed("agreement products", lambda: _insert(c, "agreements_agreement_products", {
            "agreement_id": "a.id", "product_id": "2 * a.contractor_id - k",
        }, "agreements_agreement a, generate_series(0, 1) k WHERE k = 1 OR a.id % 3 = 0"))  # fmt: skip

        def exhibit_b():
            return _insert(c, "exhibits_supplementalinformation", {
                "agreement_id": "a.id",
                "purposes": "replace(" + " || ' ' || ".join(_pick(PURPOSES, f"a.id / {k} + {k}") for k in (1, 7, 49))
                + ", '{product}', p.name)",
                "receives_student_pii": "true", "receives_appr_data": "a.id % 9 = 0",
                "subcontractor_use": "CASE WHEN a.contractor_id % 5 = 0 THEN 'will_use' ELSE 'will_not_use' END",
                "data_transition_details": _pick(TRANSITION, "a.id"),
                "correction_days": "30", "storage_third_party_cloud": "true", "storage_contractor_hosted": "false",
                "storage_other": "false", "storage_other_description": "''",
                "security_measures": " || ' ' || ".join(_pick(SECURITY, f"a.id / {k} + {k}") for k in (1, 3, 11, 37)),
                "encryption_details": _pick(ENCRYPTION, "a.id / 5"), "updated_at": "a.updated_at",
            }, "agreements_agreement a JOIN vendors_product p ON p.id = 2 * a.contractor_id")  # fmt: skip

        timed("Exhibit B", exhibit_b)
        timed("Exhibit B subcontractors", lambda: _insert(c, "exhibits_supplementalinformation_subcontractors", {
            "supplementalinformation_id": "b.id", "subcontractor_id": "s.id",
        }, "exhibits_supplementalinformation b JOIN agreements_agreement a ON a.id = b.agreement_id "
           "JOIN vendors_subcontractor s ON s.contractor_id = a.contractor_id"))  # fmt: skip
        timed("Exhibit C", lambda: _insert(c, "exhibits_securityplan", {
            "agreement_id": "a.id", **{f: _pick(PLAN, f"a.id + {i}") for i, f in enumerate((
                "implementation", "safeguards", "training", "subcontractor_contracts", "incident_management",
                "data_transition", "secure_destruction", "policy_alignment", "framework_alignment"))},
            "updated_at": "a.updated_at",
        }, "agreements_agreement a WHERE a.status <> 'draft'"))  # fmt: skip

        # The log: one row per step of each status's path, a few days apart, executed at posted_at.
        steps = []
        for status, path in PATHS.items():
            for i, to in enumerate(path):
                steps.append(f"('{status}', {i}, '{path[i - 1] if i else ''}', '{to}', {len(path)})")
        timed("status changes", lambda: _insert(c, "agreements_statuschange", {
            "agreement_id": "a.id", "from_status": "st.from_status", "to_status": "st.to_status",
            "note": "CASE WHEN st.to_status = 'with_vendor' THEN 'Sent to the vendor.' ELSE '' END",
            "created_at": "CASE WHEN st.to_status = 'executed' THEN a.posted_at "
            "WHEN st.to_status = 'expired' THEN (a.contract_end + 1)::timestamp + interval '3 hours' "
            "WHEN st.to_status IN ('terminated', 'closed') THEN a.status_changed_at "
            "ELSE a.created_at + (st.i * interval '2 days') END",
        }, f"agreements_agreement a JOIN (VALUES {', '.join(steps)}) st(status, i, from_status, to_status, n) "
           "ON st.status = a.status"))  # fmt: skip
        timed("terminations", lambda: _insert(c, "agreements_termination", {
            "agreement_id": "a.id", "effective_on": "a.status_changed_at::date", "basis": "'mutual'",
            "reason": "'The district stopped using the service at the end of the school year.'",
            "recorded_at": "a.status_changed_at",
        }, "agreements_agreement a WHERE a.status = 'terminated'"))  # fmt: skip

        def obligation(kind, rule, extra):
            return {
                "kind": f"'{kind}'", "agency_id": "a.agency_id", "contractor_id": "a.contractor_id",
                "agreement_id": "a.id", "title": f"'{rule.title}'", "owed_by": f"'{rule.owed_by}'",
                "owed_to": "ag.name" + (" || ' and the contractor'" if kind == rules.TERM_END else ""),
                "rule": "%s", "source": f"'{rule.source}'", "day_kind": f"'{rule.day_kind}'",
                "due_explanation": "''", "met_note": "''", "delay_reason": "''", "delay_note": "''",
                "created_at": "a.status_changed_at", **extra,
            }  # fmt: skip

        timed("term-end deadlines", lambda: _insert(c, "agreements_obligation", obligation(
            rules.TERM_END, term_rule, {
                "clock_started_on": "a.contract_start", "due_on": "a.contract_end", "status": "'open'",
            }), "agreements_agreement a JOIN agreements_educationalagency ag ON ag.id = a.agency_id "
                "WHERE a.status = 'executed'", [term_rule.text]))  # fmt: skip
        timed("return-or-destroy deadlines", lambda: _insert(c, "agreements_obligation", obligation(
            rules.RETURN_DESTROY, destroy_rule, {
                "clock_started_on": "a.status_changed_at::date",
                "due_on": "a.status_changed_at::date + 30",
                "status": f"CASE WHEN a.status = 'closed' THEN 'met' WHEN a.status_changed_at::date + 30 < {today_sql} "
                "THEN 'overdue' ELSE 'open' END",
                "met_at": "CASE WHEN a.status = 'closed' THEN a.status_changed_at END",
            }), "agreements_agreement a JOIN agreements_educationalagency ag ON ag.id = a.agency_id "
                "WHERE a.status IN ('expired', 'terminated', 'closed')", [destroy_rule.text]))  # fmt: skip
        # What the sweep on `today` would remind of, already sent: only the designated items are left to do.
        reminder = (
            f"CASE WHEN o.due_on < {today_sql} THEN 'overdue' "
            + " ".join(
                f"WHEN o.kind = '{kind}' AND o.due_on - {today_sql} <= {offset} THEN 'before:{offset}'"
                for kind, offsets in (
                    (rules.TERM_END, term_rule.reminders),
                    (rules.RETURN_DESTROY, destroy_rule.reminders),
                )
                for offset in sorted(offsets)
            )
            + " END"
        )
        timed("reminders already sent", lambda: _insert(c, "agreements_reminder", {
            "obligation_id": "o.id", "kind": "r.kind", "claimed_at": "now()",
        }, f"agreements_obligation o JOIN agreements_agreement a ON a.id = o.agreement_id, LATERAL (SELECT {reminder} "
           f"AS kind) r WHERE o.status IN ('open', 'overdue') AND r.kind IS NOT NULL"))  # fmt: skip

        def finish():
            c.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND (column_default LIKE 'nextval%%' OR is_identity = 'YES')"
            )
            for table, column in c.fetchall():
                c.execute(f"SELECT pg_get_serial_sequence('{table}', '{column}')")
                sequence = c.fetchone()[0]
                if sequence:
                    c.execute(f"SELECT setval('{sequence}', coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")  # noqa: S608
            c.execute("ANALYZE")
            return 0

        timed("sequences and ANALYZE", finish)
    return out


def derive(connection, log=print) -> dict:
    """What the portal stores beside the rows and fills from them (its migrations backfill it for existing data): the
    districts' posted counts, the statewide search's entries, the sweep's bookkeeping. Each part runs only if the
    portal has it, so the generator works before and after the change that brings it."""
    import importlib

    seconds = {}
    with connection.cursor() as c:
        columns = _not_null_columns(c, "agreements_educationalagency")
        if "posted_count" in columns:
            started = time.perf_counter()
            c.execute(
                "UPDATE agreements_educationalagency ag SET posted_count = coalesce((SELECT count(*) FROM "  # noqa: S608
                f"agreements_agreement a WHERE a.agency_id = ag.id AND a.status IN {POSTED}), 0)"
            )
            seconds["posted counts"] = time.perf_counter() - started
        try:
            sweep_migration = importlib.import_module("agreements.migrations.0018_sweep_reads_what_is_due")
        except ImportError:
            sweep_migration = None
        for name in ("MARK_HANDLED", "FAR_DUTIES"):
            sql = getattr(sweep_migration, name, None)
            if isinstance(sql, str):
                started = time.perf_counter()
                c.execute(sql)
                seconds[f"sweep bookkeeping ({name})"] = time.perf_counter() - started
    try:
        from exhibits.public.search_index import entries_refresh
    except ImportError:
        entries_refresh = None
    if entries_refresh is not None:
        started = time.perf_counter()
        entries_refresh(everything=True)
        seconds["search entries"] = time.perf_counter() - started
    with connection.cursor() as c:
        started = time.perf_counter()
        c.execute("ANALYZE")
        seconds["ANALYZE"] = time.perf_counter() - started
    for name, value in seconds.items():
        log(f"  {name}: {value:.1f} s")
    return seconds


def make_due(connection, sizes: Sizes, today: date) -> list[int]:
    """Give the sweep its fixed work (see the module's docstring): `DUE_ITEMS` executed agreements, spread over the
    ids, end yesterday or in 20 days; their end-of-term items follow. Returns their ids."""
    step = sizes.agreements // DUE_ITEMS
    with connection.cursor() as c:
        c.execute(
            f"SELECT id FROM agreements_agreement WHERE status = 'executed' AND (id - 1) % {step} < 50 "  # noqa: S608
            f"ORDER BY (id - 1) / {step}, id"
        )
        ids, seen = [], set()
        for (pk,) in c.fetchall():
            bucket = (pk - 1) // step
            if bucket not in seen:
                seen.add(bucket)
                ids.append(pk)
        ids = ids[:DUE_ITEMS]
        for i, pk in enumerate(ids):
            end = f"DATE '{today.isoformat()}' " + ("- 1" if i % 2 == 0 else "+ 20")
            c.execute(
                f"UPDATE agreements_agreement SET contract_end = {end}, contract_start = {end} - 365 WHERE id = %s",  # noqa: S608
                [pk],
            )
            c.execute(
                f"UPDATE agreements_obligation SET due_on = {end} WHERE agreement_id = %s AND kind = 'term_end'",  # noqa: S608
                [pk],
            )
            c.execute("DELETE FROM agreements_reminder r USING agreements_obligation o WHERE r.obligation_id = o.id "
                      "AND o.agreement_id = %s", [pk])  # fmt: skip
    return ids
