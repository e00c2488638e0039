"""One SMTP connection with a two-step DATA phase (aiosmtplib underneath).

`stage()` sends MAIL FROM, RCPT TO, DATA and the whole message except the
terminating "." line; `commit()` writes that line and awaits the server's
reply. A server accepts a message only when it reads the terminating line
(RFC 5321 4.1.1.4): a connection that closes before it (our process killed,
or `abort()` after losing a claim) delivers nothing. So the sender can record
"about to commit" in the database between the two steps, and after a crash it
knows for each mail whether the server can have received it.

The DATA split uses aiosmtplib's protocol object (`write`, `read_response`,
`_response_pending`), pinned to aiosmtplib 5.x; tests cover it against a real
aiosmtpd server.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass

import aiosmtplib
from aiosmtplib.errors import SMTPDataError, SMTPServerDisconnected
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0


class SmtpConnection:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: aiosmtplib.SMTP | None = None
        self.sent = 0

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def ensure(self) -> None:
        if self.connected:
            return
        self.close()
        smtp = aiosmtplib.SMTP(
            hostname=self.config.host,
            port=self.config.port,
            timeout=self.config.timeout,
            start_tls=self.config.starttls,
            use_tls=False,
            tls_context=ssl.create_default_context() if self.config.starttls else None,
        )
        await smtp.connect()
        if self.config.username and self.config.password:
            await smtp.login(self.config.username, self.config.password)
        self._smtp = smtp

    async def stage(self, sender: str, recipient: str, message: bytes) -> None:
        """Everything of one mail transaction but its final "." line."""
        smtp = self._require()
        await smtp.mail(sender)
        await smtp.rcpt(recipient)
        response = await smtp.execute_command(b"DATA")
        if response.code != 354:
            raise SMTPDataError(response.code, response.message)
        body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message))
        protocol = smtp.protocol
        if protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        protocol.write(body)
        # The body must be in the kernel before the caller records "commit":
        # then the final line, written next, goes out even if we are killed.
        transport = protocol.transport
        deadline = time.monotonic() + self.config.timeout
        while transport is not None and transport.get_write_buffer_size() > 0:  # type: ignore[attr-defined]
            if time.monotonic() > deadline:
                raise SMTPServerDisconnected("the server does not take the message")
            await asyncio.sleep(0.001)

    def commit_write(self) -> None:
        """Hand the terminating line to the kernel (synchronous: no await in between)."""
        protocol = self._require().protocol
        if protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        protocol._response_pending = True
        protocol.write(b".\r\n")

    async def commit_reply(self) -> aiosmtplib.SMTPResponse:
        smtp = self._require()
        protocol = smtp.protocol
        if protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        response = await protocol.read_response(timeout=self.config.timeout)
        if response.code != 250:
            raise SMTPDataError(response.code, response.message)
        self.sent += 1
        return response

    async def reset(self) -> None:
        """After a refused MAIL/RCPT: start a clean transaction on the same connection."""
        if self.connected and self._smtp is not None:
            try:
                await self._smtp.rset()
            except aiosmtplib.SMTPException:
                self.close()

    def abort(self) -> None:
        """Drop the connection mid-DATA: the server discards the unfinished message."""
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None

    async def quit(self) -> None:
        if self.connected and self._smtp is not None:
            try:
                await self._smtp.quit()
            except aiosmtplib.SMTPException:
                pass
        self.close()

    def _require(self) -> aiosmtplib.SMTP:
        if self._smtp is None:
            raise SMTPServerDisconnected("not connected")
        return self._smtp
