"""The apps depend one way: a new import from a lower app to a higher one, or a new circle, fails.

The intended order, lowest first: `core` ← `accounts` ← `catalog` ← `reservations` and
`accounts` ← `purchasing` ← `reservations`; `catalog` and `purchasing` do not know each other.
The project package `library_project` (settings, urls, wsgi, asgi, celery, the sample-data
command, the pytest plugin) sits on top and may import anything.
Every import counts, at module level and inside functions. The imports that break the order today
are pinned below, so the lists can only shrink: a pinned import that is gone fails too, until its
row is removed.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "catalog", "reservations", "purchasing", "library_project")
PROJECT = "project"
CORE = "core"

# What each layer may import besides itself.
BELOW = {
    CORE: set(),
    "accounts": {CORE},
    "catalog": {CORE, "accounts"},
    "purchasing": {CORE, "accounts"},
    "reservations": {CORE, "accounts", "catalog", "purchasing"},
    PROJECT: {CORE, "accounts", "catalog", "purchasing", "reservations"},
}

# (importer, imported): today's imports against the order, each to be turned into a hook.
KNOWN_BACK_EDGES = {
    ("accounts.admin", "reservations.models"),
    ("accounts.api.serializers", "catalog.models"),
    ("accounts.selectors", "reservations.rules"),
    ("accounts.services.profile", "purchasing.models"),
    ("accounts.services.profile", "reservations.errors"),
    ("accounts.services.profile", "reservations.models"),
    ("accounts.services.profile", "reservations.selectors"),
    ("accounts.services.profile", "reservations.services"),
    ("accounts.services.signup", "purchasing.services"),
    ("catalog.admin", "reservations.selectors"),
    ("catalog.admin", "reservations.services"),
    ("catalog.api.caching", "reservations.settlement"),
    ("catalog.api.views", "reservations.services"),
    ("catalog.selectors", "reservations.models"),
    ("catalog.selectors", "reservations.rules"),
    ("catalog.selectors", "reservations.services"),
    ("catalog.services", "reservations.selectors"),
    ("catalog.services", "reservations.services"),
    ("purchasing.services", "reservations.selectors"),
    ("purchasing.services", "reservations.services"),
}

# Today's circles of modules that import each other (at module level or in functions).
KNOWN_CIRCLES = [
    frozenset({"accounts.notifications", "accounts.tasks"}),
    frozenset(
        {
            "catalog.services",
            "purchasing.services",
            "reservations.release",
            "reservations.selectors",
            "reservations.services",
        }
    ),
]


def layer(module: str) -> str:
    app = module.split(".")[0]
    return PROJECT if app == "library_project" else app


def _module_files() -> dict[str, Path]:
    root = ROOT
    files = {}
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = path
    return files


def _imported(node, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The project modules an import statement names (a submodule where it names one)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{node.module}" if node.module else package
        else:
            base = node.module
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        submodules = [name for name in names[:-1] if name in known]
        names = submodules or [base]
    found = []
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports anywhere in its body."""
    files = _module_files()
    known = set(files)
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(_imported(node, module, is_package, known))
        edges.discard(module)
        graph[module] = edges
    return graph


def back_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer, targets in graph.items()
        for imported in targets
        if layer(imported) != layer(importer) and layer(imported) not in BELOW[layer(importer)]
    }


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "purchasing.services" in graph["accounts.services.signup"]  # inside `user_signup`
    assert graph["library_project.settings"] <= set(graph)


def test_no_new_import_against_the_app_order():
    new = back_edges(import_graph()) - KNOWN_BACK_EDGES
    assert not new, "imports from a lower app to a higher one: " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(new)
    )


def test_the_pinned_imports_against_the_order_still_exist():
    gone = KNOWN_BACK_EDGES - back_edges(import_graph())
    assert not gone, "remove from KNOWN_BACK_EDGES: " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(gone)
    )


def test_no_new_circle():
    found = circles(import_graph())
    new = [group for group in found if not any(group <= known for known in KNOWN_CIRCLES)]
    assert not new, "new import circles: " + "; ".join(" ".join(sorted(g)) for g in new)
    shrunk = [known for known in KNOWN_CIRCLES if known not in found]
    assert not shrunk, "update KNOWN_CIRCLES to today's circles: " + "; ".join(
        " ".join(sorted(g)) for g in found
    )
