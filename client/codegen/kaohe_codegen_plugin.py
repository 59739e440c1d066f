"""kaohe's ariadne-codegen plugin (client/codegen.toml): with kaohe's own base client (client/codegen/), the
package's `__init__` exports the exceptions as it does with ariadne's (and kaohe's KaoheHttpError)."""

from __future__ import annotations

import ast

from ariadne_codegen.plugins.base import Plugin  # type: ignore[import-not-found]

EXCEPTIONS = ["GraphQLClientError", "GraphQLClientGraphQLError", "GraphQLClientGraphQLMultiError",
              "GraphQLClientHttpError", "GraphQLClientInvalidResponseError", "KaoheHttpError"]


class ExportExceptions(Plugin):  # type: ignore[misc]
    def generate_init_module(self, module: ast.Module) -> ast.Module:
        imports = [node for node in module.body if isinstance(node, ast.ImportFrom)]
        others = [node for node in module.body if not isinstance(node, ast.ImportFrom)]
        imports.append(ast.ImportFrom(module="exceptions", names=[ast.alias(name=n) for n in EXCEPTIONS], level=1))
        imports.sort(key=lambda node: node.module or "")
        for node in others:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
                names = [e.value for e in node.value.elts if isinstance(e, ast.Constant)] + EXCEPTIONS
                node.value.elts = [ast.Constant(value=n) for n in sorted(names)]
        module.body = [*imports, *others]
        return module
