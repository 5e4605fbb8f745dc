"""The layer rule of ../shared/DESIGN.md, read from the source: every import inside ``intags_env`` points to
its own layer or one below, and nothing in ``intags_env`` imports ``intags_agents`` (the agents sit on
top and register through entry points). Lazy imports inside functions count the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "intags_env"

#: Layer of each top-level module or subpackage of intags_env, bottom (0) to top.
LAYERS = {
    # utilities every layer may use; they import nothing of the project
    "_numba_cache": 0,
    "progress": 0,
    "seeds": 0,
    "workers": 0,
    "sb3_files": 0,
    "exchange": 1,
    "world": 2,
    "data": 2,
    "envs": 3,
    "metrics": 3,
    "registration": 3,  # gymnasium ids of the envs (entry points as strings)
    "intags": 4,
    "bench": 4,
    "calibration": 4,
    "generator": 5,
    "realism": 6,
    "cli": 7,
    "__init__": 8,  # the package's face: imports what it re-exports
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, module: str) -> list[tuple[str, int]]:
    """Absolute names of everything ``path`` imports (relative imports resolved), with line numbers."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x: x is a submodule or a name of the package
                    folder = PACKAGE.parent.joinpath(*base)
                    for alias in node.names:
                        is_module = (folder / f"{alias.name}.py").exists() or (folder / alias.name).is_dir()
                        out.append((f"{name}.{alias.name}" if is_module else name, node.lineno))
                    continue
            else:
                name = node.module or ""
            out.append((name, node.lineno))
    return out


def _layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    if key not in LAYERS:
        raise KeyError(f"{module}: {key!r} has no layer in tests/test_layers.py (add it where it belongs)")
    return key, LAYERS[key]


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        src_key, src_layer = _layer(module)
        for name, line in _imported(path, module):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if name == "intags_agents" or name.startswith("intags_agents."):
                found.append(f"{where} imports {name} (agents register through entry points)")
            elif name.startswith("intags_env."):
                _, dst_layer = _layer(name)
                if dst_layer > src_layer:
                    found.append(f"{where}: {src_key} (layer {src_layer}) imports {name} (layer {dst_layer})")
    return found


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    parts -= {"__pycache__"}
    assert parts <= set(LAYERS), f"no layer for {sorted(parts - set(LAYERS))}"


def test_imports_only_look_down() -> None:
    assert _violations() == []


def test_the_checker_sees_upward_and_agents_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule is not vacuous: a module of envs importing the generator, lazily, is caught, and so is an
    import of intags_agents."""
    fake = tmp_path / "intags_env"
    (fake / "envs").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "envs" / "__init__.py").write_text("")
    (fake / "envs" / "bad.py").write_text(
        "def f():\n    from ..generator.background import GeneratorBackground\n"
        "    import intags_agents.cwgan\n"
    )
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    found = _violations()
    assert len(found) == 2
    assert "envs (layer 3) imports intags_env.generator.background (layer 5)" in found[0]
    assert "intags_agents.cwgan" in found[1]


def test_an_unknown_part_is_named() -> None:
    with pytest.raises(KeyError, match="'newpart' has no layer"):
        _layer("intags_env.newpart.module")
