"""The statewide search's GIN indexes hold each word's prefixes as words of their own (issue 13; see
exhibits.models.PREFIX_FROM): two common prefixes together are then found by skipping through two lists, not by
reading every list of every word they begin. The SQL function the indexes are built with, then the indexes, built
again (PostgreSQL only, as in 0006: SQLite's `make run` matches the text columns).
"""

import django.contrib.postgres.indexes
from django.db import migrations

import exhibits.models

# The words of a tsvector, with the first `shortest` to `longest` letters of each as lexemes of their own (a prefix
# that is a word already, or another word's prefix too, is kept once: array_to_tsvector merges them). IMMUTABLE, as an
# index's expression must be: it reads nothing but its arguments. Computed for each of the three indexes when an entry
# is written (about 16 us a document; the GIN insertions of the prefixes cost more).
FUNCTION = """
CREATE OR REPLACE FUNCTION public_search_prefixes(words tsvector, shortest integer, longest integer) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT words || array_to_tsvector(ARRAY(
        SELECT left(word, n) FROM unnest(tsvector_to_array(words)) AS word,
            generate_series(shortest, least(longest, length(word) - 1)) AS n
    ))
$$
"""


def on_postgresql(operation):
    """The operation on PostgreSQL; elsewhere the model state has it and the database does not. (0006's
    AddIndexOnPostgreSQL for any operation: a migration keeps its own copy, so that later code cannot change it.)"""

    class OnPostgreSQL(operation):
        def database_forwards(self, app_label, schema_editor, from_state, to_state):
            if schema_editor.connection.vendor == "postgresql":
                super().database_forwards(app_label, schema_editor, from_state, to_state)

        def database_backwards(self, app_label, schema_editor, from_state, to_state):
            if schema_editor.connection.vendor == "postgresql":
                super().database_backwards(app_label, schema_editor, from_state, to_state)

    return OnPostgreSQL


def sql_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("exhibits", "0008_answer_reuse_confirmed"),
    ]

    operations = [
        migrations.RunPython(
            sql_on_postgresql(FUNCTION),
            sql_on_postgresql("DROP FUNCTION IF EXISTS public_search_prefixes(tsvector, integer, integer)"),
        ),
        *(
            on_postgresql(migrations.RemoveIndex)(model_name="publicsearchentry", name=f"public_search_{column}")
            for column in ("names", "suppliers", "document")
        ),
        *(
            on_postgresql(migrations.AddIndex)(
                model_name="publicsearchentry",
                index=django.contrib.postgres.indexes.GinIndex(
                    exhibits.models.SearchPrefixes(column, 3, 10), fastupdate=False, name=f"public_search_{column}"
                ),
            )
            for column in ("names", "suppliers", "document")
        ),
        # The planner's statistics of the indexes' expressions, which the search's tsqueries are estimated with.
        migrations.RunPython(sql_on_postgresql("ANALYZE exhibits_publicsearchentry"), migrations.RunPython.noop),
    ]
