"""Validate manifests rendered by `helm template`, offline.

    python charts/validate_manifests.py --kubernetes-version 1.27.0 \\
        --kubernetes-version 1.37.0 [--allow-crd PodMonitor] rendered.yaml...

Each document is checked against the Kubernetes OpenAPI schemas of that
version with kubernetes-validate in strict mode (unknown fields are errors).
A kind without a schema fails too, unless it is a known custom resource
(`--allow-crd`), so a mistyped apiVersion cannot pass as "unknown".

On top, the chart's own promises are checked: duplicate YAML keys (which
kubectl rejects but PyYAML silently merges), the hardened securityContext,
the probes, the config checksum, and that every Deployment has a
NetworkPolicy and only the gateway and the web pages (which call with the caller's token from
the gateway) may call a domain service's api.

Run with the interpreter of the venv that has kubernetes-validate (check.sh
makes one). Prints `ok FILE [VERSION]: summary` or one `FAIL FILE [VERSION]:
problem` line per problem, and exits 1 if there is any problem.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import yaml

Manifest = dict[str, Any]

# kubernetes-validate re-reads the schema files (_definitions.json is large)
# for every manifest; they never change within a run, so read each once.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(  # type: ignore[assignment,unused-ignore]
    kubernetes_validate.utils.schema_contents
)


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping with the same key twice."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load(path: str) -> list[Manifest]:
    with open(path, encoding="utf-8") as file:
        return [doc for doc in yaml.load_all(file, Loader=_StrictLoader) if doc]


def name_of(manifest: Manifest) -> str:
    return f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"


def schema_problems(manifest: Manifest, version: str, allowed_crds: set[str]) -> Iterator[str]:
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        if manifest.get("kind") not in allowed_crds:
            api = manifest.get("apiVersion")
            yield f"{name_of(manifest)}: no schema for {api} in Kubernetes {version}"
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        yield f"{name_of(manifest)}: {path}: {error.message}"


def deployment_problems(deployment: Manifest) -> Iterator[str]:
    name = name_of(deployment)
    template = deployment["spec"]["template"]
    pod = template["spec"]
    if "checksum/config" not in template["metadata"].get("annotations", {}):
        yield f"{name}: no checksum/config annotation (a config change would not roll the pods)"
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        yield f"{name}: pod securityContext.runAsNonRoot is not true"
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        yield f"{name}: pod seccompProfile is not RuntimeDefault"
    if pod.get("automountServiceAccountToken") is not False:
        yield f"{name}: the service account token is mounted"
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for container in pod["containers"]:
        where = f"{name} container {container['name']}"
        security = container.get("securityContext", {})
        expected = {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
        }
        for key, value in expected.items():
            if security.get(key) is not value:
                yield f"{where}: securityContext.{key} is not {value}"
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            yield f"{where}: capabilities do not drop ALL"
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        tmp = mounts.get("/tmp", "")  # noqa: S108 (a mount path, not a temporary file)
        if "emptyDir" not in volumes.get(tmp, {}):
            yield f"{where}: /tmp is not an emptyDir (the root filesystem is read-only)"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            actual = container.get(probe, {}).get("httpGet", {}).get("path")
            if actual != path:
                yield f"{where}: {probe} is {actual!r}, not GET {path}"
        if "memory" not in container.get("resources", {}).get("limits", {}):
            yield f"{where}: no memory limit"


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# Who may call a domain service's api: the gateway, and the web pages with the caller's token.
CALLERS = ("gateway", "web")


def network_problems(manifests: list[Manifest]) -> Iterator[str]:
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    if not policies:
        return
    deployments = [m for m in manifests if m["kind"] == "Deployment"]
    for deployment in deployments:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if selects(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
        if not mine:
            yield f"{name_of(deployment)}: no NetworkPolicy selects its pods"
        for policy in mine:
            if set(policy["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
                yield f"{name_of(policy)}: does not restrict both ingress and egress"
            if labels.get("app.kubernetes.io/component") == "gateway":
                continue
            for rule in policy["spec"].get("ingress", []):
                for peer in rule.get("from", []):
                    component = (
                        peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
                    )
                    if "podSelector" in peer and "namespaceSelector" not in peer and component not in CALLERS:
                        yield (
                            f"{name_of(policy)}: admits pods of {component!r}; "
                            "only the gateway and the web pages may call"
                        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kubernetes-version",
        action="append",
        required=True,
        help="repeat to validate against several versions",
    )
    parser.add_argument("--allow-crd", action="append", default=[], metavar="KIND")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    failed = False
    for path in args.files:
        try:
            manifests = load(path)
        except yaml.YAMLError as error:
            print(f"FAIL {path}: {error}")
            failed = True
            continue
        own = [p for m in manifests if m.get("kind") == "Deployment" for p in deployment_problems(m)]
        own += list(network_problems(manifests))
        for version in args.kubernetes_version:
            problems = [p for m in manifests for p in schema_problems(m, version, set(args.allow_crd))] + own
            for problem in problems:
                print(f"FAIL {path} [{version}]: {problem}")
            failed = failed or bool(problems)
            if not problems:
                kinds: dict[str, int] = {}
                for manifest in manifests:
                    kinds[manifest["kind"]] = kinds.get(manifest["kind"], 0) + 1
                summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
                print(f"ok   {path} [{version}]: {len(manifests)} manifests valid ({summary})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
