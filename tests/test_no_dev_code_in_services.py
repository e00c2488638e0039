"""Development code stays out of production: no service (nor the platform) imports the development
tools (`spiegel_dev`) or the demo data (`spiegel_demo`); development keys come through settings."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("spiegel_dev", "spiegel_demo")


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (  # importlib.import_module("spiegel_dev...") / __import__("spiegel_dev...")
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def production_sources() -> list[Path]:
    sources = sorted((ROOT / "services").glob("*/src/**/*.py"))
    sources += sorted(p for p in (ROOT / "libs").glob("*/src/**/*.py") if "contracts" not in p.parts)
    return sources


def test_no_service_imports_development_or_demo_code():
    sources = production_sources()
    assert len(sources) > 50, "the walk found the services' sources"
    offending = [
        f"{source.relative_to(ROOT)}:{line} imports {module}"
        for source in sources
        for line, module in _imported_modules(ast.parse(source.read_text(), filename=str(source)))
        if module.split(".")[0] in FORBIDDEN
    ]
    assert offending == []


def test_the_walk_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from spiegel_dev.keys import dev_key\n    import spiegel_demo.survey\n")
    assert [m for _, m in _imported_modules(tree)] == ["spiegel_dev.keys", "spiegel_demo.survey"]
