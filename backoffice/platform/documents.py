"""Reading attached documents in the page: PDF pages are rendered to images on the server, so a
disclosure or an identity document can be read and zoomed without a download or a browser
plug-in, and the file itself never leaves the server."""

from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

from backoffice.platform.attachments import FileContent
from backoffice.platform.refusal import Refusal

ZOOMS = (50, 75, 100, 150, 200, 300)
VIEWABLE = ("application/pdf", "image/png", "image/jpeg")
RENDER_SCALE = 1.6  # pixels per PDF point at 100 %: sharp on high-density screens
MAX_SIDE = 6000  # pixels; a larger render is scaled down
_PDFIUM = threading.Lock()  # pdfium is not thread-safe; previews run in worker threads


class DocumentError(Refusal, ValueError):
    """The file cannot be shown; ``key`` is the i18n message."""


@dataclass(frozen=True)
class Preview:
    image: str  # a data: URL
    page: int  # 1-based, clamped to the document
    pages: int
    zoom: int  # percent, one of ZOOMS


def viewable(content_type: str) -> bool:
    return content_type in VIEWABLE


def nearest_zoom(zoom: int) -> int:
    return min(ZOOMS, key=lambda z: abs(z - zoom))


def _data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _fit(image: Image.Image) -> Image.Image:
    if max(image.size) <= MAX_SIDE:
        return image
    ratio = MAX_SIDE / max(image.size)
    return image.resize((int(image.width * ratio), int(image.height * ratio)))


def _capped(scale: float, width: float, height: float) -> float:
    """``scale``, lowered so that the larger side comes out at ``MAX_SIDE`` pixels at most: a
    huge page or image is never drawn at full size (gigabytes) only to be shrunk afterwards."""
    return min(scale, MAX_SIDE / max(width, height, 1))


def preview(content: FileContent, page: int = 1, zoom: int = 100) -> Preview:
    """One page of the document as an image, at a zoom of ``ZOOMS``."""
    if not viewable(content.content_type):
        raise DocumentError("document.not_viewable")
    zoom = nearest_zoom(zoom)
    if content.content_type != "application/pdf":
        try:
            image = Image.open(io.BytesIO(content.data))
            image.load()
        except (OSError, ValueError) as exc:
            raise DocumentError("document.unreadable") from exc
        image = image.convert("RGB")
        ratio = _capped(zoom / 100, image.width, image.height)
        scaled = image.resize((int(image.width * ratio), int(image.height * ratio)))
        return Preview(_data_url(_fit(scaled)), 1, 1, zoom)
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(content.data)
        except pdfium.PdfiumError as exc:  # damaged or password-protected
            raise DocumentError("document.unreadable") from exc
        try:
            pages = len(document)
            if pages == 0:
                raise DocumentError("document.unreadable")
            number = min(max(int(page), 1), pages)
            sheet = document[number - 1]
            scale = _capped(RENDER_SCALE * zoom / 100, *sheet.get_size())
            bitmap = sheet.render(scale=scale)
            return Preview(_data_url(_fit(bitmap.to_pil())), number, pages, zoom)
        finally:
            document.close()
