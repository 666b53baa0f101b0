"""A small PDF writer for the documents the portal produces itself (demo disclosures, reports):
pages of text lines, Chinese included, with no dependency beyond the standard library.

Chinese text uses the predefined CID font STSong-Light (Adobe-GB1) that every PDF reader maps
to an installed Song typeface; nothing is embedded, so files stay a few kilobytes.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56


@dataclass(frozen=True)
class Line:
    text: str
    size: int = 11


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _wrap(line: Line) -> list[Line]:
    """Break a long line at the page width (CJK glyphs are one em, Latin about half)."""
    limit = (PAGE_WIDTH - 2 * MARGIN) / line.size
    pieces, current, width = [], "", 0.0
    for char in line.text:
        advance = 0.5 if ord(char) < 0x2E80 else 1.0
        if width + advance > limit:
            pieces.append(Line(current, line.size))
            current, width = "", 0.0
        current += char
        width += advance
    pieces.append(Line(current, line.size))
    return pieces


def _paginate(lines: list[Line]) -> list[list[Line]]:
    pages: list[list[Line]] = [[]]
    y = PAGE_HEIGHT - MARGIN
    for line in (piece for item in lines for piece in _wrap(item)):
        step = line.size * 1.6
        if y - step < MARGIN:
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
        pages[-1].append(line)
        y -= step
    return pages


def _content(lines: list[Line], number: int, total: int) -> bytes:
    ops = ["BT"]
    y = PAGE_HEIGHT - MARGIN
    for line in lines:
        y -= line.size * 1.6
        ops.append(f"/F1 {line.size} Tf 1 0 0 1 {MARGIN} {y:.1f} Tm <{_hex(line.text)}> Tj")
    ops.append(f"/F1 9 Tf 1 0 0 1 {PAGE_WIDTH / 2 - 12:.1f} 30 Tm <{_hex(f'{number}/{total}')}> Tj")
    ops.append("ET")
    return "\n".join(ops).encode("ascii")


def render(lines: list[Line], *, title: str = "") -> bytes:
    """The PDF file for ``lines``, paginated on A4 with page numbers."""
    pages = _paginate(lines)
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 /W [1 95 500] >>] >>"
    )
    tree = add(b"")
    kids = []
    for number, page_lines in enumerate(pages, start=1):
        stream = _content(page_lines, number, len(pages))
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (tree, PAGE_WIDTH, PAGE_HEIGHT, font, content)
            )
        )
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    info = add(b"<< /Title <FEFF%s> /Producer (Back office) >>" % _hex(title).encode("ascii"))

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)
