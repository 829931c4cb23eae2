"""The statewide search's stored document (exhibits.models.PublicSearchEntry), kept current as agreements change.

One SQL statement writes the entries of any set of agreements from the tables themselves (set-based: the migration's
backfill, a vendor renamed in 700 districts and one agreement executed are the same statement): an entry for each
posted agreement, none for the others, and an unchanged entry is not written again. What the public may not see is
never copied: subcontractors the district withholds (121.3(e)) are left out, so the search cannot find an agreement
by them.

When it runs (the receivers below, connected from exhibits/apps.py):
- an agreement becomes posted or stops being posted (its log of status changes; a save of the whole row);
  expired, terminated and closed stay posted, so the sweep's thousands of expirations write nothing here;
- its products, the subcontractors of its Exhibit B, or a redaction of the subcontractors change;
- a vendor, product, subcontractor or district is renamed.
Inside an import's batch (exhibits.public.services.public_pages_held) the agreements are collected and written in
one statement when the batch's transaction commits, not once per row and signal.

A bulk writer that bypasses the signals (QuerySet.update, a merge of two vendors) calls `entries_refresh()`.
"""

import threading

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from agreements.models import Agreement, EducationalAgency, StatusChange, statuses
from exhibits.models import Redaction, RedactionField, SupplementalInformation
from vendors.models import Contractor, Product, Subcontractor
from vendors.signals import contractors_merged

from . import cache

# At most this many agreement ids in one statement's IN list.
CHUNK = 1_000

_POSTED = tuple(statuses.POSTED)

# The entries of the agreements chosen by {where} (a condition on `a`, the agreement). PostgreSQL: one statement
# (the DELETE is a data-modifying CTE). The name texts are kept as written; the documents read "<" and ">" as spaces,
# since the text search parser would drop anything that looks like an HTML tag and a name is text.
_POSTGRESQL = """
WITH target AS (
    SELECT a.id, a.agency_id, a.contractor_id FROM agreements_agreement a
    WHERE a.status IN ({posted}) AND ({where})
), gone AS (
    DELETE FROM exhibits_publicsearchentry e
    WHERE e.agreement_id IN (SELECT a.id FROM agreements_agreement a WHERE ({where}))
    AND e.agreement_id NOT IN (SELECT id FROM target)
), products AS (
    SELECT ap.agreement_id, string_agg(p.name, ', ' ORDER BY p.name) AS names
    FROM agreements_agreement_products ap JOIN vendors_product p ON p.id = ap.product_id
    WHERE ap.agreement_id IN (SELECT id FROM target)
    GROUP BY ap.agreement_id
), subcontractors AS (
    SELECT si.agreement_id, string_agg(s.name, ', ' ORDER BY s.name) AS names
    FROM exhibits_supplementalinformation si
    JOIN exhibits_supplementalinformation_subcontractors ss ON ss.supplementalinformation_id = si.id
    JOIN vendors_subcontractor s ON s.id = ss.subcontractor_id
    WHERE si.agreement_id IN (SELECT id FROM target)
    AND NOT EXISTS (
        SELECT 1 FROM exhibits_redaction r WHERE r.agreement_id = si.agreement_id AND r.field = %s
    )
    GROUP BY si.agreement_id
), fresh AS (
    SELECT t.id, t.agency_id, ag.name AS district, c.legal_name AS vendor,
        coalesce(pr.names, '') AS products, coalesce(su.names, '') AS subcontractors
    FROM target t
    JOIN agreements_educationalagency ag ON ag.id = t.agency_id
    JOIN vendors_contractor c ON c.id = t.contractor_id
    LEFT JOIN products pr ON pr.agreement_id = t.id
    LEFT JOIN subcontractors su ON su.agreement_id = t.id
), vectors AS (
    SELECT f.*,
        setweight(to_tsvector('simple', translate(f.vendor || ' ' || f.products, '<>', '  ')), 'A') AS a,
        setweight(to_tsvector('simple', translate(f.subcontractors, '<>', '  ')), 'B') AS b,
        setweight(to_tsvector('simple', translate(f.district, '<>', '  ')), 'C') AS c
    FROM fresh f
)
INSERT INTO exhibits_publicsearchentry
    (agreement_id, agency_id, district, vendor, products, subcontractors, names, suppliers, document)
SELECT id, agency_id, district, vendor, products, subcontractors, a, a || b, a || b || c FROM vectors
ON CONFLICT (agreement_id) DO UPDATE SET
    agency_id = EXCLUDED.agency_id, district = EXCLUDED.district, vendor = EXCLUDED.vendor,
    products = EXCLUDED.products, subcontractors = EXCLUDED.subcontractors,
    names = EXCLUDED.names, suppliers = EXCLUDED.suppliers, document = EXCLUDED.document
WHERE (exhibits_publicsearchentry.agency_id, exhibits_publicsearchentry.district, exhibits_publicsearchentry.vendor,
    exhibits_publicsearchentry.products, exhibits_publicsearchentry.subcontractors)
    IS DISTINCT FROM
    (EXCLUDED.agency_id, EXCLUDED.district, EXCLUDED.vendor, EXCLUDED.products, EXCLUDED.subcontractors)
"""

# SQLite (`make run`): the same rows without the documents, in two statements.
_SQLITE = [
    """
DELETE FROM exhibits_publicsearchentry
WHERE agreement_id IN (SELECT a.id FROM agreements_agreement a WHERE ({where}))
AND agreement_id NOT IN (SELECT a.id FROM agreements_agreement a WHERE a.status IN ({posted}) AND ({where}))
""",
    """
INSERT INTO exhibits_publicsearchentry
    (agreement_id, agency_id, district, vendor, products, subcontractors, names, suppliers, document)
SELECT a.id, a.agency_id, ag.name, c.legal_name,
    coalesce((SELECT group_concat(p.name, ', ') FROM agreements_agreement_products ap
        JOIN vendors_product p ON p.id = ap.product_id WHERE ap.agreement_id = a.id), ''),
    coalesce((SELECT group_concat(s.name, ', ') FROM exhibits_supplementalinformation si
        JOIN exhibits_supplementalinformation_subcontractors ss ON ss.supplementalinformation_id = si.id
        JOIN vendors_subcontractor s ON s.id = ss.subcontractor_id
        WHERE si.agreement_id = a.id AND NOT EXISTS (
            SELECT 1 FROM exhibits_redaction r WHERE r.agreement_id = a.id AND r.field = %s)), ''),
    NULL, NULL, NULL
FROM agreements_agreement a
JOIN agreements_educationalagency ag ON ag.id = a.agency_id
JOIN vendors_contractor c ON c.id = a.contractor_id
WHERE a.status IN ({posted}) AND ({where})
ON CONFLICT (agreement_id) DO UPDATE SET
    agency_id = excluded.agency_id, district = excluded.district, vendor = excluded.vendor,
    products = excluded.products, subcontractors = excluded.subcontractors
""",
]

# The conditions on `a` that choose whose entries to write, each with one parameter.
_BY = {
    "contractor": "a.contractor_id = %s",
    "agency": "a.agency_id = %s",
    "product": "a.id IN (SELECT agreement_id FROM agreements_agreement_products WHERE product_id = %s)",
    "subcontractor": (
        "a.id IN (SELECT si.agreement_id FROM exhibits_supplementalinformation si"
        " JOIN exhibits_supplementalinformation_subcontractors ss ON ss.supplementalinformation_id = si.id"
        " WHERE ss.subcontractor_id = %s)"
    ),
}


def _run(where: str, params: list) -> None:
    posted = ", ".join(["%s"] * len(_POSTED))
    withheld = [RedactionField.SUBCONTRACTORS.value]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # {where} appears twice (target, gone); the redaction's field comes between, in the subcontractors CTE.
            sql = _POSTGRESQL.format(posted=posted, where=where)
            cursor.execute(sql, [*_POSTED, *params, *params, *withheld])
        else:
            delete, insert = (s.format(posted=posted, where=where) for s in _SQLITE)
            cursor.execute(delete, [*params, *_POSTED, *params])
            cursor.execute(insert, [*withheld, *_POSTED, *params])


def entries_refresh(*, agreement_ids=None, everything: bool = False, **by) -> None:
    """Write the entries of these agreements from the tables, in one statement per thousand ids (one on PostgreSQL
    for `everything` or for each of `contractor=`, `agency=`, `product=`, `subcontractor=` given, by its id)."""
    if everything:
        _rebuild()
        return
    for name, value in by.items():
        _run(_BY[name], [value])
    ids = sorted({int(pk) for pk in agreement_ids or ()})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _run(f"a.id IN ({', '.join(['%s'] * len(chunk))})", chunk)


def _rebuild() -> None:
    """Every entry, as after rows written with SQL (a benchmark's database) or for a repair. On PostgreSQL the GIN
    indexes are dropped and built again around it, as the migration does, in one transaction: building an index
    once is far quicker than updating it for each of a million rows. The table stays locked until that ends."""
    if connection.vendor != "postgresql":
        _run("1", [])
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            ["exhibits_publicsearchentry", "% USING gin %"],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        _run("TRUE", [])
        # The foreign keys are checked at the commit; an index cannot be built while those checks wait.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        # As the migration leaves it, for a database migrated before it said so: no parallel scan (see there).
        cursor.execute("ALTER TABLE exhibits_publicsearchentry SET (parallel_workers = 0)")
        cursor.execute("ANALYZE exhibits_publicsearchentry")


# --- Batches: an import's rows are written once, when its transaction commits -----------------------------------

_pending = threading.local()


def _flush() -> None:
    ids = getattr(_pending, "ids", set())
    _pending.ids = set()
    if ids:
        entries_refresh(agreement_ids=ids)


def _changed(*agreement_ids) -> None:
    """These agreements' entries may be stale: write them now, or once at the batch's commit while one is held."""
    if not cache.held():
        entries_refresh(agreement_ids=agreement_ids)
        return
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    _pending.ids.update(agreement_ids)
    # Registered again for each row: a row refused rolls back its savepoint, and the callbacks registered in it.
    transaction.on_commit(_flush)


# --- Receivers ---------------------------------------------------------------------------------------------------


@receiver(post_save, sender=Agreement)
def agreement_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A save of the whole row (an import, the admin) may post it, or make it another district's or vendor's. A
    transition saves only its own fields and logs a StatusChange, which says whether posting changed; a new draft
    has nothing to index."""
    if raw or (created and instance.status not in _POSTED):
        return
    if update_fields is None or {"agency", "contractor"} & set(update_fields):
        _changed(instance.pk)


@receiver(post_save, sender=StatusChange)
def status_changed(sender, instance, raw=False, **kwargs):
    """Only when the agreement starts or stops being posted: executed -> expired changes nothing searched."""
    if not raw and (instance.to_status in _POSTED) != (instance.from_status in _POSTED):
        _changed(instance.agreement_id)


@receiver(m2m_changed, sender=Agreement.products.through)
def agreement_products_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        _changed(instance.pk)
    elif pk_set:
        _changed(*pk_set)
    else:  # a product's agreements cleared: they are among its vendor's
        entries_refresh(contractor=instance.contractor_id)


@receiver(m2m_changed, sender=SupplementalInformation.subcontractors.through)
def exhibit_b_subcontractors_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        _changed(instance.agreement_id)
    elif pk_set:  # a subcontractor added to or removed from several exhibits B
        _changed(*SupplementalInformation.objects.filter(pk__in=pk_set).values_list("agreement_id", flat=True))
    else:
        entries_refresh(contractor=instance.contractor_id)


@receiver(post_save, sender=Redaction)
@receiver(post_delete, sender=Redaction)
def redaction_changed(sender, instance, raw=False, **kwargs):
    """Withheld subcontractors leave the document at once, so that nobody finds the agreement by them."""
    if not raw and instance.field == RedactionField.SUBCONTRACTORS:
        _changed(instance.agreement_id)


@receiver(post_save, sender=Contractor)
def vendor_saved(sender, instance, created, raw=False, **kwargs):
    if not raw and not created:
        entries_refresh(contractor=instance.pk)


@receiver(post_save, sender=Product)
def product_saved(sender, instance, created, raw=False, **kwargs):
    if not raw and not created:  # a new product is in no agreement yet
        entries_refresh(product=instance.pk)


@receiver(post_save, sender=Subcontractor)
def subcontractor_saved(sender, instance, created, raw=False, **kwargs):
    if not raw and not created:
        entries_refresh(subcontractor=instance.pk)


@receiver(post_delete, sender=Product)
@receiver(post_delete, sender=Subcontractor)
def vendor_detail_deleted(sender, instance, **kwargs):
    """Its links are gone already; the agreements that named it are among its vendor's."""
    entries_refresh(contractor=instance.contractor_id)


@receiver(contractors_merged)
def vendors_merged(sender, agreement_ids, **kwargs):
    """Two contractors merged (issue 14.4): the moved agreements' vendor, products and subcontractors changed."""
    if agreement_ids:
        _changed(*agreement_ids)


@receiver(post_save, sender=EducationalAgency)
def district_saved(sender, instance, created, raw=False, **kwargs):
    if not raw and not created:
        entries_refresh(agency=instance.pk)
