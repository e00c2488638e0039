"""A local mail catcher: a real SMTP server (aiosmtpd) on loopback plus a small web page.

`make run` starts it before the services and points the invitation service at
it; tests start one in-process (`MailCatcher`) and read the real messages.

    python -m spiegel_dev.mailcatcher --smtp-port 1025 --http-port 1080

Web: `/` lists messages, `/messages/<n>` shows one with its links clickable;
JSON for tests and tools: `GET /api/messages`, `GET /api/messages/<n>`,
`GET /api/messages/<n>/raw`, `DELETE /api/messages`.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import html
import logging
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from spiegel_dev.processes import free_port

# aiosmtpd logs every connection at INFO from its own thread; its warnings are enough here.
logging.getLogger("mail.log").setLevel(logging.WARNING)

_LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass
class CaughtMessage:
    number: int
    mail_from: str
    recipients: list[str]
    data: bytes
    received_at: datetime

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return str(body.get_content()) if body is not None else ""

    def summary(self) -> dict[str, Any]:
        message = self.message
        return {
            "id": self.number,
            "mail_from": self.mail_from,
            "recipients": self.recipients,
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "received_at": self.received_at.isoformat(),
        }

    def details(self) -> dict[str, Any]:
        text = self.part("plain")
        return {
            **self.summary(),
            "headers": [[k, str(v)] for k, v in self.message.items()],
            "text": text,
            "html": self.part("html"),
            "links": _LINK.findall(text),
        }


@dataclass
class MailStore:
    """What the catcher received; bounded, but the per-recipient counts are kept whole."""

    max_messages: int = 20000
    messages: deque[CaughtMessage] = field(default_factory=deque)
    per_recipient: Counter[str] = field(default_factory=Counter)
    total: int = 0
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply, for failure tests
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, mail_from: str, recipients: list[str], data: bytes) -> CaughtMessage:
        with self.lock:
            self.total += 1
            caught = CaughtMessage(self.total, mail_from, recipients, data, datetime.now(UTC))
            self.messages.append(caught)
            while len(self.messages) > self.max_messages:
                self.messages.popleft()
            for recipient in recipients:
                self.per_recipient[recipient.lower()] += 1
            return caught

    def all(self) -> list[CaughtMessage]:
        with self.lock:
            return list(self.messages)

    def get(self, number: int) -> CaughtMessage | None:
        with self.lock:
            return next((m for m in self.messages if m.number == number), None)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.per_recipient.clear()
            self.total = 0

    def to(self, address: str) -> list[CaughtMessage]:
        wanted = address.lower()
        return [m for m in self.all() if wanted in (r.lower() for r in m.recipients)]


class _Handler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self.store.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        caught = self.store.add(envelope.mail_from, list(envelope.rcpt_tos), bytes(data))
        return f"250 2.0.0 Ok: queued as {caught.number}"


class MailCatcher:
    """The SMTP side in a thread of its own (aiosmtpd's Controller); usable from tests."""

    def __init__(
        self, host: str = "127.0.0.1", smtp_port: int | None = None, max_messages: int = 20000
    ) -> None:
        self.host = host
        self.smtp_port = smtp_port or free_port()
        self.store = MailStore(max_messages=max_messages)
        self._controller = Controller(
            _Handler(self.store), hostname=host, port=self.smtp_port, data_size_limit=10 * 1024 * 1024
        )

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[CaughtMessage]:
        return self.store.all()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[CaughtMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.store.total >= count:
                return self.messages()
            time.sleep(0.05)
        raise TimeoutError(f"{self.store.total} of {count} messages arrived within {timeout:.0f}s")


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}td,th{padding:.3em .8em;"
        "text-align:left;border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f6f6f6;"
        "padding:1em}iframe{width:100%;height:36em;border:1px solid #ccc}</style></head>"
        f"<body>{body}</body></html>"
    )


def web_app(store: MailStore) -> Any:
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, Response

    app = FastAPI(title="Spiegel mail catcher")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        rows = "".join(
            f"<tr><td><a href='/messages/{m.number}'>{m.number}</a></td>"
            f"<td>{html.escape(m.received_at.strftime('%H:%M:%S'))}</td>"
            f"<td>{html.escape(', '.join(m.recipients))}</td>"
            f"<td><a href='/messages/{m.number}'>{html.escape(m.summary()['subject'])}</a></td></tr>"
            for m in reversed(store.all()[-500:])
        )
        return _page(
            "Mail catcher",
            f"<h1>Mail catcher</h1><p>{store.total} berichten ontvangen.</p>"
            f"<table><tr><th>#</th><th>tijd</th><th>aan</th><th>onderwerp</th></tr>{rows}</table>",
        )

    @app.get("/messages/{number}", response_class=HTMLResponse)
    def show(number: int) -> str:
        caught = store.get(number)
        if caught is None:
            raise HTTPException(404, "no such message")
        info = caught.details()
        text = html.escape(info["text"])
        text = _LINK.sub(lambda m: f"<a href='{m.group(0)}'>{m.group(0)}</a>", text)
        headers = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in info["headers"]
        )
        frame = html.escape(info["html"], quote=True)
        return _page(
            info["subject"],
            f"<p><a href='/'>&larr; alle berichten</a></p><h1>{html.escape(info['subject'])}</h1>"
            f"<table>{headers}</table><h2>Tekst</h2><pre>{text}</pre>"
            f"<h2>HTML</h2><iframe sandbox='allow-popups allow-top-navigation-by-user-activation' "
            f"srcdoc=\"{frame}\"></iframe><p><a href='/api/messages/{number}/raw'>bron</a></p>",
        )

    @app.get("/api/messages")
    def list_messages() -> dict[str, Any]:
        return {"total": store.total, "messages": [m.summary() for m in store.all()]}

    @app.get("/api/messages/{number}")
    def get_message(number: int) -> dict[str, Any]:
        caught = store.get(number)
        if caught is None:
            raise HTTPException(404, "no such message")
        return caught.details()

    @app.get("/api/messages/{number}/raw")
    def raw(number: int) -> Response:
        caught = store.get(number)
        if caught is None:
            raise HTTPException(404, "no such message")
        return Response(caught.data, media_type="message/rfc822")

    @app.get("/api/recipients")
    def recipients() -> dict[str, int]:
        return dict(store.per_recipient)

    @app.delete("/api/messages")
    def clear() -> dict[str, int]:
        store.clear()
        return {"total": 0}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Spiegel's local mail catcher")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    args = parser.parse_args()
    catcher = MailCatcher(args.host, args.smtp_port).start()
    print(
        f"mail catcher: SMTP {args.host}:{args.smtp_port}, web http://{args.host}:{args.http_port}/",
        flush=True,
    )
    try:
        config = uvicorn.Config(
            web_app(catcher.store), host=args.host, port=args.http_port, log_level="warning"
        )
        asyncio.run(uvicorn.Server(config).serve())
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
