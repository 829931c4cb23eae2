"""What a signed DPA's PDF says (issue 12.4): its text, whether it follows the NYS model DPA, and the Exhibit B answers
and dates it carries, proposed to the district under the import template's column names for it to confirm.

Two layouts are read: (a) the portal's own rendered DPA (templates/dpa/dpa.html), and (b) the model DPA as districts
fill it in by hand or in Word (reference/nys-model-dpa-example.txt). Both put each Exhibit B label before its answer,
so the section is cut at the model's labels, in the model's order. A PDF is an untrusted upload: the work is bounded
(pages, characters) and whatever pypdf raises becomes `problem`, never an exception.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

MAX_PAGES = 60  # a model DPA is 10-20 pages; its Exhibit B comes well before page 60
MAX_CHARS = 400_000  # about 150 pages of dense text: enough, and bounds the regexes below
# pypdf reads drawing instructions at about 1 MB a second and only refuses a stream past 75 MB decoded: a text page of
# a DPA holds 20-100 kB of them, so a page over the first bound is skipped and reading stops at the second.
MAX_PAGE_DRAWING = 2_000_000
MAX_DRAWING = 6_000_000
MIN_TEXT = 200  # fewer non-space characters than this over all pages: a scan, perhaps with a stamped page number


@dataclass
class PdfReading:
    pages: int = 0
    has_text: bool = False
    model_dpa: bool = False
    problem: str = ""  # "" or a sentence for the district
    proposals: dict[str, str | date | list[str] | bool] = field(default_factory=dict)


def pdf_read(data: bytes) -> PdfReading:
    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk (PDF 32000-1, annex H)
        return PdfReading(problem="not a PDF")
    if b"%%EOF" not in data[-2048:]:  # every complete PDF, and every incremental update of one, ends with it
        return PdfReading(problem="the PDF is damaged: it is cut short (no end-of-file marker)")
    try:
        pages, text = _extract(data)
    except _Encrypted:
        return PdfReading(problem="the PDF is encrypted and cannot be read")
    except Exception as error:  # pypdf raises many kinds on a hostile file: each means "damaged"
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        return PdfReading(problem=f"the PDF is damaged: {reason}")
    if sum(not c.isspace() for c in text) < MIN_TEXT:
        return PdfReading(pages=pages)  # scanned: accepted, and said to be so by has_text
    text = _without_page_furniture(text)
    model = sum(bool(marker.search(text)) for marker in MODEL_MARKERS) >= 2
    return PdfReading(pages=pages, has_text=True, model_dpa=model, proposals=_proposals(text) if model else {})


class _Encrypted(Exception):
    pass


def _extract(data: bytes) -> tuple[int, str]:
    from pypdf import PdfReader  # here: only the import reads PDFs

    reader = PdfReader(io.BytesIO(data), strict=False)
    # Owner-password-only files ("no printing") open with the empty password; a real user password does not.
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as error:  # an algorithm pypdf does not know: as closed as a password
            raise _Encrypted from error
        if not opened:
            raise _Encrypted
    texts, size, drawing = [], 0, 0
    for page in reader.pages[:MAX_PAGES]:
        page_drawing = _drawing_size(page)
        drawing += page_drawing
        if drawing > MAX_DRAWING:
            break
        text = _page_text(page) if page_drawing <= MAX_PAGE_DRAWING else ""
        texts.append(text[: MAX_CHARS - size])
        size += len(texts[-1])
        if size >= MAX_CHARS:
            break
    return len(reader.pages), "\n".join(texts)


def _page_text(page) -> str:
    """The page's text; "" when pypdf cannot read it (a font it does not understand), as a viewer shows the page
    anyway. A file whose structure cannot be read is damaged (above); one unreadable page is not."""
    try:
        return page.extract_text() or ""
    except Exception:  # pypdf's errors have no common base
        return ""


def _drawing_size(page) -> int:
    """The decoded size of the page's content streams and of the forms it draws (which extract_text reads too), each
    decoded once (pypdf keeps the result), stopping as soon as the page is over its bound."""
    size, seen = 0, set()
    pending = [page.get("/Contents"), page.get("/Resources")]
    while pending and size <= MAX_PAGE_DRAWING:
        item = pending.pop()
        if item is None or id(item) in seen or len(seen) > 1000:
            continue
        seen.add(id(item))
        item = item.get_object()
        if isinstance(item, list):  # /Contents as an array of streams
            pending.extend(item)
        elif hasattr(item, "get_data"):  # a content stream, or a form XObject with resources of its own
            size += len(item.get_data())
            pending.append(item.get("/Resources"))
        elif hasattr(item, "get"):  # a resource dictionary: its forms (images are not decoded to read text)
            forms = (item.get("/XObject") or {}).get_object() if item.get("/XObject") else {}
            pending.extend(f for f in forms.values() if f.get_object().get("/Subtype") == "/Form")
    return size


def _without_page_furniture(text: str) -> str:
    """Lines that a page break puts in the middle of a table: running header and footer, page numbers, and the list
    bullets that pypdf gives after the page's text (layout a)."""
    furniture = re.compile(
        r"^\s*(Page \d+ of \d+|Document ID: \S+|DRAFT - not executed|.{1,300} — Data Privacy Agreement"
        r"|[•·▪]|\d{1,3})\s*$"
    )
    return "\n".join(line.lstrip("•·▪ ") for line in text.splitlines() if not furniture.match(line))


def _words(phrase: str) -> str:
    """A phrase as a pattern that survives line wrapping: any run of spaces, and a break after "/" or "-"."""
    return r"\s+".join(re.escape(word).replace("/", r"/\s*").replace(r"\-", r"-\s*") for word in phrase.split())


MODEL_MARKERS = [  # both layouts; two are needed, so a letter that mentions "Data Privacy Agreement" is not one
    re.compile(_words("Data Privacy Agreement"), re.I),
    re.compile(r"EXHIBIT\s+B\b"),
    re.compile(_words("SUPPLEMENTAL INFORMATION"), re.I),
    re.compile(r"Parents'?\s+Bill\s+of\s+Rights|BILL\s+OF\s+RIGHTS\s+FOR\s+DATA\s+PRIVACY", re.I),
]

# The rows of the model's Exhibit B, in its order: (key, label). Labels start a line in both layouts.
ROWS = [
    ("vendor", _words("Name of Contractor")),
    ("purposes", _words("Description of the purpose(s) for which Contractor will receive/access PII")),
    ("pii", _words("Type of PII that Contractor will receive/access")),
    ("term", _words("Contract Term")),
    ("subcontractor_terms", _words("Subcontractor Written Agreement Requirement")),
    ("data_transition", _words("Data Transition and Secure Destruction")),
    ("accuracy_challenges", _words("Challenges to Data Accuracy")),
    ("storage_and_security", _words("Secure Storage and Data Security")),
    # "Encryption" alone could start a line of an answer: the model's fixed sentence follows the label.
    ("encryption", r"Encryption(?=\s+Data\s+will\s+be\s+encrypted)"),
]
SECTION_START = re.compile(_words("SUPPLEMENTAL INFORMATION FOR CONTRACTS"))  # Exhibit B's heading, upper case
SECTION_END = re.compile(r"^\s*(CONTRACTOR\s*$|EXHIBIT\s+C\b)", re.M)  # its signature block, or Exhibit C

# Check boxes: ☒ ☑ as WeasyPrint and Word's Unicode fonts write them, \uf0fe \uf0fd \uf078 as Wingdings boxes come
# out of Word, ✓ ✔ [x] as typed by hand; empty: ☐ □ and Wingdings' \uf0a8 \uf06f \uf071.
CHECKED = r"(?:[☒☑✓✔\uf0fe\uf0fd\uf078]|\[\s*[xX]\s*\])"
UNCHECKED = r"(?:[☐□\uf0a8\uf06f\uf071]|\[\s*\])"
OPTIONS = [  # the model's options, so that an unchecked one is removed with its text even when it wraps
    "Student PII",
    "APPR Data",
    "Contractor will not utilize subcontractors.",
    "Contractor will utilize subcontractors.",
    "Using a cloud or infrastructure owned and hosted by a third party.",
    "Using Contractor owned and hosted solution",
    "Other:",
]
PROMPTS = [  # the model's instructions to whoever fills it in: not part of an answer
    "Check all that apply:",
    "(check applicable option)",
    "Please describe where PII will be stored and the protections taken to ensure PII will be protected:",
    "(check all that apply)",
    "Please describe how data security and privacy risks will be mitigated in a manner that does not compromise "
    "the security of the data:",
    "Not answered.",  # layout (a): the portal's placeholder for an empty answer
]
BLANK = re.compile(r"_{2,}")  # layout (b): the lines to write on

MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
DATE = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b"  # 07/01/2025, 7/1/2025 (layout a writes n/j/Y)
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b"  # 2025-07-01
    r"|(?P<month>[A-Za-z]{3,9})\.?\s+(?P<wd>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<wy>\d{4})\b"  # July 1, 2025; Jul. 1 2025
)


def _date(text: str) -> date | None:
    found = DATE.search(text)
    if not found:
        return None
    g = found.groupdict()
    try:
        if g["m"]:
            year = int(g["y"]) + (2000 if len(g["y"]) == 2 else 0)
            return date(year, int(g["m"]), int(g["d"]))
        if g["iy"]:
            return date(int(g["iy"]), int(g["im"]), int(g["id"]))
        month = next(n for n, name in enumerate(MONTHS, 1) if name.startswith(g["month"].lower()))
        return date(int(g["wy"]), month, int(g["wd"]))
    except (ValueError, StopIteration):  # 13/45/2025, "Contract 1, 2025": not a date
        return None


def _proposals(text: str) -> dict:
    found = {}
    # Outside Exhibit B, both layouts: the preamble names the Contractor, Article II.1 dates the Service Agreement.
    preamble = re.search(r"Educational\s+Agency,\s+and\s+(?:the\s+)?(.{1,200}?)\s*\(\s*[\"“]Contractor[\"”]\s*\)", text)
    if preamble and _clean(preamble.group(1)):
        found["vendor"] = _clean(preamble.group(1))
    dated = re.search(r"contract\s+dated\s+(.{1,40}?)\s*\(\s*[\"“]Service\s+Agreement[\"”]", text)
    if dated and _date(dated.group(1)):
        found["service_agreement_date"] = _date(dated.group(1))
    cells = _exhibit_b_cells(text)
    if cells.get("vendor") and _clean(cells["vendor"]):
        found["vendor"] = _clean(cells["vendor"].strip().splitlines()[0])
    term = cells.get("term", "")
    for key, label in [("contract_start", "Contract Start Date"), ("contract_end", "Contract End Date")]:
        after = re.search(_words(label) + r"[:\s]*([^\n]{0,40})", term)
        if after and _date(after.group(1)):
            found[key] = _date(after.group(1))
    purposes = _clean(cells.get("purposes", ""))
    # A blank Exhibit B still carries the model's fixed wording: it is proposed only where the form was filled in.
    filled = bool(purposes or "contract_start" in found or "contract_end" in found)
    filled = filled or any(re.search(CHECKED, cell) for cell in cells.values())
    if not filled:
        return found
    if purposes:
        found["purposes"] = purposes
    for key, option in [("student_pii", "Student PII"), ("appr_data", "APPR Data")]:
        box = re.search(rf"({CHECKED}|{UNCHECKED})\s*{_words(option)}", cells.get("pii", ""))
        if box:
            found[key] = bool(re.fullmatch(CHECKED, box.group(1)))
    subcontractors = cells.get("subcontractor_terms", "")
    listed = re.search(r"Subcontractors?(?:\s+used)?:\s*(.*)", subcontractors, re.S)
    if listed:
        subcontractors = subcontractors[: listed.start()]
        names = _subcontractor_names(listed.group(1))
        if names:
            found["subcontractors"] = names
    cells["subcontractor_terms"] = subcontractors
    for key in ["subcontractor_terms", "data_transition", "accuracy_challenges", "storage_and_security", "encryption"]:
        answer = _clean(_answered_options(cells.get(key, "")))
        if answer:
            found[key] = answer
    return found


def _exhibit_b_cells(text: str) -> dict[str, str]:
    """Exhibit B cut at its labels: {key: the text between the label and the next one found}."""
    start = SECTION_START.search(text)
    if not start:
        return {}
    end = SECTION_END.search(text, start.end())
    section = text[start.end() : end.start() if end else len(text)]
    labels, position = [], 0
    for key, label in ROWS:
        found = re.compile(r"^[ \t]*" + label, re.M).search(section, position)
        if found:
            labels.append((key, found.start(), found.end()))
            position = found.end()
    ends = [begin for _, begin, _ in labels[1:]] + [len(section)]
    return {key: section[after:stop] for (key, _, after), stop in zip(labels, ends, strict=True)}


def _answered_options(cell: str) -> str:
    """The cell without its unchecked options and its check boxes: what the signed copy says was chosen."""
    for option in OPTIONS:
        cell = re.sub(rf"{UNCHECKED}\s*{_words(option)}", " ", cell)
    cell = re.sub(rf"{UNCHECKED}[^\n]*", " ", cell)  # an option the model does not have, left empty
    cell = re.sub(rf"{CHECKED}\s*", "", cell)
    cell = re.sub(r"\bOther:\s*$", "", cell.strip())  # "Other:" checked without a description
    return cell


def _clean(text: str) -> str:
    for prompt in PROMPTS:
        text = re.sub(_words(prompt), " ", text, flags=re.I)
    return " ".join(BLANK.sub(" ", text).split()).strip(" :")


def _subcontractor_names(listing: str) -> list[str]:
    """Names from "Name: what it does" lines (layout a) or a list separated by semicolons (layout b)."""
    names, previous = [], ""
    for line in (part.strip() for part in re.split(r"[\n;]", listing)):
        # A line wrapped from an entry with a description ("Name: Hosting and encrypted\nstorage.") is no name.
        if line and not (":" in previous and not previous.endswith(".") and ":" not in line):
            name = _clean(line.split(":", 1)[0])
            if name and len(name) <= 200:
                names.append(name)
        previous = line
    return names
