"""The consumer process's background job that sends the queued e-mail."""

from __future__ import annotations

import asyncio

from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.wiring import Invitation


async def run(runtime: InvitationRuntime, stop: asyncio.Event) -> None:
    """Send what the mail queue holds until `stop` (see mail/mailer.py)."""
    await Invitation.of(runtime).mailer.run(stop)
