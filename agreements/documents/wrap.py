"""Break opportunities in long unbroken text, so that WeasyPrint lays out any answer in time linear in its length.

WeasyPrint fits a line by laying out the rest of the paragraph from that point, and it can cut that rest short only
at a break opportunity (a space) it finds soon enough. A string with no space, which CSS wraps with `overflow-wrap:
anywhere` (templates/dpa/dpa.css), is laid out again in full for every line: time grows with the square of its length
(issue 10: 5,000 characters took 14 s, 100,000 never finished). A zero-width space every few characters of such a run
gives WeasyPrint the break opportunities it needs; it draws nothing and adds nothing to the text that a reader copies
or extracts from the PDF (Pango draws no glyph for it), so the document reads exactly as written.

Only runs longer than `LONG_RUN` characters are touched: words, URLs, e-mail addresses and hashes print as before.
"""

import re
import unicodedata

# A run of this many characters without a space is longer than any word or address an answer holds in practice, and
# still fits a line of the narrowest column (the audit trail's actor, about 25 characters at 8.5 pt, wraps it anyhow).
LONG_RUN = 80
# Within a long run, a break opportunity after every this many characters: a wrapped line ends at most this much
# short of the column's edge.
STEP = 10
ZWSP = "\u200b"

# The body of the document, split into tags (and comments) and the text between them. The template escapes every
# value, so a text node holds no "<", and "&" only begins a character reference.
_BODY = re.compile(r"(<body\b.*</body>)", re.S | re.I)
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
# A run: characters other than the ASCII white space at which CSS may break a line (a no-break space does not count:
# it joins). A character reference (&amp;) counts as one character and is never cut.
_RUN = re.compile(r"(?:&#?\w+;|[^ \t\n\r\f<&])+")
_CHAR = re.compile(r"&#?\w+;|.", re.S)
# Characters that belong to the one before them (a combining accent, a joiner, a variation selector): never cut off.
_JOINERS = {"\u200c", "\u200d", *map(chr, range(0xFE00, 0xFE10))}


def break_long_runs(html: str) -> str:
    """`html` with a zero-width space every `STEP` characters inside each run of more than `LONG_RUN` characters
    without a space, in the text of its body (never in a tag, an attribute, a comment, the head or the styles)."""
    match = _BODY.search(html)
    if match is None:
        return html
    parts = _TAG.split(match.group(1))
    # Even positions are text, odd positions are tags; the text inside <style> or <script> (none in the body today)
    # is left alone.
    inside_raw_text = False
    for i, part in enumerate(parts):
        if i % 2:
            name = part[1:].split(None, 1)[0].lower().rstrip(">") if part[1:2] != "!" else ""
            if name in ("style", "script"):
                inside_raw_text = True
            elif name in ("/style", "/script"):
                inside_raw_text = False
        elif part and not inside_raw_text:
            parts[i] = _RUN.sub(_break_run, part)
    return html[: match.start()] + "".join(parts) + html[match.end() :]


def _break_run(match: re.Match) -> str:
    run = match.group(0)
    if len(run) <= LONG_RUN:  # fast path: a run of plain characters this short cannot be long
        return run
    clusters: list[str] = []
    for char in _CHAR.findall(run):
        if clusters and (
            char in _JOINERS or clusters[-1][-1] in _JOINERS or (len(char) == 1 and unicodedata.combining(char))
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    if len(clusters) <= LONG_RUN:
        return run
    return ZWSP.join("".join(clusters[i : i + STEP]) for i in range(0, len(clusters), STEP))
