"""The one list of services, and everything generated from it and from proto/, is current."""

from __future__ import annotations

import json
import tomllib

import pytest
import yaml
from pydantic import Field
from spiegel_dev import deployment, generate
from spiegel_dev.paths import repo_root
from spiegel_dev.reference import offline_settings
from spiegel_dev.services import definitions, process_types
from spiegel_platform.service import ServiceSettings

ROOT = repo_root()


def test_the_generated_files_are_current() -> None:
    stale = generate.stale(ROOT)
    assert stale == [], (
        f"out of date with the services' definitions or proto/: {', '.join(map(str, stale))}; "
        f"run `{generate.COMMAND}` and commit the result"
    )


def test_every_service_folder_is_a_defined_service() -> None:
    """services/<name>/ is installed and defines service <name> (the chart deploys exactly these)."""
    folders = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
    found = definitions()
    assert sorted(found) == folders, (
        'each services/<name>/pyproject.toml declares [project.entry-points."spiegel.services"] '
        '<name> = "spiegel_<name>.definition:DEFINITION" and is a dependency of the root pyproject.toml '
        "(then `make setup`)"
    )
    for name, definition in found.items():
        assert definition.name == name
        project = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
        assert name in project["project"]["entry-points"]["spiegel.services"]


def test_the_chart_compose_file_and_routing_table_follow_the_definitions() -> None:
    found = definitions()
    services = {name: process_types(d) for name, d in found.items()}
    values = yaml.safe_load((ROOT / generate.VALUES).read_text())["services"]
    assert {name: list(entry["processes"]) for name, entry in values.items()} == services
    assert values[deployment.EDGE]["calls"] == deployment.routed(services)
    schema = json.loads((ROOT / generate.SCHEMA).read_text())
    assert set(schema["properties"]["services"]["properties"]) == set(services)
    compose = yaml.safe_load((ROOT / generate.COMPOSE).read_text())["services"]
    containers = {name for name in compose if deployment.PROCESS_CONTAINER.match(name)}
    assert containers == {f"{name}-{kind}" for name, kinds in services.items() for kind in kinds}
    from spiegel_gateway.routing.table import SERVICES, ServiceAddresses
    from spiegel_web.settings import SERVICES as CALLED_BY_THE_PAGES

    # /api/<service>/ for the services with data of their own; the pages (no storage) get an
    # address but no /api route, and call the edge and every service with data.
    with_storage = [name for name in deployment.routed(services) if found[name].storage]
    assert list(SERVICES) == with_storage
    assert set(ServiceAddresses.model_fields) == {
        f"{n.replace('-', '_')}_url" for n in deployment.routed(services)
    }
    assert set(CALLED_BY_THE_PAGES) == {deployment.EDGE, *with_storage}


def test_a_new_service_is_added_and_a_removed_one_taken_out_everywhere() -> None:
    services = {name: process_types(d) for name, d in definitions().items()}
    gone = "survey"
    wanted = {**{n: k for n, k in services.items() if n != gone}, "accreditation": ["api", "consumer"]}
    values_text = deployment.values_yaml((ROOT / generate.VALUES).read_text(), wanted)
    assert deployment.values_yaml(values_text, wanted) == values_text  # stable
    values = yaml.safe_load(values_text)
    assert list(values["services"]["accreditation"]["processes"]) == ["api", "consumer"]
    assert gone not in values["services"]
    assert values["services"][deployment.EDGE]["calls"] == deployment.routed(wanted)
    # Everything else in the file is as written.
    before = yaml.safe_load((ROOT / generate.VALUES).read_text())
    assert {k: v for k, v in values.items() if k != "services"} == {
        k: v for k, v in before.items() if k != "services"
    }
    assert values["services"]["invitation"] == before["services"]["invitation"]

    schema = json.loads(
        deployment.values_schema(
            (ROOT / generate.SCHEMA).read_text(), wanted, deployment.chart_order(values_text)
        )
    )
    assert "accreditation" in schema["properties"]["services"]["properties"]
    assert gone not in schema["properties"]["services"]["properties"]
    assert "accreditation" in schema["definitions"]["service"]["properties"]["calls"]["items"]["enum"]

    compose_text = deployment.compose_yaml((ROOT / generate.COMPOSE).read_text(), wanted)
    assert deployment.compose_yaml(compose_text, wanted) == compose_text
    compose = yaml.safe_load(compose_text)["services"]
    assert compose["accreditation-api"]["command"] == ["python", "-m", "spiegel_accreditation", "api"]
    assert compose["accreditation-consumer"]["environment"]["MONGODB_DATABASE"] == "spiegel_accreditation"
    assert not any(name.startswith(f"{gone}-") for name in compose)
    assert compose["gateway-api"]["environment"]["ACCREDITATION_URL"] == "http://accreditation-api:8000"
    assert "kafka" in compose and "mailpit" in compose

    table = deployment.routing_table(wanted)
    assert '"accreditation": "accreditation_url"' in table and "accreditation_url: str | None = None" in table
    assert gone not in table


def test_a_process_type_that_appears_or_disappears_follows() -> None:
    services = {name: process_types(d) for name, d in definitions().items()}
    wanted = {**services, "invitation": ["api", "consumer"], "gateway": ["api", "relay", "consumer"]}
    values = yaml.safe_load(deployment.values_yaml((ROOT / generate.VALUES).read_text(), wanted))
    assert list(values["services"]["invitation"]["processes"]) == ["api", "consumer"]
    assert list(values["services"]["gateway"]["processes"]) == ["api", "relay", "consumer"]
    compose = yaml.safe_load(deployment.compose_yaml((ROOT / generate.COMPOSE).read_text(), wanted))
    assert "invitation-relay" not in compose["services"]
    assert compose["services"]["gateway-consumer"]["command"][-1] == "consumer"


def test_the_reference_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert str(generate.EVENTS) in readme and "reference/openapi.json" in readme


def test_a_required_setting_without_an_example_is_named() -> None:
    class Needy(ServiceSettings):
        mongodb_database: str = "needy"
        secret_thing: str = Field(...)

    with pytest.raises(ValueError, match=r"Needy.secret_thing has no default"):
        offline_settings(Needy)


def test_a_compose_file_without_the_services_gets_them() -> None:
    services = {name: process_types(d) for name, d in definitions().items()}
    text = (ROOT / generate.COMPOSE).read_text()
    bare = deployment.compose_yaml(text, {})
    assert not any(deployment.PROCESS_CONTAINER.match(n) for n in yaml.safe_load(bare)["services"])
    rebuilt = yaml.safe_load(deployment.compose_yaml(bare, services))["services"]
    environment = rebuilt["gateway-api"]["environment"]
    for name in deployment.routed(services):
        assert environment[f"{name.upper().replace('-', '_')}_URL"] == f"http://{name}-api:8000"
    assert rebuilt["survey-relay"]["environment"]["MONGODB_DATABASE"] == "spiegel_survey"


def test_every_operation_of_every_service_has_its_own_id() -> None:
    """Two operations with one id make generated clients pick one of them at random."""
    for path in sorted(repo_root().glob("services/*/reference/openapi.json")):
        document = json.loads(path.read_text())
        ids = [
            operation["operationId"]
            for methods in document.get("paths", {}).values()
            for operation in methods.values()
            if isinstance(operation, dict) and "operationId" in operation
        ]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        assert not duplicates, f"{path.relative_to(repo_root())}: {duplicates}"
