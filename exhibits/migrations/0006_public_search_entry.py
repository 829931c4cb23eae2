"""The statewide search's stored document (issue 13): PublicSearchEntry, filled from the tables in one set-based
statement, then indexed (the GIN indexes on PostgreSQL only: SQLite's `make run` matches the text columns).

The SQL is a copy of exhibits/public/search_index.py's as it was when this migration was written, so that a later
change there cannot change what this migration does.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

POSTED = ("executed", "expired", "terminated", "closed")
WITHHELD = "subcontractors"

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


def backfill(apps, schema_editor):
    posted = ", ".join(["%s"] * len(POSTED))
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL.format(posted=posted, where="TRUE"), [*POSTED, WITHHELD])
            # The foreign keys are checked at the commit; the indexes cannot be built while those checks wait.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute(_SQLITE[1].format(posted=posted, where="1"), [WITHHELD, *POSTED])


def analyze(apps, schema_editor):
    """The planner's statistics of the new documents, which choose between a tier's GIN index and its newest rows.

    No parallel scan of this table: every search reads a bounded part of it, and a plan that starts two workers for a
    branch it then skips (the search's GIN branches run only for a rare word) spends more than the search itself.
    """
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ALTER TABLE exhibits_publicsearchentry SET (parallel_workers = 0)")
            cursor.execute("ANALYZE exhibits_publicsearchentry")


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """A GIN index on a tsvector: PostgreSQL's; elsewhere the model state has it and the database does not."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0016_posted_at"),
        ("exhibits", "0005_text_length_limits"),
        ("vendors", "0002_text_length_limits"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicSearchEntry",
            fields=[
                (
                    "agreement",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="public_search_entry",
                        serialize=False,
                        to="agreements.agreement",
                    ),
                ),
                ("district", models.CharField(max_length=200)),
                ("vendor", models.CharField(max_length=200)),
                ("products", models.TextField(blank=True)),
                ("subcontractors", models.TextField(blank=True)),
                ("names", django.contrib.postgres.search.SearchVectorField(null=True)),
                ("suppliers", django.contrib.postgres.search.SearchVectorField(null=True)),
                ("document", django.contrib.postgres.search.SearchVectorField(null=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agreements.educationalagency",
                    ),
                ),
            ],
            options={
                "verbose_name": "statewide search entry",
                "verbose_name_plural": "statewide search entries",
            },
        ),
        # Filled before it is indexed: building an index once is quicker than keeping it while a million rows arrive.
        migrations.RunPython(backfill, migrations.RunPython.noop),
        AddIndexOnPostgreSQL(
            model_name="publicsearchentry",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["names"], name="public_search_names", fastupdate=False
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="publicsearchentry",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["suppliers"], name="public_search_suppliers", fastupdate=False
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="publicsearchentry",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["document"], name="public_search_document", fastupdate=False
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
