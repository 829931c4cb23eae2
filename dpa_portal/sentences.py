"""A sentence that ends with a name: one period, never two. A legal name often ends with its own ("CodeHS, Inc.",
"Acme Co."), and "Welcome to CodeHS, Inc.." reads as a typo in an invitation, a message or an e-mail (issue 14.6).

Python text uses `full_stop`; templates use the `full_stop` filter of the `sentences` library
(agreements/templatetags/sentences.py): `approved the answers of {{ agreement.contractor|full_stop }}`.
"""

# What already ends a sentence: a name that ends with one of these takes no period of its own.
SENTENCE_ENDINGS = (".", "!", "?", "\u2026")


def full_stop(name) -> str:
    """`name` ending a sentence: followed by a period, unless it ends with one already ("CodeHS, Inc.")."""
    text = str(name).rstrip()
    return text if text.endswith(SENTENCE_ENDINGS) else f"{text}."
