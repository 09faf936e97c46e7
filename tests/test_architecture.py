"""The house rules that hold for the whole tree (docs/DEVELOPING.md, "Layout").

Fast and without a database: the source is read with ``ast``; the OpenAPI documents are
built from the apps (on an in-memory SQLite engine that no request touches). Each test
prints every offender with the rule it breaks, so that one run lists all there is to fix.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("services", "shared")
MAX_LINES = 450
API_SERVICES = ("survey", "scoring", "inspection")


def _python_files(*roots: str) -> Iterator[Path]:
    """Every ``.py`` file below ``roots`` but the Alembic histories (``migrations/``)."""
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Importable modules of services/ and shared/ by dotted name (``gunicorn.conf.py``,
    which gunicorn loads by path, is no module)."""
    return {_module_name(p): p for p in _python_files(*PACKAGES) if p.name != "gunicorn.conf.py"}


# -- (1) no import cycles ---------------------------------------------------------------------

def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import statement of the module, at module level
    or inside a function or an ``if TYPE_CHECKING`` block alike: a function-level import is
    a dependency that only waits for its first call, so a cycle through it is one still.

    ``from package import name`` is an edge to ``package.name`` when that is a module, else
    to ``package``. An import of the module's own ancestor package is no edge: importing a
    module runs its ancestors' ``__init__`` first anyway (the models package relies on it:
    ``models/__init__.py`` defines ``Base`` and imports every model module at its bottom).
    """
    is_package = path.name == "__init__.py"
    own = name.split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = own[:len(own) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules
                       else prefix for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                yield target, node.lineno


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        for target, line in _imports(name, path, modules):
            graph.setdefault(name, {}).setdefault(target, line)
    cycles = _cycles(graph)
    report = []
    for component in cycles:
        members = set(component)
        edges = [f"    {_rel(modules[a])}:{graph[a][b]} imports {b}"
                 for a in component for b in sorted(graph.get(a, {})) if b in members]
        report.append(f"  cycle of {len(component)} modules: {', '.join(component)}\n"
                      + "\n".join(edges))
    assert not cycles, "import cycles (break each by moving what both need to a third " \
                       "module, or by passing a value in):\n" + "\n".join(report)


# -- (2) modules stay small -------------------------------------------------------------------

def test_no_module_over_450_lines():
    too_long = [(len(p.read_text(encoding="utf-8").splitlines()), _rel(p))
                for p in _python_files(*PACKAGES, "tests", "bench")]
    offenders = [f"  {path}: {lines} lines" for lines, path in sorted(too_long, reverse=True)
                 if lines > MAX_LINES]
    assert not offenders, f"modules over {MAX_LINES} lines (split them by what they do):\n" \
        + "\n".join(offenders)


# -- (3) the environment is read in one place -------------------------------------------------

# Where reading the environment belongs: a service's settings (config.py), command lines
# and gunicorn configurations, and the shared parsers themselves.
ENV_READERS_BY_NAME = {"config.py", "cli.py", "gunicorn.conf.py"}
ENV_READERS = {"shared/config.py", "shared/gunicorn_settings.py"}
ENV_READER_FOLDERS = ("services/cli/",)
ENV_FUNCTIONS = {"env_str", "env_int", "env_float", "env_bool", "secret", "database_url"}


def _environment_reads(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for each read of the environment: ``os.environ``, ``os.getenv``,
    ``environ``/``getenv`` imported from os, and calls of the shared.config parsers."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            yield node.lineno, f"os.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv"):
                    yield node.lineno, f"from os import {alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if called in ENV_FUNCTIONS:
                yield node.lineno, f"{called}(…)"


def _may_read_environment(path: Path) -> bool:
    rel = _rel(path)
    return path.name in ENV_READERS_BY_NAME or rel in ENV_READERS \
        or rel.startswith(ENV_READER_FOLDERS)


def test_the_environment_is_read_only_by_settings_and_entry_points():
    offenders = [f"  {_rel(path)}:{line}: {what}"
                 for path in _python_files(*PACKAGES) if not _may_read_environment(path)
                 for line, what in _environment_reads(path)]
    assert not offenders, (
        "the environment read outside config.py, cli.py, gunicorn.conf.py, services/cli/, "
        "shared/config.py and shared/gunicorn_settings.py (read it in the service's "
        "config.py once at start and pass the value down):\n" + "\n".join(offenders))


# -- (3b) "today" is the county's day ------------------------------------------------------

def _server_days(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for each calendar day taken from the server's or UTC's clock:
    ``date.today()``, ``datetime.today()``, ``datetime.now()`` without a zone, and
    ``.date()`` straight on ``utcnow()`` or ``datetime.now(…)``, and the county's day
    worked out again beside ``county_today`` (``utcnow().astimezone(…).date()``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func, owner = node.func, node.func.value
        if func.attr == "today" and isinstance(owner, ast.Name) \
                and owner.id in ("date", "datetime"):
            yield node.lineno, f"{owner.id}.today()"
        elif func.attr == "now" and isinstance(owner, ast.Name) and owner.id == "datetime" \
                and not node.args and not node.keywords:
            yield node.lineno, "datetime.now() without a zone"
        elif func.attr == "date" and isinstance(owner, ast.Call):
            name = _called(owner)
            if name in ("utcnow", "now"):
                yield node.lineno, f"{name}(…).date()"
            elif name == "astimezone" and isinstance(owner.func.value, ast.Call) \
                    and _called(owner.func.value) in ("utcnow", "now"):
                # The right day, but a copy of county_today beside it.
                yield node.lineno, f"{_called(owner.func.value)}(…).astimezone(…).date()"


def _called(call: ast.Call) -> str | None:
    """The name a call calls: ``f`` of ``f(…)`` and of ``x.f(…)``."""
    inner = call.func
    return inner.id if isinstance(inner, ast.Name) else \
        inner.attr if isinstance(inner, ast.Attribute) else None


def test_today_is_the_countys_day():
    """From 16:00 to 24:00 UTC the county (Asia/Shanghai) is on the next day: a day from
    the server's clock made overdue counts and "due today" one day off (and a test that
    set its data by the server's day failed only in those hours)."""
    offenders = [f"  {_rel(path)}:{line}: {what}"
                 for path in _python_files(*PACKAGES, "tests", "bench")
                 for line, what in _server_days(path)]
    assert not offenders, (
        "a calendar day from the server's clock (use shared.config.county_today(now), or "
        "astimezone(COUNTY_TZ) for an instant):\n" + "\n".join(offenders))


# -- (4) every operation describes its success body -------------------------------------------

def _spec(service: str) -> dict:
    import importlib

    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app({"TESTING": True, "ENGINE": create_engine("sqlite://")})
    return app.extensions["kaoping"].api.spec.to_dict()


JSON_TYPE = re.compile(r"^application/(.+\+)?json$")


def _describes_success(responses: dict) -> bool:
    """A 2xx answer with a body described: a JSON content with a schema, or another
    content type (a CSV/XLSX download, TwiML); or a 204, which has no body."""
    for status, response in responses.items():
        if not str(status).startswith("2"):
            continue
        if str(status) == "204":
            return True
        for content_type, media in (response.get("content") or {}).items():
            if not JSON_TYPE.match(content_type) or media.get("schema"):
                return True
    return False


@pytest.mark.parametrize("service", API_SERVICES)
def test_every_operation_describes_its_success_body(service):
    spec = _spec(service)
    offenders = [f"  {method.upper()} {path}  (responses: {sorted(map(str, op['responses']))})"
                 for path, operations in sorted(spec["paths"].items())
                 for method, op in operations.items()
                 if method in ("get", "post", "put", "patch", "delete")
                 and not _describes_success(op.get("responses", {}))]
    assert not offenders, (
        f"{service}: operations whose success body the OpenAPI document does not describe "
        "(return through @blp.response(status, Schema); a download states its content type "
        "and a schema, e.g. @blp.response(200, {\"type\": \"string\", \"format\": "
        "\"binary\"}, content_type=\"text/csv\"), or @blp.alt_response for a second "
        "format):\n"
        + "\n".join(offenders))


# -- (5) tests mirror the code ----------------------------------------------------------------

# Folders whose modules are covered by the tests of the domain module they serve: tables,
# marshmallow schemas and views (an API test goes through them), and the portal's forms
# and pages (its page tests post them).
COVERED_BY_DOMAIN_TESTS = {"models", "schemas", "api", "forms", "pages"}
# Modules with no test file of their own, and why.
NO_TEST_FILE = {
    "__init__.py": "a package's imports and lists (BLUEPRINTS, the models); tested through "
                   "what uses them",
    "app.py": "create_app() wiring; every API and page test builds the app",
    "config.py": "settings read from the environment; tested where a service has rules in "
                 "them (tests/portal/test_config.py, tests/demo/test_config.py)",
    "gunicorn.conf.py": "gunicorn settings from shared.gunicorn_settings "
                        "(tests/shared/test_gunicorn_settings.py)",
    "services/cli/__main__.py": "`python -m services.cli` calls main(), which "
                                "tests/cli/test_tokens.py calls",
}


def _has_behaviour(path: Path) -> bool:
    """A module that defines a function or a class with methods (not a table of data)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(tree))


def _expected_test(path: Path) -> Path | None:
    """``tests/<service>/…/test_X.py`` for ``services/<service>/…/X.py`` (and
    ``tests/shared/test_X.py`` for ``shared/X.py``); None for a module without one."""
    rel = path.relative_to(ROOT)
    parts = rel.parts[1:] if rel.parts[0] == "services" else rel.parts
    if path.name in NO_TEST_FILE or _rel(path) in NO_TEST_FILE \
            or COVERED_BY_DOMAIN_TESTS & set(parts[:-1]) or not _has_behaviour(path):
        return None
    return ROOT / "tests" / Path(*parts[:-1]) / f"test_{path.stem}.py"


def test_each_module_with_behaviour_has_its_test_file():
    missing = []
    for path in _python_files(*PACKAGES):
        expected = _expected_test(path)
        if expected is not None and not expected.exists():
            missing.append(f"  {_rel(path)} -> {_rel(expected)}")
    assert not missing, (
        "modules with behaviour and no test file named after them (move the tests of the "
        "module there, or write them; the exceptions are listed in NO_TEST_FILE):\n"
        + "\n".join(missing))
