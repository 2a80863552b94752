"""The library's shape: each stage imports only from the stages before it, no function runs past
100 lines of code, and no private name crosses a module (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "eventstudy"

#: The pipeline, first stage first: a module may import only from its own or earlier stages.
STAGES = [
    ("exceptions", "options", "parallel"),
    ("config",),
    ("format",),
    ("calendar",),
    ("prices",),
    ("contracts",),
    ("quality",),
    ("panel",),
    ("events",),
    ("estimate",),
    ("inference",),
    ("volatility", "volume"),
    ("regression",),
    ("simulation",),
    ("summary",),
    ("crosssection",),
    ("excel",),
    ("plots",),
    ("results",),
    ("analysis",),
    ("report",),
    ("outputs",),
    ("cli", "__main__"),
]
MAX_LINES = 100


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, parts


def _stage(parts) -> int | None:
    for i, names in enumerate(STAGES):
        if parts[0] in names:
            return i
    return None


def _imports(path: Path, parts):
    """(line, top-level module of eventstudy, imported names) of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_depth = len(parts) - (0 if parts[-1] == "__init__" else 1)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            up = node.level - 1
            base = list(parts[: len(parts) - 1])[: package_depth - up] if up else list(
                parts[:-1])
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [a.name for a in node.names]
            if not target:  # from . import x
                for name in names:
                    yield node.lineno, name, []
            else:
                yield node.lineno, target[0], names
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("eventstudy"):
            target = node.module.split(".")[1:]
            yield node.lineno, (target[0] if target else node.names[0].name), [
                a.name for a in node.names]


def test_every_module_has_a_stage():
    assert [p for p, parts in _modules() if parts[0] != "__init__" and _stage(parts) is None] == []


def test_each_stage_imports_only_from_earlier_stages():
    late = []
    for path, parts in _modules():
        own = _stage(parts)
        if own is None:
            continue
        for line, module, _ in _imports(path, parts):
            if module == "__init__" or module.startswith("__"):
                continue
            stage = _stage((module,))
            if stage is not None and stage > own:
                late.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert late == []


def test_no_private_name_crosses_a_module():
    crossing = []
    for path, parts in _modules():
        for line, module, names in _imports(path, parts):
            crossing += [f"{path.relative_to(PACKAGE)}:{line} imports {module}.{n}"
                         for n in names if n.startswith("_") and not n.startswith("__")]
    assert crossing == []


def _code_lines(node, lines) -> int:
    doc = set()
    first = node.body[0] if node.body else None
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        doc = set(range(first.lineno, first.end_lineno + 1))
    return sum(1 for i in range(node.lineno, node.end_lineno + 1)
               if i not in doc and lines[i - 1].strip()
               and not lines[i - 1].lstrip().startswith("#"))


def test_no_function_runs_past_a_screenful():
    long = []
    for path, _ in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                if n > MAX_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({n})")
    assert long == []


def test_the_line_count_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES + 1))
    text = f'def f():\n    """doc"""\n    # a comment\n\n{body}\n'
    tree = ast.parse(text)
    assert _code_lines(tree.body[0], text.splitlines()) == MAX_LINES + 2
