"""The package boundaries of ARCHITECTURE.md, pinned: which package may import what."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLACK = ("slack_bolt", "slack_sdk")
HTTP_CLIENTS = ("httpx", "aiohttp", "anthropic", "requests")

# package -> imports it must never make
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "workflows": ("bot", "connectors", *SLACK, *HTTP_CLIENTS),
    "connectors": ("bot", *SLACK),
}
# connectors may use only these modules of workflows: its small model and protocol modules
CONNECTOR_MAY_USE = {
    "workflows.domain",
    "workflows.catalog",
    "workflows.errors",
    "workflows.models",
    "workflows.clock",
    "workflows.policy_files",
    "workflows.lazy",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _hits(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in imports_of(path)
        if _hits(name, FORBIDDEN[package])
    ]
    assert not offences, "\n".join(offences)


def test_connectors_use_only_the_small_core_modules() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("connectors")
        for name in imports_of(path)
        if name.startswith("workflows") and name not in CONNECTOR_MAY_USE
    ]
    assert not offences, "\n".join(offences)


def test_only_the_edge_speaks_slack() -> None:
    users = {
        path.parts[len(ROOT.parts)]
        for pkg in ("workflows", "connectors")
        for path in modules(pkg)
        if any(_hits(n, SLACK) for n in imports_of(path))
    }
    assert users == set()


def test_the_architecture_is_visible_from_the_tree() -> None:
    for top in (
        "bot",
        "workflows",
        "connectors",
        "tests",
        "pyproject.toml",
        "README.md",
        "manifest.yml",
        "Dockerfile",
    ):
        assert (ROOT / top).exists(), top
