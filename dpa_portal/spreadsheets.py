"""Text for a cell of a CSV file that people open in a spreadsheet: the open data (exhibits.public.opendata) and the
portfolio's template, report and archive (portfolio.sheet) write theirs through this one rule."""

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """`text` as a spreadsheet shows it, as text: with a leading quote when it would start a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def formula_unquoted(text: str) -> str:
    """The inverse of `formula_safe`: a cell written as '=... reads back as =... (a portfolio archive imported)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text
