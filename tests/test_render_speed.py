"""What keeps rendering and sealing a DPA close to WeasyPrint alone (issue 13, point 6; bench/render_and_seal.py).

Each test fails if one of the savings is lost, counting the work itself rather than timing it: the fonts and
stylesheets are made once per worker thread, each PDF stream is compressed once, and the seal's private key is
parsed once. And the savings change nothing: the document prints the same bytes as WeasyPrint on it as written.
"""

import io
import threading
import uuid
import zlib
from pathlib import Path

import pytest
import weasyprint
from django.conf import settings
from django.core.management import call_command
from pyhanko.sign.signers import pdf_cms
from weasyprint.text.fonts import FontConfiguration

from agreements.documents import render
from agreements.documents.seal import load_sealer, seal_pdf, verify_pdf
from agreements.documents.wrap import break_long_runs

DPA_CSS = (Path(settings.BASE_DIR) / "templates" / "dpa" / "dpa.css").read_text()


def document(css: str = DPA_CSS, *, paragraphs: int = 30) -> str:
    """A few pages in the DPA's style: headings, paragraphs, a table with headers, the margin boxes of dpa.css."""
    body = "".join(
        f"<h2>Article {n}</h2><p>Paragraph {n}: the Contractor shall protect the confidentiality of PII.</p>"
        for n in range(paragraphs)
    )
    table = "<table><thead><tr><th>Question</th><th>Answer</th></tr></thead><tbody>"
    table += "".join(f"<tr><th>Q{n}</th><td>Answer {n}</td></tr>" for n in range(20)) + "</tbody></table>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Render speed</title>'
        f"<style>\n{css}\n</style></head><body><h1>DATA PRIVACY AGREEMENT</h1>{body}{table}</body></html>"
    )


@pytest.fixture
def counted(monkeypatch):
    """How many FontConfigurations and CSS stylesheets WeasyPrint builds, and how many times zlib starts compressing
    a stream; each counter calls the real thing."""
    counts = {"fonts": 0, "css": 0, "compress": 0}

    def counting(name, original):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(FontConfiguration, "__init__", counting("fonts", FontConfiguration.__init__))
    monkeypatch.setattr(weasyprint.CSS, "__init__", counting("css", weasyprint.CSS.__init__))
    monkeypatch.setattr(zlib, "compressobj", counting("compress", zlib.compressobj))
    return counts


def test_fonts_and_stylesheets_are_made_once_per_worker(counted):
    html = document()
    render.html_to_pdf(html, document_id="DPA-SPEED-1")  # the worker's first render may make them
    counted.update(fonts=0, css=0)
    first = render.html_to_pdf(html, document_id="DPA-SPEED-1")
    second = render.html_to_pdf(html, document_id="DPA-SPEED-1")
    assert first == second  # still deterministic
    assert counted["fonts"] == 0, "a FontConfiguration was made again for a render"
    assert counted["css"] == 0, "the document's stylesheet was parsed again for a render"


def test_a_new_stylesheet_is_parsed_once_then_kept(counted):
    # A stylesheet no other test has used, as a public copy's source stored with an older CSS brings.
    css = f"/* {uuid.uuid4()} */\n{DPA_CSS}"
    html = document(css, paragraphs=3)
    render.html_to_pdf(document(paragraphs=3))  # whatever WeasyPrint itself loads on first use
    counted["css"] = 0
    render.html_to_pdf(html)
    render.html_to_pdf(html)
    assert counted["css"] == 1
    resources = render._weasyprint_resources()
    assert css.strip("\n") in {text.strip("\n") for text in resources.stylesheets}


def test_each_thread_has_its_own_fonts():
    # Pango's font map is not shared between threads (render._WeasyPrintResources).
    mine = render._weasyprint_resources().font_config
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(render._weasyprint_resources().font_config))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    assert render._weasyprint_resources().font_config is mine


def test_the_cached_stylesheets_print_the_same_bytes_as_the_document_as_written():
    # Also with a long run that wrap.py breaks, as in the DPA.
    html = document().replace("</h1>", "</h1><p>" + "x" * 500 + "</p>")
    portal = render.html_to_pdf(html, document_id="DPA-SPEED-2")
    alone = weasyprint.HTML(string=break_long_runs(html), base_url="about:blank").write_pdf(
        pdf_variant="pdf/ua-1", pdf_identifier=b"DPA-SPEED-2"
    )
    assert portal == alone


def test_each_stream_is_compressed_once_although_the_pdf_has_an_identifier(counted):
    html = document()
    render.html_to_pdf(html, document_id="DPA-SPEED-3")
    counted["compress"] = 0
    weasyprint.HTML(string=html, base_url="about:blank").write_pdf(pdf_variant="pdf/ua-1")
    without_identifier = counted["compress"]
    counted["compress"] = 0
    render.html_to_pdf(html, document_id="DPA-SPEED-3")
    # pydyf alone compresses every stream a second time for the /ID digest; with the identifier only the object
    # stream, which pydyf makes while writing, is compressed twice.
    assert without_identifier > 5
    assert counted["compress"] <= without_identifier + 1


@pytest.fixture(scope="module")
def sealer(tmp_path_factory):
    p12 = tmp_path_factory.mktemp("seal") / "seal.p12"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RENDER_SPEED_NO_PASSPHRASE", "")
        call_command(
            "create_seal_certificate",
            "--out",
            str(p12),
            "--passphrase-env",
            "RENDER_SPEED_NO_PASSPHRASE",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    return load_sealer(str(p12), "")


def test_the_seal_parses_its_private_key_once(sealer, monkeypatch):
    pdf = render.html_to_pdf(document(paragraphs=3), document_id="DPA-SPEED-4")
    parses = []
    original = pdf_cms.serialization.load_der_private_key
    monkeypatch.setattr(
        pdf_cms.serialization, "load_der_private_key", lambda *a, **k: parses.append(1) or original(*a, **k)
    )
    sealed = seal_pdf(pdf, sealer=sealer, document_id="DPA-SPEED-4")
    assert parses == [], "pyHanko parsed the private key again for a seal"
    result = verify_pdf(sealed, trust_roots=[sealer.certificate])
    assert result.trusted and result.document_id == "DPA-SPEED-4"
