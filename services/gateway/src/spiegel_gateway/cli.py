"""The gateway's command line: its process types (run by the platform's `main`, as every
service's are), and commands for operators.

    python -m spiegel_gateway api                  # the HTTP gateway
    python -m spiegel_gateway relay                # publishes TenantConfigured / PersonRegistered
    python -m spiegel_gateway tenant create --slug umc-noord --name "UMC Noord" [...]
    python -m spiegel_gateway tenant list
    python -m spiegel_gateway person create --tenant umc-noord --email ... --name ... --roles tenant_admin
    python -m spiegel_gateway operator create --email ... --name ...
    python -m spiegel_gateway jwks signing-key.pem [old-key.pem ...]   # the services' JWKS

Commands read the same settings as the processes (MONGODB_URL, ...). A person
created here gets no e-mail: without --password-stdin they set a password via
the reset e-mail (POST /auth/password-reset) once SMTP is configured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.logging import configure_logging
from spiegel_platform.service import PROCESSES, Runtime
from spiegel_platform.service import main as platform_main
from spiegel_platform.settings import load_settings

from spiegel_gateway.definition import DEFINITION
from spiegel_gateway.mail.addresses import MailAddress
from spiegel_gateway.settings import GatewaySettings

PROGRAM = "spiegel-gateway"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spiegel_gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("api", help="serve the gateway")
    commands.add_parser("relay", help="publish the gateway's events")

    tenant = commands.add_parser("tenant", help="hospitals").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="create a hospital")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--tenant-id")
    create.add_argument("--languages", default="nl,en")
    create.add_argument("--time-zone", default="Europe/Amsterdam")
    create.add_argument(
        "--min-group-size",
        type=int,
        default=MIN_GROUP_SIZE,
        help=f"the anonymity threshold (at least {MIN_GROUP_SIZE})",
    )
    create.add_argument("--oidc-issuer")
    create.add_argument("--oidc-client-id")
    create.add_argument("--oidc-client-secret-ref", help="env:VARIABLE or file:/path")
    create.add_argument("--oidc-client-secret-stdin", action="store_true", help="read the secret from stdin")
    create.add_argument("--oidc-scopes", default="openid email profile")
    tenant.add_parser("list", help="list hospitals")

    for kind in ("person", "operator"):
        sub = commands.add_parser(kind).add_subparsers(dest="action", required=True)
        person = sub.add_parser("create")
        if kind == "person":
            person.add_argument("--tenant", required=True, help="the hospital's tenant id")
            person.add_argument("--roles", required=True, help="comma-separated")
        person.add_argument("--email", required=True)
        person.add_argument("--name", required=True)
        person.add_argument("--language", default="nl", choices=["nl", "en"])
        person.add_argument("--password-stdin", action="store_true")
    return parser


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())


async def _run(args: argparse.Namespace, settings: GatewaySettings) -> dict[str, Any] | list[Any]:
    from spiegel_gateway.people.model import PersonIn, check_password
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.tenants.model import PLATFORM, TenantIn
    from spiegel_gateway.wiring import Gateway

    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    try:
        await runtime.prepare_storage()
        if args.command == "tenant" and args.action == "list":
            return [t.out().model_dump() for t in await gateway.tenants.all()]
        if args.command == "tenant":
            idp = None
            if args.oidc_issuer:
                secret = sys.stdin.readline().strip() if args.oidc_client_secret_stdin else None
                idp = {
                    "issuer": args.oidc_issuer,
                    "client_id": args.oidc_client_id,
                    "client_secret": secret,
                    "client_secret_ref": args.oidc_client_secret_ref,
                    "scopes": args.oidc_scopes.split(),
                }
            spec = TenantIn(
                slug=args.slug,
                tenant_id=args.tenant_id,
                name=args.name,
                languages=[x.strip() for x in args.languages.split(",") if x.strip()],  # type: ignore[misc]
                time_zone=args.time_zone,
                min_group_size=args.min_group_size,
                identity_provider=idp,  # type: ignore[arg-type]
            )
            return (await gateway.tenants.create(spec)).out().model_dump()
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        if password is not None:
            check_password(password)
        tenant_id = args.tenant if args.command == "person" else PLATFORM
        roles = args.roles.split(",") if args.command == "person" else ["operator"]
        args.email = TypeAdapter(MailAddress).validate_python(args.email)
        if args.command == "person":
            PersonIn(display_name=args.name, email=args.email, roles=roles, language=args.language)
            if await gateway.tenants.get(tenant_id) is None:
                raise LookupError(f"no hospital {tenant_id}")
        person = await gateway.people.create(
            tenant_id,
            display_name=args.name,
            email=args.email,
            roles=roles,
            language=args.language,
            password_hash=await hash_password_async(password) if password else None,
            email_verified=password is not None,
        )
        return person.out().model_dump()
    finally:
        await gateway.aclose()
        await runtime.close()


def _jwks(paths: Sequence[str]) -> int:
    """The public JWKS (kid = RFC 7638 thumbprint) of signing keys: what services verify with."""
    from pathlib import Path

    from spiegel_gateway.service_tokens import key_from_pem

    if not paths:
        print("usage: python -m spiegel_gateway jwks KEY.pem [KEY.pem ...]", file=sys.stderr)
        return 2
    try:
        keys = [key_from_pem(Path(p).read_bytes()).public_jwk() for p in paths]
    except (OSError, ValueError) as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"keys": keys}))
    return 0


def main(argv: Sequence[str]) -> int:
    args_list = list(argv) or ["api"]
    if args_list[0] in PROCESSES:  # the process types, run by the platform like every service's
        return platform_main(DEFINITION, args_list)
    if args_list[0] == "jwks":
        return _jwks(args_list[1:])
    args = _parser().parse_args(args_list)
    settings = load_settings(GatewaySettings, PROGRAM)
    configure_logging("gateway-cli", fmt="console", level="WARNING")
    try:
        result = asyncio.run(_run(args, settings))
    except ValidationError as error:
        print(f"{PROGRAM}: {_problems(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # a clear line, not a traceback, for an operator at a terminal
        print(f"{PROGRAM}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0
