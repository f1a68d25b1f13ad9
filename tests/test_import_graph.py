"""The import graph matches the diagram in docs/architecture.md, both ways, and has no cycle.

The diagram is the fenced block under "## Modules and the direction of imports": one line per
package, ``package → dependency, dependency``, and a last line naming the pure modules that
anyone may import. A package is ``micelio.X`` or ``importers.X`` (a module or a folder), or a
top-level folder (``bench``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("micelio", "importers", "bench")
OURS = (*PRODUCTION, "tests", "fixtures")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[str]:
    """Every module of ours that ``path`` imports, at any depth of the file (lazy ones too)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            # `from micelio import paths` imports the module micelio.paths.
            names = [
                f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in OURS)


def package_of(module: str) -> str:
    """The diagram's unit: micelio.X and importers.X, else the top-level folder."""
    parts = module.split(".")
    if parts[0] in ("micelio", "importers") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def actual_edges() -> set[tuple[str, str]]:
    edges = set()
    for top in PRODUCTION:
        for path in sorted((ROOT / top).rglob("*.py")):
            source = package_of(_module_name(path))
            for target in map(package_of, _imports(path)):
                if target != source:
                    edges.add((source, target))
    return edges


def diagram() -> tuple[set[tuple[str, str]], set[str]]:
    """The diagram's edges and its pure modules."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Modules and the direction of imports", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "docs/architecture.md has no diagram block"
    edges: set[tuple[str, str]] = set()
    pure: set[str] = set()
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        if line.startswith("pure:"):
            pure.update(name.strip() for name in line.removeprefix("pure:").split(","))
            continue
        source, _, targets = line.partition("→")
        assert targets, f"diagram line without an arrow: {line!r}"
        for target in targets.split(","):
            edges.add((source.strip(), target.strip()))
    return edges, pure


def test_every_import_is_in_the_diagram() -> None:
    allowed, pure = diagram()
    stray = sorted(
        f"{source} → {target}"
        for source, target in actual_edges()
        if (source, target) not in allowed and target not in pure and target != "micelio"
    )
    assert not stray, "imports the diagram in docs/architecture.md does not allow:\n" + "\n".join(
        stray
    )


def test_every_arrow_of_the_diagram_is_in_the_code() -> None:
    allowed, _ = diagram()
    missing = sorted(f"{s} → {t}" for s, t in allowed - actual_edges())
    assert not missing, "diagram arrows no module follows:\n" + "\n".join(missing)


def test_pure_modules_import_only_pure_modules() -> None:
    _, pure = diagram()
    for name in sorted(pure):
        path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
        assert path.is_file(), f"the diagram names {name}, which is not a module"
        impure = sorted({package_of(m) for m in _imports(path)} - pure - {name})
        assert not impure, f"{name} is listed as pure but imports {impure}"


def test_no_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for source, target in actual_edges():
        graph.setdefault(source, set()).add(target)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(package for package in graph if package in reach(package))
    assert not cycles, f"packages on an import cycle: {cycles}"


@pytest.mark.parametrize("top", PRODUCTION)
def test_production_code_never_imports_tests(top: str) -> None:
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / top).rglob("*.py")
        if any(package_of(m) in ("tests", "fixtures") for m in _imports(path))
    )
    assert not offenders, f"{top} imports from tests/ or fixtures/: {offenders}"


def test_the_web_reads_through_the_service_only() -> None:
    below = ("micelio.database", "micelio.storage", "sqlalchemy", "boto3")
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "micelio" / "web").rglob("*.py")
        for module in _imports_any(path)
        if module.startswith(below)
    )
    assert not offenders, offenders


def _imports_any(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, ours or not (absolute imports only)."""
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module


def test_tests_share_helpers_through_tests_support_only() -> None:
    """A test module or a conftest is never imported: shared helpers live in tests/support."""
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "tests").rglob("*.py")
        for module in _imports(path)
        if module.startswith("tests.") and not module.startswith("tests.support")
    )
    assert not offenders, offenders
