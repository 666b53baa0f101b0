"""Documents shown in the page: PDF pages and images rendered on the server, zoomable."""

import base64
import io

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.engine.resource import get
from backoffice.platform import attachments, documents
from backoffice.platform.attachments import FileContent
from backoffice.security import auth
from models.audit import AuditEntry
from models.partners import Partner
from tests.factories import make_user, sign_in


def pdf_bytes(pages: int) -> bytes:
    document = pdfium.PdfDocument.new()
    for number in range(pages):
        document.new_page(595, 842 if number % 2 == 0 else 421)  # A4, then half-height
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _size(preview: documents.Preview) -> tuple[int, int]:
    data = base64.b64decode(preview.image.split(",", 1)[1])
    return Image.open(io.BytesIO(data)).size


def test_pdf_pages_render_one_at_a_time_and_clamp_to_the_document():
    content = FileContent("说明书.pdf", "application/pdf", pdf_bytes(3))
    first = documents.preview(content, page=1, zoom=100)
    assert (first.page, first.pages, first.zoom) == (1, 3, 100)
    assert first.image.startswith("data:image/png;base64,")
    width, height = _size(first)
    assert width == round(595 * documents.RENDER_SCALE) and height > width
    second = documents.preview(content, page=2, zoom=100)
    assert _size(second)[1] < _size(second)[0]  # the half-height page, not the first again
    assert documents.preview(content, page=99).page == 3
    assert documents.preview(content, page=-4).page == 1


def test_zoom_snaps_to_the_offered_steps_and_scales_the_render():
    content = FileContent("a.pdf", "application/pdf", pdf_bytes(1))
    assert documents.preview(content, zoom=190).zoom == 200
    small, large = documents.preview(content, zoom=50), documents.preview(content, zoom=200)
    assert _size(large)[0] == pytest.approx(4 * _size(small)[0], abs=2)


def test_images_are_shown_and_damaged_or_foreign_files_are_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 250), "white").save(buffer, format="JPEG")
    shown = documents.preview(FileContent("证件.jpg", "image/jpeg", buffer.getvalue()), zoom=50)
    assert _size(shown) == (200, 125) and shown.pages == 1
    with pytest.raises(documents.DocumentError) as damaged:
        documents.preview(FileContent("x.pdf", "application/pdf", b"%PDF-1.4 broken"))
    assert damaged.value.key == "document.unreadable"
    with pytest.raises(documents.DocumentError) as foreign:
        documents.preview(FileContent("x.csv", "text/csv", b"a,b"))
    assert foreign.value.key == "document.not_viewable"


def test_viewing_is_permission_checked_and_audited_but_page_turns_are_not(session):
    resource = get("partner")
    user, _ = make_user(session, "pm.viewer", ["product_manager"])
    principal = auth.resolve(session, sign_in(session, user))
    partner = Partner(name="甲银行", kind="bank", licence_no="L1", status="active")
    session.add(partner)
    session.commit()
    item, problem = attachments.add(
        session,
        principal=principal,
        resource=resource,
        record_id=partner.id,
        filename="合同.pdf",
        data=pdf_bytes(2),
    )
    session.commit()
    assert not problem
    for purpose in ("view", ""):
        attachments.read(
            session, principal=principal, resource=resource, attachment_id=item.id, purpose=purpose
        )
    session.commit()
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "partner")).all()
    assert actions.count("partner.view") == 1
    assert "partner.download" not in actions


def test_the_pdf_writer_paginates_chinese_text_that_readers_extract():
    from backoffice.platform import pdf

    lines = [pdf.Line("稳盈90天 风险揭示书", 18)] + [
        pdf.Line(f"第{n}条 理财非存款，产品有风险，投资须谨慎。") for n in range(1, 80)
    ]
    document = pdfium.PdfDocument(pdf.render(lines, title="风险揭示书"))
    assert len(document) > 1
    first = document[0].get_textpage().get_text_range()
    last = document[len(document) - 1].get_textpage().get_text_range()
    assert "稳盈90天 风险揭示书" in first and "第1条 理财非存款" in first
    assert "第79条" in last and f"{len(document)}/{len(document)}" in last
    assert document.get_metadata_dict()["Title"] == "风险揭示书"


def test_a_huge_page_or_image_is_drawn_at_most_max_side_never_full_size_first(monkeypatch):
    """A 5 m × 5 m PDF page at 300 % would be a 28,000-pixel square (3 GB) drawn before being
    shrunk; an image is likewise scaled straight to its capped size."""
    document = pdfium.PdfDocument.new()
    document.new_page(14_000, 14_000)
    buffer = io.BytesIO()
    document.save(buffer)
    scales = []
    render = pdfium.PdfPage.render
    monkeypatch.setattr(
        pdfium.PdfPage,
        "render",
        lambda page, scale, **kw: scales.append(scale) or render(page, scale=scale, **kw),
    )
    shown = documents.preview(FileContent("a.pdf", "application/pdf", buffer.getvalue()), zoom=300)
    assert max(_size(shown)) <= documents.MAX_SIDE
    assert scales and 14_000 * scales[0] <= documents.MAX_SIDE + 1
    image = io.BytesIO()
    Image.new("RGB", (5000, 100), "white").save(image, format="PNG")
    sizes = []
    resize = Image.Image.resize
    monkeypatch.setattr(
        Image.Image,
        "resize",
        lambda im, size, *a, **kw: sizes.append(size) or resize(im, size, *a, **kw),
    )
    documents.preview(FileContent("wide.png", "image/png", image.getvalue()), zoom=300)
    assert max(max(size) for size in sizes) <= documents.MAX_SIDE
