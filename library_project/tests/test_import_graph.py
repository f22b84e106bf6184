"""The apps depend one way: a new import from a lower app to a higher one, or a new circle, fails.

The intended order, lowest first: `core` ← `accounts` ← `catalog` ← `reservations` and
`accounts` ← `purchasing` ← `reservations`; `catalog` and `purchasing` do not know each other.
The project package `library_project` (settings, urls, wsgi, asgi, celery, the sample-data
command, the pytest plugin) sits on top and may import anything.
Every import counts, at module level and inside functions. Where a lower app needs a higher one,
it declares a hook the higher app registers (`core.hooks`) instead of importing it.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "catalog", "readers", "reservations", "purchasing", "library_project")
PROJECT = "project"
CORE = "core"

# What each layer may import besides itself.
BELOW = {
    CORE: set(),
    "accounts": {CORE},
    "catalog": {CORE, "accounts"},
    "readers": {CORE, "accounts", "catalog"},
    "purchasing": {CORE, "accounts"},
    "reservations": {CORE, "accounts", "catalog", "readers", "purchasing"},
    PROJECT: {CORE, "accounts", "catalog", "readers", "purchasing", "reservations"},
}


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
        graph[module] = module_imports(tree, module, path.name == "__init__.py", known)
    return graph


def module_imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules a module's syntax tree imports, anywhere in its body."""
    edges = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            edges.update(_imported(node, module, is_package, known))
    edges.discard(module)
    return edges


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
    source = "def settle():\n    from reservations import services\n"
    known = {"catalog.selectors", "reservations", "reservations.services"}
    edges = module_imports(ast.parse(source), "catalog.selectors", False, known)
    assert edges == {"reservations.services"}
    assert back_edges({"catalog.selectors": edges}) == {
        ("catalog.selectors", "reservations.services")
    }
    graph = import_graph()
    assert graph["library_project.settings"] <= set(graph)


def test_the_graph_sees_circles():
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "b.w": {"a.x"}}
    assert circles(graph) == [frozenset({"a.x", "a.y", "a.z"})]


def test_no_import_against_the_app_order():
    found = back_edges(import_graph())
    assert not found, "imports from a lower app to a higher one: " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(found)
    )


def test_no_circle():
    found = circles(import_graph())
    assert not found, "import circles: " + "; ".join(" ".join(sorted(g)) for g in found)
