from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from invitation_support import Invitation
from spiegel_dev.mailcatcher import MailCatcher


@pytest.fixture
def catcher() -> Iterator[MailCatcher]:
    running = MailCatcher().start()
    try:
        yield running
    finally:
        running.stop()


def invitation_env(catcher: MailCatcher, journal: Path, **extra: str) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(catcher.smtp_port),
        "MAIL_FROM": "Spiegel UMC <noreply@umc.example>",
        "PUBLIC_BASE_URL_TEMPLATE": "http://127.0.0.1:8100/t/{slug}",
        "LINK_TOKEN_KEYS": Fernet.generate_key().decode(),
        "MAILER_JOURNAL_DIR": str(journal),
        "MAILER_POLL_S": "0.1",
        "MAILER_RETRY_BASE_S": "0.5",
        "SCHEDULER_INTERVAL_S": "0.3",
        **extra,
    }


@pytest.fixture
async def invitation(processes, stack, token_issuer, unique, catcher, tmp_path) -> AsyncIterator[Invitation]:  # type: ignore[no-untyped-def]
    prefix = f"inv_{unique}"
    service = Invitation(
        processes,
        stack,
        token_issuer,
        prefix=prefix,
        tenant="umc-test",
        catcher=catcher,
        # Each test on its own topics: events of one test never reach another's services.
        env=invitation_env(catcher, tmp_path / "journal", KAFKA_TOPIC_PREFIX=f"{prefix}."),
    )
    try:
        yield service
    finally:
        await service.close()
