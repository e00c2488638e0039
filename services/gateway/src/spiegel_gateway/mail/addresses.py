"""E-mail addresses as the gateway takes them in: valid, and in the form the mail relay takes
(`spiegel_platform.mail_addresses`), so a verification mail never fails on its address."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr
from spiegel_platform.mail_addresses import deliverable_address

MailAddress = Annotated[EmailStr, AfterValidator(deliverable_address)]
