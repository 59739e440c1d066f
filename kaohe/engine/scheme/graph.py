"""Dependencies between indicators (§3.4 cross-subject kinds, formulas, total, transfer_to)."""

from __future__ import annotations

from .model import Expression, Node, RankPointsParams

TOTAL = "total"


def node_dependencies(nodes: list[Node], total: Expression | None) -> dict[str, list[str]]:
    """code -> codes it needs first; "total" is a pseudo-node read by the total expression."""
    graph: dict[str, list[str]] = {node.code: [] for node in nodes}
    for node in nodes:
        deps = graph[node.code]
        deps.extend(child.code for child in node.children)
        if node.formula is not None:
            deps.extend(sorted(node.formula.names))
        if node.rule is not None and isinstance(node.rule.params, RankPointsParams):
            of = node.rule.params.of
            if of is not None:
                deps.append(of)
        for child in node.children:
            target = child.not_assigned.transfer_to
            if target is not None and target in graph:
                # the sibling's score is scaled by this node's assignment, so it comes after it
                graph.setdefault(target, []).append(child.code)
    top = [node.code for node in _top_level(nodes)]
    graph[TOTAL] = sorted(total.names) if total is not None else top
    return graph


def _top_level(nodes: list[Node]) -> list[Node]:
    children = {id(child) for node in nodes for child in node.children}
    return [node for node in nodes if id(node) not in children]


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One dependency cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        path = _visit(graph, start, state, [])
        if path:
            return path
    return None


def _visit(graph: dict[str, list[str]], start: str, state: dict[str, int], path: list[str]) -> list[str] | None:
    # iterative DFS: trees can be deep and recursion limits are not a scheme author's problem
    if state.get(start):
        return None
    stack: list[tuple[str, int]] = [(start, 0)]
    state[start] = 1
    trail = [start]
    while stack:
        code, i = stack.pop()
        deps = graph.get(code, [])
        if i < len(deps):
            stack.append((code, i + 1))
            nxt = deps[i]
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if not state.get(nxt) and nxt in graph:
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, 0))
        else:
            state[code] = 2
            trail.pop()
    return None


def evaluation_order(graph: dict[str, list[str]]) -> list[str]:
    """Every code after the codes it depends on (graph must be acyclic); deterministic."""
    order: list[str] = []
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, int]] = [(start, 0)]
        if start in done:
            continue
        seen = {start}
        while stack:
            code, i = stack.pop()
            deps = graph.get(code, [])
            if i < len(deps):
                stack.append((code, i + 1))
                nxt = deps[i]
                if nxt not in done and nxt not in seen and nxt in graph:
                    seen.add(nxt)
                    stack.append((nxt, 0))
            elif code not in done:
                done.add(code)
                order.append(code)
    return order
