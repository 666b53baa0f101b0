"""What the framework refuses before any handler runs is named for what it is: a caller's
mistake has a 4xx code of its own, in both languages; only a 5xx says "internal error"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.api import problems
from backoffice.i18n import catalogue
from models.transactions import Transaction


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


def test_a_body_nested_too_deeply_is_a_bad_request_in_the_callers_language(api, session):
    deep = b"[" * 100_000 + b"]" * 100_000  # the JSON parser gives up: the framework's 400
    for language, words in (("en", "could not be read"), ("zh", "无法读取")):
        answer = api.http(api.key("platform")[1], language=language).post(
            "/platform/orders", content=deep, headers={"Content-Type": "application/json"}
        )
        body = _problem(answer, 400, "api.bad_request")
        assert words in body["detail"] and "nternal" not in body["detail"]
    assert session.exec(select(Transaction)).all() == []


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "api.bad_request"), (404, "error.not_found"), (405, "api.method_not_allowed"),
     (413, "api.body_too_large"), (415, "api.unsupported_media_type"), (411, "api.bad_request"),
     (500, "api.error"), (503, "api.error")],
)  # fmt: skip
def test_each_status_the_framework_answers_has_its_code_and_both_texts(status, code):
    assert problems.code_of_http_status(status) == code
    assert code in catalogue("zh") and code in catalogue("en")
