"""The API's reference as one server-rendered HTML page (``/api/v1/docs``), read from the OpenAPI
document itself: each path and method with its summary, parameters and body fields. No script and
nothing fetched from elsewhere (the portal's CSP allows neither); Chinese labels shown beside the
English ones where the catalogue has them (``?lang=zh`` or ``Accept-Language: zh`` for the
page's own headings in Chinese)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from backoffice.api import problems
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import translate

router = APIRouter(include_in_schema=False)
HTML_LANGUAGE = {"zh": "zh-CN", "en": "en"}

_STYLE = (
    "body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;"
    "padding:.2rem .5rem;text-align:left;vertical-align:top}code{background:#f4f4f4}"
    ".method{font-weight:bold;text-transform:uppercase}h3{margin-bottom:.2rem}"
)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return document["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
    return schema


def _type_of(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        kinds = [_type_of(s) for s in schema["anyOf"] if s.get("type") != "null"]
        text = " | ".join(kinds) or "null"
    elif "$ref" in schema:
        text = schema["$ref"].rsplit("/", 1)[1]
    elif schema.get("type") == "array":
        text = f"array of {_type_of(schema.get('items', {}))}"
    else:
        text = str(schema.get("type", "any"))
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    return text


def _parameters(operation: dict[str, Any], lang: str) -> str:
    params = operation.get("parameters", [])
    if not params:
        return ""
    rows = "".join(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(p["name"]),
            escape(p.get("in", "")),
            escape(_type_of(p.get("schema", {}))),
            escape(p.get("description", "")),
        )
        for p in params
    )
    head = "".join(
        f"<th>{escape(translate(k, lang))}</th>"
        for k in ("api.docs.name", "api.docs.where", "api.docs.type", "api.docs.description")
    )
    return (
        f"<p>{escape(translate('api.docs.parameters', lang))}</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )


def _fields(document: dict[str, Any], operation: dict[str, Any], lang: str) -> str:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = _resolve(document, content.get("schema", {}))
    properties = schema.get("properties", {})
    if not properties:
        return ""
    rows = "".join(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(name),
            escape(_type_of(spec)),
            escape(" / ".join(t for t in (spec.get("title", ""), spec.get("x-label-zh", "")) if t)),
            escape(spec.get("description", "")),
        )
        for name, spec in properties.items()
    )
    head = "".join(
        f"<th>{escape(translate(k, lang))}</th>"
        for k in ("api.docs.field", "api.docs.type", "api.docs.label", "api.docs.description")
    )
    return (
        f"<p>{escape(translate('api.docs.fields', lang))}</p><table><tr>{head}</tr>{rows}</table>"
    )


def _group_title(tag: str) -> str:
    """A resource's operations under its name in both languages (other groups: the tag)."""
    resource = get_resource(tag)
    if resource is None:
        return tag
    return f"{resource.label('en')} / {resource.label('zh')} ({tag})"


def render(document: dict[str, Any], lang: str) -> str:
    """The page for an OpenAPI document."""
    parts = [
        f'<!doctype html><html lang="{HTML_LANGUAGE[lang]}"><head>'
        f'<meta charset="utf-8"><title>{escape(document["info"]["title"])}</title>'
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(document['info']['title'])}</h1>",
        f"<p>{escape(document['info'].get('description', ''))}</p>",
        f'<p><a href="openapi.json">{escape(translate("api.docs.document", lang))}</a></p>',
    ]
    heading = ""
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            tag = (operation.get("tags") or [""])[0]
            if tag != heading:
                heading = tag
                parts.append(f'<h2 id="{escape(tag)}">{escape(_group_title(tag))}</h2>')
            statuses = ", ".join(sorted(operation["responses"]))
            parts.append(
                f'<h3 id="{escape(operation.get("operationId", ""))}"><span class="method">'
                f"{escape(method)}</span> <code>{escape(path)}</code></h3>"
                f"<p>{escape(operation.get('summary', ''))} — "
                f"{escape(translate('api.docs.responses', lang))}: {escape(statuses)}</p>"
            )
            parts.append(_parameters(operation, lang))
            parts.append(_fields(document, operation, lang))
    parts.append("</body></html>")
    return "".join(parts)


@router.get("/docs")
def docs_page(request: Request) -> HTMLResponse:
    lang = request.query_params.get("lang") or problems.language(request)
    lang = "zh" if lang == "zh" else "en"
    return HTMLResponse(render(request.app.openapi(), lang))
