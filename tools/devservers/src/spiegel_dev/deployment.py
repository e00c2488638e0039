"""The deployment files that follow from the services' definitions (`make generate`).

The set of services and each one's process types are defined once: by the
`spiegel.services` entry points (each service's `definition.py`), read by
`spiegel_dev.services.definitions()`; the process types by `process_types()`
(api always, relay with an outbox, consumer with consumers or background work).
From them:

- charts/spiegel/values.yaml: the `services:` map has one entry per service, each
  with one `processes` entry per process type; the gateway `calls` every other service;
- charts/spiegel/values.schema.json: `services` admits exactly those names, `calls` too;
- docker/compose.yaml: one container per service and process type, and the
  gateway's `<SERVICE>_URL` of every other service;
- the gateway's routing table (`spiegel_gateway/routing/table.py`): `/api/<service>/`
  of every other service that has storage of its own (a service without, the web pages,
  gets the pages instead), and the `<service>_url` setting of every other service.

What people tune by hand in the chart and the compose file (replicas, resources,
egress, environment, comments) stays as it is written: a new service gets an
entry with defaults, a service that no longer exists loses its entry, a process
type that appears or disappears gets or loses its entry. The rest of the files
is never touched. So they stay hand-edited files, and `make generate` rewrites
only what the definitions decide; `tools/devservers/tests/test_generated.py`
fails while a file disagrees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from spiegel_dev.services import module_of, url_variable

# The edge: every other service is routed by it (/api/<service>/) and called by it.
EDGE = "gateway"
PROCESS_ORDER = ("api", "relay", "consumer")

# A new service's process entries in values.yaml (tune them by hand afterwards).
DEFAULT_PROCESS_VALUES = {
    "api": ("2", "100m", "192Mi", "512Mi"),
    "relay": ("1", "50m", "128Mi", "256Mi"),
    "consumer": ("2", "50m", "160Mi", "384Mi"),
}

Services = Mapping[str, Sequence[str]]  # name -> process types, in the definitions' order


def routed(services: Services) -> list[str]:
    """The services behind the edge, sorted."""
    return sorted(name for name in services if name != EDGE)


# --- YAML text, entry by entry ------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_filler(line: str) -> bool:
    """A blank or comment line: it belongs to the entry that follows it."""
    return not line.strip() or line.lstrip().startswith("#")


def _entries(lines: Sequence[str], indent: int) -> tuple[list[str], dict[str, list[str]]]:
    """The lines before the first `<indent>name:` key, and each key's lines (with the comments
    just above it), in the order written."""
    header = re.compile(" " * indent + r"([a-z][a-z0-9-]*):\s*(#.*)?$")
    head: list[str] = []
    found: dict[str, list[str]] = {}
    current = head
    for line in lines:
        match = header.match(line)
        if match:
            moved: list[str] = []
            while current is not head and current and _is_filler(current[-1]):
                moved.insert(0, current.pop())
            current = found.setdefault(match.group(1), [])
            current.extend(moved)
        current.append(line)
    return head, found


def _block_end(lines: Sequence[str], start: int, indent: int) -> int:
    """The index after the last line of the block that starts after `start` and is indented
    more than `indent` (blank and comment lines inside it included)."""
    end = start + 1
    last = start
    while end < len(lines):
        line = lines[end]
        if not _is_filler(line):
            if _indent(line) <= indent:
                break
            last = end
        end += 1
    return last + 1


def _services_block(lines: Sequence[str], file: str) -> tuple[int, int, list[str], dict[str, list[str]]]:
    """Where the top-level `services:` map starts and ends, the lines before its first entry, and
    its entries."""
    at = next((i for i, line in enumerate(lines) if re.match(r"^services:\s*(#.*)?$", line)), None)
    if at is None:
        raise ValueError(f"{file} has no top-level `services:` map")
    end = _block_end(lines, at, 0)
    head, entries = _entries(lines[at + 1 : end], 2)
    return at, end, head, entries


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _sync_entries(
    existing: dict[str, list[str]],
    wanted: Sequence[str],
    new_entry: Callable[[str], list[str]],
    order: Sequence[str] | None = None,
) -> list[tuple[str, list[str]]]:
    """The wanted keys: the existing ones as written (in their order, or `order`), then the new ones."""
    if order is None:
        kept = [name for name in existing if name in wanted]
        order = kept + [name for name in wanted if name not in existing]
    return [(name, existing[name] if name in existing else new_entry(name)) for name in order]


# --- charts/spiegel/values.yaml -------------------------------------------------


def _default_process(kind: str) -> list[str]:
    replicas, cpu, memory, limit = DEFAULT_PROCESS_VALUES[kind]
    return [
        f"      {kind}:",
        "        enabled: true",
        f"        replicas: {replicas}",
        "        resources:",
        "          requests:",
        f"            cpu: {cpu}",
        f"            memory: {memory}",
        "          limits:",
        f"            memory: {limit}",
    ]


def _default_service_values(name: str, services: Services) -> list[str]:
    lines = [f"  {name}:", "    enabled: true"]
    if name == EDGE:
        lines += ["    public: true", f"    calls: [{', '.join(routed(services))}]"]
    lines += ["    egress: [kafka, mongodb]", '    existingSecret: ""', "    env: {}", "    processes:"]
    for kind in services[name]:
        lines += _default_process(kind)
    return lines


def _service_values(name: str, lines: list[str], services: Services) -> list[str]:
    lines = _strip_blank_tail(list(lines))
    if name == EDGE:
        calls = re.compile(r"^    calls: \[.*\]\s*$")
        lines = [f"    calls: [{', '.join(routed(services))}]" if calls.match(x) else x for x in lines]
    at = next((i for i, line in enumerate(lines) if re.match(r"^    processes:\s*(#.*)?$", line)), None)
    if at is None:
        raise ValueError(f"charts/spiegel/values.yaml: services.{name} has no `processes:` map")
    end = _block_end(lines, at, 4)
    head, processes = _entries(lines[at + 1 : end], 6)
    wanted = services[name]
    order = [kind for kind in PROCESS_ORDER if kind in wanted]
    synced = _sync_entries(processes, wanted, _default_process, order=order)
    return [*lines[: at + 1], *head, *(x for _, entry in synced for x in entry), *lines[end:]]


def values_yaml(text: str, services: Services) -> str:
    lines = text.splitlines()
    at, end, head, existing = _services_block(lines, "charts/spiegel/values.yaml")
    synced = _sync_entries(existing, list(services), lambda name: _default_service_values(name, services))
    block: list[str] = []
    for i, (name, entry) in enumerate(synced):
        while entry and not entry[0].strip():
            entry = entry[1:]
        block += ([""] if i else []) + _service_values(name, entry, services)
    out = [*lines[: at + 1], *head, *block, *lines[end:]]
    return "\n".join(out) + "\n"


# --- charts/spiegel/values.schema.json ----------------------------------------


def values_schema(text: str, services: Services, order: Sequence[str]) -> str:
    schema: dict[str, Any] = json.loads(text)
    properties = schema["properties"]["services"]["properties"]
    schema["properties"]["services"]["properties"] = {
        name: properties.get(name, {"$ref": "#/definitions/service"}) for name in order
    }
    schema["definitions"]["service"]["properties"]["calls"]["items"]["enum"] = list(order)
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def chart_order(values_text: str) -> list[str]:
    """The services in the order values.yaml lists them."""
    return list(_services_block(values_text.splitlines(), "charts/spiegel/values.yaml")[3])


# --- docker/compose.yaml --------------------------------------------------------

PROCESS_CONTAINER = re.compile(r"^(?P<service>[a-z][a-z0-9-]*)-(?P<kind>api|relay|consumer)$")
UPSTREAM_URL = re.compile(r"^      [A-Z][A-Z0-9_]*_URL: http://[a-z][a-z0-9-]*-api:8000\s*$")


def _compose_banner(name: str) -> str:
    banner = f"  # --- {name} "
    return banner + "-" * max(3, 79 - len(banner))


def _compose_container(name: str, kind: str) -> list[str]:
    module = module_of(name)
    lines = [f"  {name}-{kind}:", "    <<: *spiegel", f"    command: [python, -m, {module}, {kind}]"]
    if kind == "api":
        lines += [
            f"    environment: &{name}-env",
            "      <<: *spiegel-env",
            f"      MONGODB_DATABASE: {module}",
        ]
        return ["", _compose_banner(name), *lines]
    return [*lines, f"    environment: *{name}-env"]


def _edge_urls(lines: list[str], services: Services) -> list[str]:
    urls = [f"      {url_variable(name)}: http://{name}-api:8000" for name in routed(services)]
    # Where the addresses stand now; an entry without any (a new one) ends with its environment.
    at = next((i for i, line in enumerate(lines) if UPSTREAM_URL.match(line)), len(lines))
    kept = [line for line in lines if not UPSTREAM_URL.match(line)]
    return [*kept[:at], *urls, *kept[at:]]


def compose_yaml(text: str, services: Services) -> str:
    lines = text.splitlines()
    at, end, head, entries = _services_block(lines, "docker/compose.yaml")
    others = [(name, entry) for name, entry in entries.items() if not PROCESS_CONTAINER.match(name)]
    written: dict[str, dict[str, list[str]]] = {}
    for name, entry in entries.items():
        match = PROCESS_CONTAINER.match(name)
        if match:
            written.setdefault(match["service"], {})[match["kind"]] = entry
    order = [name for name in written if name in services] + [n for n in services if n not in written]
    block = [*head, *(x for _, entry in others for x in entry)]
    for name in order:
        for kind in services[name]:
            entry = written.get(name, {}).get(kind) or _compose_container(name, kind)
            if (name, kind) == (EDGE, "api"):
                entry = _edge_urls(entry, services)
            block += entry
    out = [*lines[: at + 1], *_strip_blank_tail(block), *lines[end:]]
    return "\n".join(out) + "\n"


# --- the gateway's routing table ----------------------------------------------


def routing_table(services: Services, without_storage: Collection[str] = ()) -> str:
    """/api/<service>/ for every service with data of its own; an address setting for each (a
    service without storage, the web pages, is not under /api: the gateway hands it the pages)."""
    names = routed(services)
    table = "".join(
        f'    "{name}": "{name.replace("-", "_")}_url",\n' for name in names if name not in without_storage
    )
    fields = "".join(f"    {name.replace('-', '_')}_url: str | None = None\n" for name in names)
    return f'''"""The services behind the gateway: /api/<service>/... and the setting of each one's address.

Generated by `make generate` from the services' definitions (spiegel_dev.deployment); do not
edit. An address that is not set means the service is not deployed here: its calls answer 503.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

# By the name in /api/<service>/ (= the audience of its service tokens): the setting of its base URL.
SERVICES = {{
{table}}}


class ServiceAddresses(BaseSettings):
    """<SERVICE>_URL: the base URL of each service behind the gateway (unset: not deployed -> 503)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

{fields}'''
