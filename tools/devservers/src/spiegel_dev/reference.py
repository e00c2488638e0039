"""The generated reference (`make generate`), checked in and kept current by a test.

- `services/<name>/reference/openapi.json`: the OpenAPI document of the service's
  FastAPI app, built as its api process builds it, connecting to nothing;
- `services/<name>/reference/settings.schema.json`: the JSON schema of its settings
  class (each property is an environment variable, in upper case);
- `proto/EVENTS.md`: every event in `proto/`: its topic, key, whether it is
  anonymous, the service that produces it (the definition that publishes its
  topic) and the consumer groups whose handlers take it.

The output depends on the code only: the apps are built from the settings'
defaults and placeholders, with the variables the settings would read removed
from the environment; JSON is written with sorted keys, lists in a fixed order.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from google.protobuf import descriptor_pb2
from spiegel_platform.auth.service_tokens import SigningKey
from spiegel_platform.events.contracts import EventContract, all_contracts
from spiegel_platform.service import Runtime, ServiceDefinition, ServiceSettings, build_api

from spiegel_dev import proto

# Settings every service needs that have no default: placeholders that point nowhere.
PLACEHOLDERS: dict[str, Any] = {
    "spiegel_env": "test",
    "mongodb_url": "mongodb://mongodb.invalid:27017",
    "mongodb_database": "reference",
    "kafka_bootstrap_servers": "kafka.invalid:9092",
}


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@contextmanager
def _without_variables(names: set[str]) -> Iterator[None]:
    """The environment without the variables the settings would read (names are case-insensitive)."""
    hidden = {key: value for key, value in os.environ.items() if key.lower() in names}
    for key in hidden:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(hidden)


def offline_settings(settings_class: type[ServiceSettings]) -> ServiceSettings:
    """The settings a reference is built with: defaults, placeholders, and the first of the
    `examples` of any other field without a default."""
    fields = settings_class.model_fields
    values = {name: value for name, value in PLACEHOLDERS.items() if name in fields}
    key = SigningKey.generate()
    values["service_token_jwks"] = json.dumps({"keys": [key.public_jwk()]})
    if "service_token_signing_key_file" in fields:
        # The gateway loads its signing key when built; a throwaway one, never used to sign.
        key_file = Path(tempfile.mkdtemp(prefix="spiegel-reference-")) / "signing.pem"
        key_file.write_bytes(key.private_pem)
        values["service_token_signing_key_file"] = str(key_file)
    for name, field in fields.items():
        if field.is_required() and name not in values:
            if not field.examples:
                raise ValueError(
                    f"{settings_class.__name__}.{name} has no default: give it an example "
                    "(Field(..., examples=[...])) so the reference can be built without a deployment"
                )
            values[name] = field.examples[0]
    with _without_variables(set(fields)):
        return settings_class(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Built:
    """One service, wired as its api process wires it, without connecting to anything."""

    name: str
    definition: ServiceDefinition
    runtime: Runtime
    app: FastAPI


def build(name: str, definition: ServiceDefinition) -> Built:
    """A service's app, built by the platform's `build_api` as its api process builds it."""
    runtime = Runtime(definition, offline_settings(definition.settings_class))
    return Built(name, definition, runtime, build_api(runtime))


def openapi(built: Built) -> str:
    return dump_json(built.app.openapi())


def settings_schema(definition: ServiceDefinition) -> str:
    return dump_json(definition.settings_class.model_json_schema())


# --- proto/EVENTS.md -----------------------------------------------------------


def _comments() -> dict[str, str]:
    """The comment above each message in proto/, by its full name."""
    root = proto.proto_dir()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.binpb"
        proto._protoc(
            [f"-I{root}", "--include_source_info", f"--descriptor_set_out={out}", *proto.proto_files(root)]
        )
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    found: dict[str, str] = {}
    for file in files.file:
        for location in file.source_code_info.location:
            # [4, i]: the i-th top-level message of the file.
            if len(location.path) == 2 and location.path[0] == 4 and location.leading_comments.strip():
                message = file.message_type[location.path[1]]
                text = " ".join(line.strip() for line in location.leading_comments.strip().splitlines())
                found[f"{file.package}.{message.name}"] = text
    return found


def _handled(built: Built) -> dict[str, list[str]]:
    """Event type -> the consumer groups of this service whose handlers take it."""
    found: dict[str, list[str]] = {}
    for spec in built.definition.consumers:
        handled = set(spec.handlers(built.runtime))
        if spec.batch_handlers is not None:
            handled |= set(spec.batch_handlers(built.runtime))
        for event_type in handled:
            found.setdefault(event_type, []).append(spec.group_id)
    return found


def events_markdown(built: Mapping[str, Built]) -> str:
    contracts = sorted(all_contracts(), key=lambda c: c.event_type)
    comments = _comments()
    handled = {name: _handled(b) for name, b in built.items()}

    def producers(contract: EventContract) -> list[str]:
        return sorted(n for n, b in built.items() if contract.topic in b.definition.produces_topics)

    def consumers(contract: EventContract) -> list[str]:
        return [
            f"{name} (`{group}`)"
            for name in sorted(built)
            for group in sorted(handled[name].get(contract.event_type, []))
        ]

    lines = [
        "# Events",
        "",
        "Generated by `make generate` from `proto/` and the services' definitions",
        "(`spiegel_dev.reference`); do not edit. Every event travels in the envelope of",
        "`proto/spiegel/common/v1/envelope.proto`, keyed by its key field so that one",
        "aggregate's events stay in order; a message that cannot be handled goes to",
        "`<topic>.dlq`. An anonymous event carries answers: its time is cut to the day",
        "and nothing links it to the request that caused it (see `libs/platform/README.md`).",
        "",
        "| event | topic | key | anonymous | producer | consumers |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in contracts:
        lines.append(
            f"| [{c.event_type}](#{c.event_type.replace('.', '').lower()}) | `{c.topic}` | `{c.key_field}` "
            f"| {'yes' if c.anonymous else 'no'} | {', '.join(producers(c)) or '-'} "
            f"| {', '.join(name for name in sorted(built) if c.event_type in handled[name]) or '-'} |"
        )
    for c in contracts:
        fields = ", ".join(f"`{f.name}`" for f in c.message_class.DESCRIPTOR.fields)
        lines += ["", f"## {c.event_type}", ""]
        if c.event_type in comments:
            lines += [comments[c.event_type], ""]
        lines += [
            f"- topic: `{c.topic}`",
            f"- key: `{c.key_field}`",
            f"- anonymous: {'yes' if c.anonymous else 'no'}",
            f"- schema version: {c.schema_version}",
            f"- producer: {', '.join(producers(c)) or 'no service (tests and benchmarks)'}",
            f"- consumers: {', '.join(consumers(c)) or 'none'}",
            f"- fields: {fields}",
        ]
    return "\n".join(lines) + "\n"
