"""Everything generated from the services' definitions and proto/, checked in.

    python -m spiegel_dev.generate          # write the files (`make generate`)
    python -m spiegel_dev.generate --check  # list the stale ones, exit 1 if any

The deployment files (chart values and schema, compose file, the gateway's
routing table: `spiegel_dev.deployment`) and the reference (OpenAPI documents,
settings schemas, the events: `spiegel_dev.reference`).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from spiegel_dev import deployment, reference
from spiegel_dev.paths import repo_root
from spiegel_dev.services import definitions, process_types

COMMAND = "make generate"
VALUES = Path("charts/spiegel/values.yaml")
SCHEMA = Path("charts/spiegel/values.schema.json")
COMPOSE = Path("docker/compose.yaml")
ROUTING_TABLE = Path("services/gateway/src/spiegel_gateway/routing/table.py")
EVENTS = Path("proto/EVENTS.md")


def outputs(root: Path | None = None) -> dict[Path, str]:
    """Every generated file (relative to the repository root) and the text it should hold."""
    root = root or repo_root()
    found = definitions()
    services = {name: process_types(definition) for name, definition in found.items()}
    values = deployment.values_yaml((root / VALUES).read_text(), services)
    files = {
        VALUES: values,
        SCHEMA: deployment.values_schema(
            (root / SCHEMA).read_text(), services, deployment.chart_order(values)
        ),
        COMPOSE: deployment.compose_yaml((root / COMPOSE).read_text(), services),
        ROUTING_TABLE: deployment.routing_table(
            services, [name for name, definition in found.items() if not definition.storage]
        ),
    }
    with warnings.catch_warnings():
        # FastAPI warns of duplicate operation ids in the gateway's document; the test run need
        # not repeat it (the document shows them).
        warnings.simplefilter("ignore", UserWarning)
        built = {name: reference.build(name, definition) for name, definition in found.items()}
        for name, service in built.items():
            folder = Path("services") / name / "reference"
            files[folder / "openapi.json"] = reference.openapi(service)
            files[folder / "settings.schema.json"] = reference.settings_schema(service.definition)
    files[EVENTS] = reference.events_markdown(built)
    return files


def stale(root: Path | None = None) -> list[Path]:
    root = root or repo_root()
    return sorted(
        path
        for path, text in outputs(root).items()
        if not (root / path).exists() or (root / path).read_text() != text
    )


def main(argv: list[str]) -> int:
    root = repo_root()
    if argv == ["--check"]:
        out_of_date = stale(root)
        for path in out_of_date:
            print(f"stale: {path}", file=sys.stderr)
        if out_of_date:
            print(f"run `{COMMAND}` and commit the result", file=sys.stderr)
            return 1
        print("generated files are current")
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    written = []
    for path, text in outputs(root).items():
        target = root / path
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(path)
            print(f"wrote {path}")
    if ROUTING_TABLE in written:
        # The gateway's OpenAPI document and settings schema were built with the routing table
        # this process had imported: build them again from the new one.
        return subprocess.run([sys.executable, "-m", "spiegel_dev.generate"], check=False).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
