"""The service's real wiring with one part replaced (no servers: nothing connects until used)."""

from __future__ import annotations

import asyncio
from typing import cast

from spiegel_dev.reference import offline_settings
from spiegel_invitation.definition import DEFINITION
from spiegel_invitation.mail import sending
from spiegel_invitation.mail.mailer import Mailer
from spiegel_invitation.settings import InvitationRuntime, InvitationSettings
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation
from spiegel_platform.service import Runtime, build_api


def runtime() -> InvitationRuntime:
    return Runtime(DEFINITION, cast(InvitationSettings, offline_settings(InvitationSettings)))


class RecordingMailer:
    def __init__(self) -> None:
        self.runs = 0

    async def run(self, stop: asyncio.Event) -> None:
        self.runs += 1


async def test_the_mail_job_sends_with_the_wired_mailer() -> None:
    wired = runtime()
    mailer = RecordingMailer()
    Invitation(wired, mailer=cast(Mailer, mailer))
    await sending.run(wired, asyncio.Event())
    assert mailer.runs == 1


def test_the_api_process_builds_its_parts_once_and_no_mailer() -> None:
    wired = runtime()
    build_api(wired)
    parts = Invitation.of(wired)
    assert parts.stores.tenant("t1") is parts.stores.tenant("t1")
    assert isinstance(parts.stores.tenant("t1"), Store)
    assert parts._mailer is None  # only the consumer process sends


def test_the_mailer_shares_the_wirings_stores_and_link_tokens() -> None:
    parts = Invitation.of(runtime())
    assert parts.mailer.stores is parts.stores and parts.mailer.tokens is parts.link_tokens
