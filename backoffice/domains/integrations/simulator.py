"""A stand-in for the customer platform, played against a running portal over HTTP: sign-ups
(one of them resembling a watch-list entry when one is known), risk assessments, orders (some
of them refused, with their reason), messages and satisfaction answers, one plain line per
call; and a webhook receiver that checks each delivery's signature before it believes it.

``python -m backoffice simulate-platform --url http://localhost:3000 --key bo_…``"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from backoffice.domains.customers import national_id
from backoffice.platform import numerals

Say = Callable[[str], None]
API_PATH = "/api/v1"
SIGNATURE_HEADER = "Backoffice-Signature"
SIGNATURE_TOLERANCE = 300  # seconds a delivery's timestamp may be off: older ones are replays
NAMES = ("李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐明")
CITIES = ("上海", "北京", "深圳", "杭州", "成都")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
SUBJECTS = (
    ("account", "无法登录 App", "输入密码后一直提示密码错误，已经重置过一次。"),
    ("transaction", "赎回资金未到账", "三天前赎回的款项还没有到银行卡。"),
    ("investment_consultation", "定期产品能否提前赎回", "想了解提前赎回的费用。"),
)


# --- webhooks -------------------------------------------------------------------------------
def signature_ok(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``, recent enough."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    seconds = numerals.whole(stamp, 12)
    if seconds is None or not given:
        return False
    now = time.time() if now is None else now
    if abs(now - seconds) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def sign(secret: str, body: bytes, stamp: int | None = None) -> str:
    """The header a sender puts on ``body`` (what the receiver checks)."""
    stamp = int(time.time()) if stamp is None else stamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def webhook_receiver(
    port: int, secret: str, say: Say, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """An HTTP server (started in a thread; ``shutdown()`` ends it) that answers 204 to a
    delivery whose signature holds and 400 to any other, saying which."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Backoffice-Event", "?")
            if not signature_ok(secret, self.headers.get(SIGNATURE_HEADER, ""), body):
                say(f"webhook {kind}: REJECTED, the signature does not match (not from the portal)")
                self.send_response(400)
                self.end_headers()
                return
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            data = event.get("data") if isinstance(event, dict) else None
            say(
                f"webhook {kind} {event.get('id', '?') if isinstance(event, dict) else '?'}: "
                f"signature verified; data {json.dumps(data, ensure_ascii=False)[:300]}"
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # each delivery is said once, above

    server = ThreadingHTTPServer((host, port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the platform's calls -------------------------------------------------------------------
@dataclass
class Tally:
    calls: int = 0
    refused: int = 0
    customers: list[int] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)


def _money(text: str) -> str:
    return f"¥{Decimal(text):,.2f}"


class Platform:
    """The customer platform's side of the API, saying what each call did."""

    def __init__(self, url: str, key: str, say: Say, language: str = "zh") -> None:
        base = url.rstrip("/")
        base = base if base.endswith(API_PATH) else base + API_PATH
        self.http = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {key}", "Accept-Language": language},
            timeout=30,
        )
        self.say = say
        self.tally = Tally()

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        self.tally.calls += 1
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            self.tally.refused += 1
        return response

    @staticmethod
    def why(response: httpx.Response) -> str:
        try:
            problem = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        reason = problem.get("reason") or problem.get("code", "")
        detail = problem.get("detail", "")
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in problem.get("errors", []))
        return f"{response.status_code} {reason}: {detail}" + (f" ({fields})" if fields else "")

    # each flow --------------------------------------------------------------------------
    def whoami(self) -> bool:
        response = self.call("GET", "/whoami")
        if response.status_code != 200:
            self.say(f"who am I: refused, {self.why(response)}")
            return False
        me = response.json()
        self.say(f"who am I: client {me['client']}, role {', '.join(me['roles'])}")
        return True

    def catalogue(self) -> dict[str, Any]:
        response = self.call("GET", "/platform/catalogue")
        if response.status_code != 200:
            self.say(f"catalogue: refused, {self.why(response)}")
            return {"products": [], "campaigns": []}
        offer = response.json()
        products = ", ".join(f"{p['code']} ({p['risk_level']})" for p in offer["products"][:8])
        self.say(
            f"catalogue: {len(offer['products'])} products on sale [{products}], "
            f"{len(offer['campaigns'])} campaigns running"
        )
        return offer

    def questionnaire(self) -> dict[str, Any] | None:
        response = self.call("GET", "/platform/questionnaire")
        if response.status_code != 200:
            self.say(f"questionnaire: none to answer, {self.why(response)}")
            return None
        form = response.json()
        self.say(f"questionnaire: version {form['version']}, {len(form['questions'])} questions")
        return form

    def watchlisted_name(self) -> str:
        """A name on the watch lists, if this key may read them (the lists' resource)."""
        response = self.call("GET", "/resources/watchlist_entry?limit=1")
        rows = response.json().get("data", []) if response.status_code == 200 else []
        name = str(rows[0].get("name", "")) if rows and isinstance(rows[0], dict) else ""
        self.say(
            f"watch lists: one entry to resemble ({name})"
            if name
            else "watch lists: not readable with this key; sign-ups use fresh names only"
        )
        return name

    def sign_up(self, rng: random.Random, name: str, campaign_code: str = "") -> int | None:
        born = date(rng.randrange(1965, 2002), rng.randrange(1, 13), rng.randrange(1, 29))
        number = national_id.make(rng, born, rng.random() < 0.5)
        body = {
            "name": name,
            "id_number": number,
            "phone": f"139{rng.randrange(10**7, 10**8)}",
            "city": rng.choice(CITIES),
            "campaign_code": campaign_code,
            "documents": [
                {"category": "id_front", "filename": "id-front.png", "content_base64": _b64(PNG)},
                {"category": "id_back", "filename": "id-back.png", "content_base64": _b64(PNG)},
            ],
        }
        response = self.call("POST", "/platform/sign-ups", body)
        shown = f"{name} (ID {number[:6]}********{number[-4:]})"
        if response.status_code != 201:
            self.say(f"sign-up {shown}: refused, {self.why(response)}")
            return None
        done = response.json()
        self.tally.customers.append(done["customer_id"])
        self.say(
            f"sign-up {shown}: customer {done['customer_no']} (#{done['customer_id']}), "
            f"KYC case {done['kyc_case_no']} in the new queue, screening {done['screening']}"
            + (f", campaign {campaign_code}" if campaign_code else "")
        )
        return int(done["customer_id"])

    def assess(self, customer_id: int, form: dict[str, Any], boldness: float) -> None:
        answers = []
        for question in form["questions"]:
            last = len(question["answers"]) - 1
            answers.append(
                {"question_id": question["question_id"], "answer": round(last * boldness)}
            )
        response = self.call(
            "POST", f"/platform/customers/{customer_id}/risk-assessments", {"answers": answers}
        )
        if response.status_code != 201:
            self.say(f"risk assessment of customer #{customer_id}: refused, {self.why(response)}")
            return
        done = response.json()
        self.say(
            f"risk assessment of customer #{customer_id}: score {done['score']}, tolerance "
            f"{done['risk_tolerance']} (questionnaire version {done['questionnaire_version']})"
        )

    def order(
        self,
        customer_id: int,
        product: dict[str, Any],
        amount: str,
        kind: str = "subscription",
        campaign_code: str = "",
    ) -> bool:
        body = {
            "customer_id": customer_id,
            "product_id": product["product_id"],
            "kind": kind,
            "amount": amount,
            "campaign_code": campaign_code,
        }
        response = self.call("POST", "/platform/orders", body)
        what = (
            f"order: customer #{customer_id} {'buys' if kind == 'subscription' else 'sells'} "
            f"{_money(amount)} of {product['code']} ({product['risk_level']})"
        )
        if response.status_code != 201:
            self.say(f"{what}: refused, {self.why(response)}")
            return False
        done = response.json()
        self.say(
            f"{what}: recorded as {done['txn_no']}, fee {_money(done['fee'])}"
            + (f", campaign #{done['campaign_id']}" if done.get("campaign_id") else "")
        )
        return True

    def message(
        self, customer_id: int, category: str, subject: str, text: str, ticket_id: int | None = None
    ) -> int | None:
        body = {"customer_id": customer_id, "subject": subject, "body": text, "category": category}
        if ticket_id:
            body["ticket_id"] = ticket_id
        response = self.call("POST", "/platform/messages", body)
        if response.status_code not in (200, 201):
            self.say(
                f"message from customer #{customer_id} «{subject}»: refused, {self.why(response)}"
            )
            return None
        done = response.json()
        self.tally.tickets.append(done["ticket_id"])
        self.say(
            f"message from customer #{customer_id} «{subject}»: ticket {done['ticket_no']} "
            f"{done['outcome']}, status {done['status']}"
            + (", an agent assigned" if done["assigned"] else ", waiting in the team queue")
        )
        return int(done["ticket_id"])

    def rate(self, customer_id: int, ticket_id: int, score: int, comment: str) -> None:
        response = self.call(
            "POST",
            f"/platform/tickets/{ticket_id}/satisfaction",
            {"customer_id": customer_id, "score": score, "comment": comment},
        )
        if response.status_code != 200:
            self.say(f"rating {score}/5 of ticket #{ticket_id}: refused, {self.why(response)}")
            return
        self.say(f"rating {score}/5 of ticket {response.json()['ticket_no']}: recorded")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- a session of the platform --------------------------------------------------------------
def play(
    url: str,
    key: str,
    *,
    say: Say = print,
    sign_ups: int = 3,
    customers: tuple[int, ...] = (),
    resolved_tickets: tuple[tuple[int, int], ...] = (),
    watchlisted_name: str = "",
    seed: int | None = None,
    language: str = "zh",
) -> Tally:
    """One round of the platform's traffic. ``customers``: existing customers (ids) to place
    orders for (the new ones cannot buy until compliance approves their KYC);
    ``resolved_tickets``: (customer id, ticket id) pairs to rate; ``language``: of the
    refusals' texts (zh or en)."""
    rng = random.Random(seed)
    platform = Platform(url, key, say, language)
    try:
        if not platform.whoami():
            return platform.tally
        offer = platform.catalogue()
        form = platform.questionnaire()
        watched = watchlisted_name or platform.watchlisted_name()
        campaign = offer["campaigns"][0]["code"] if offer["campaigns"] else ""
        made = []
        for n in range(sign_ups):
            name = watched if watched and n == sign_ups - 1 else rng.choice(NAMES)
            customer_id = platform.sign_up(rng, name, campaign if n == 0 else "")
            if customer_id is not None:
                made.append(customer_id)
        if form:
            for n, customer_id in enumerate(made):
                platform.assess(customer_id, form, boldness=(n + 1) / max(1, len(made)))
        products = sorted(offer["products"], key=lambda p: (p["risk_level"], p["code"]))
        if products:
            safest, riskiest = products[0], products[-1]
            for customer_id in made[:1]:  # KYC still pending: refused
                platform.order(customer_id, safest, safest["min_purchase"])
            # a low-risk product a running campaign promotes, bought with its code
            promoting = {
                product_id: c["code"]
                for c in offer["campaigns"]
                for product_id in c.get("product_ids", [])
            }
            promoted = [
                p for p in products if p["product_id"] in promoting and p["risk_level"] <= "R2"
            ]
            choice = promoted[0] if promoted else safest
            code = promoting.get(choice["product_id"], "")
            for customer_id in customers:
                platform.order(customer_id, riskiest, riskiest["min_purchase"])
                below = format(Decimal(safest["min_purchase"]) - Decimal("0.01"), "f")
                if Decimal(below) > 0:
                    platform.order(customer_id, safest, below)
                amount = format(max(Decimal(choice["min_purchase"]) * 2, Decimal(1000)), "f")
                if platform.order(customer_id, choice, amount, campaign_code=code):
                    platform.order(customer_id, choice, amount, "redemption")
        else:
            say("orders: nothing on sale to order")
        for customer_id, (category, subject, text) in zip(made, SUBJECTS, strict=False):
            ticket_id = platform.message(customer_id, category, subject, text)
            if ticket_id:
                platform.message(
                    customer_id, category, subject, "补充：截图已附上说明。", ticket_id
                )
                platform.rate(customer_id, ticket_id, 5, "很满意")  # not resolved yet: refused
        for customer_id, ticket_id in resolved_tickets:
            platform.rate(customer_id, ticket_id, rng.randrange(3, 6), "问题已解决")
        tally = platform.tally
        say(
            f"done: {tally.calls} calls, {tally.refused} refused, "
            f"{len(tally.customers)} customers signed up, {len(set(tally.tickets))} tickets"
        )
        return tally
    finally:
        platform.close()
