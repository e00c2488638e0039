"""Generate Python code from proto/ and guard the compatibility of released contracts.

    python -m spiegel_dev.proto generate        # proto/ -> libs/contracts/src/spiegel/
    python -m spiegel_dev.proto check           # current contracts vs proto/released.json
    python -m spiegel_dev.proto release         # record the current contracts as released

A released field may never be removed, renumbered, renamed or change its type or
label unless its number and name are reserved; a released message, enum value or
event option (topic, key) may not disappear. Breaking changes need a new package
version (spiegel.<service>.v2), which starts its own history.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, empty_pb2
from grpc_tools import protoc

from spiegel_dev.paths import repo_root

OPTION_NUMBERS = {51001: "topic", 51002: "key_field", 51003: "anonymous"}


def proto_dir() -> Path:
    return repo_root() / "proto"


def proto_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.proto"))


def _protoc(args: list[str]) -> None:
    include = str(resources.files("grpc_tools") / "_proto")
    code = protoc.main(["grpc_tools.protoc", f"-I{include}", *args])
    if code != 0:
        raise SystemExit(f"protoc failed with exit code {code}")


def generate(out: Path | None = None) -> Path:
    root = proto_dir()
    out = out or repo_root() / "libs" / "contracts" / "src"
    target = out / "spiegel"
    if target.exists():
        shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)
    plugin = Path(sys.executable).parent / "protoc-gen-mypy"
    _protoc(
        [
            f"-I{root}",
            f"--plugin=protoc-gen-mypy={plugin}",
            f"--python_out={out}",
            f"--mypy_out={out}",
            *proto_files(root),
        ]
    )
    for directory in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    return target


def describe(root: Path) -> dict[str, Any]:
    """A reviewable summary of every message, field, enum and event option."""
    with tempfile.TemporaryDirectory() as tmp:
        descriptor_file = Path(tmp) / "set.binpb"
        _protoc([f"-I{root}", f"--descriptor_set_out={descriptor_file}", *proto_files(root)])
        fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_file.read_bytes())
    messages: dict[str, Any] = {}
    enums: dict[str, Any] = {}

    def options_of(msg: descriptor_pb2.DescriptorProto) -> dict[str, Any]:
        found: dict[str, Any] = {}
        # Read the custom options from the wire format, into a message that knows no
        # fields at all, so the answer does not depend on which extensions are imported.
        opts = empty_pb2.Empty.FromString(msg.options.SerializeToString())
        for field_number, name in OPTION_NUMBERS.items():
            value = _unknown_field(opts, field_number)
            if value is not None:
                found[name] = value
        return found

    def walk(prefix: str, msg: descriptor_pb2.DescriptorProto) -> None:
        name = f"{prefix}.{msg.name}"
        messages[name] = {
            "fields": {
                str(f.number): {"name": f.name, "type": f.type_name or f.type, "label": f.label}
                for f in msg.field
            },
            "reserved_numbers": [[r.start, r.end] for r in msg.reserved_range],
            "reserved_names": list(msg.reserved_name),
            "options": options_of(msg),
        }
        for nested in msg.nested_type:
            if not nested.options.map_entry:
                walk(name, nested)
        for enum in msg.enum_type:
            enums[f"{name}.{enum.name}"] = {str(v.number): v.name for v in enum.value}

    for file in fds.file:
        if not file.name.startswith("spiegel/"):
            continue
        for msg in file.message_type:
            walk(file.package, msg)
        for enum in file.enum_type:
            enums[f"{file.package}.{enum.name}"] = {str(v.number): v.name for v in enum.value}
    return {"messages": messages, "enums": enums}


def _unknown_field(opts: empty_pb2.Empty, number: int) -> Any:
    from google.protobuf import unknown_fields

    for field in unknown_fields.UnknownFieldSet(opts):  # type: ignore[attr-defined]
        if field.field_number == number:
            data = field.data
            return data.decode() if isinstance(data, bytes) else bool(data)
    return None


def breaking_changes(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, old in released["messages"].items():
        new = current["messages"].get(name)
        if new is None:
            problems.append(f"message {name} was removed")
            continue
        for number, field in old["fields"].items():
            now = new["fields"].get(number)
            reserved = any(lo <= int(number) < hi for lo, hi in new["reserved_numbers"])
            if now is None:
                if not (reserved and field["name"] in new["reserved_names"]):
                    problems.append(
                        f"{name}: field {field['name']} = {number} was removed without "
                        f"reserving its number and name"
                    )
                continue
            for aspect in ("name", "type", "label"):
                if now[aspect] != field[aspect]:
                    problems.append(
                        f"{name}: field {number} changed its {aspect} "
                        f"from {field[aspect]!r} to {now[aspect]!r}"
                    )
        for option, value in old["options"].items():
            if new["options"].get(option) != value:
                problems.append(f"{name}: option {option} changed from {value!r}")
    for name, values in released["enums"].items():
        now_values = current["enums"].get(name)
        if now_values is None:
            problems.append(f"enum {name} was removed")
            continue
        for number, value in values.items():
            if now_values.get(number) != value:
                problems.append(f"enum {name}: value {value} = {number} was removed or renamed")
    return problems


def released_path() -> Path:
    return proto_dir() / "released.json"


def check(root: Path | None = None) -> list[str]:
    released = json.loads(released_path().read_text())
    return breaking_changes(released, describe(root or proto_dir()))


def release() -> None:
    """Record the current contracts as released (keeps everything released before)."""
    current = describe(proto_dir())
    if released_path().exists():
        problems = breaking_changes(json.loads(released_path().read_text()), current)
        if problems:
            raise SystemExit("cannot release, breaking changes:\n" + "\n".join(problems))
    released_path().write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "generate"
    if command == "generate":
        print(f"generated {generate()}")
    elif command == "check":
        problems = check()
        for problem in problems:
            print(f"breaking change: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("contracts compatible with proto/released.json")
    elif command == "release":
        release()
        print(f"recorded {released_path()}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
