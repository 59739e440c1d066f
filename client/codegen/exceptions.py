from typing import Any, Optional, Protocol, Union


class Response(Protocol):
    status_code: int


class GraphQLClientError(Exception):
    """Base exception."""


class GraphQLClientHttpError(GraphQLClientError):
    def __init__(self, status_code: int, response: Response) -> None:
        self.status_code = status_code
        self.response = response

    def __str__(self) -> str:
        return f"HTTP status code: {self.status_code}"


class GraphQLClientInvalidResponseError(GraphQLClientError):
    def __init__(self, response: Response) -> None:
        self.response = response

    def __str__(self) -> str:
        return "Invalid response format."


class GraphQLClientGraphQLError(GraphQLClientError):
    def __init__(
        self,
        message: str,
        locations: Optional[list[dict[str, int]]] = None,
        path: Optional[list[str]] = None,
        extensions: Optional[dict[str, object]] = None,
        original: Optional[dict[str, object]] = None,
    ):
        self.message = message
        self.locations = locations
        self.path = path
        self.extensions = extensions
        self.original = original

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_dict(cls, error: dict[str, Any]) -> "GraphQLClientGraphQLError":
        return cls(
            message=error["message"],
            locations=error.get("locations"),
            path=error.get("path"),
            extensions=error.get("extensions"),
            original=error,
        )


class GraphQLClientGraphQLMultiError(GraphQLClientError):
    def __init__(
        self,
        errors: list[GraphQLClientGraphQLError],
        data: Optional[dict[str, Any]] = None,
    ):
        self.errors = errors
        self.data = data

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)

    @classmethod
    def from_errors_dicts(
        cls, errors_dicts: list[dict[str, Any]], data: Optional[dict[str, Any]] = None
    ) -> "GraphQLClientGraphQLMultiError":
        return cls(
            errors=[GraphQLClientGraphQLError.from_dict(e) for e in errors_dicts],
            data=data,
        )


class GraphQLClientInvalidMessageFormat(GraphQLClientError):  # noqa: N818
    def __init__(self, message: Union[str, bytes]) -> None:
        self.message = message

    def __str__(self) -> str:
        return "Invalid message format."


class KaoheHttpError(GraphQLClientGraphQLMultiError, GraphQLClientHttpError):
    """kaohe: an HTTP refusal of the gateway (401 UNAUTHENTICATED, 400, 413, 429...) with its GraphQL-shaped
    body: `code` and `message` of its first error, every error in `errors`. Both a GraphQLClientGraphQLMultiError
    (what the client raises for any GraphQL error) and a GraphQLClientHttpError (the status)."""

    def __init__(
        self,
        status_code: int,
        response: Response,
        errors: list[GraphQLClientGraphQLError],
    ) -> None:
        GraphQLClientGraphQLMultiError.__init__(self, errors=errors, data=None)
        self.status_code = status_code
        self.response = response
        extensions = errors[0].extensions or {}
        self.code = str(extensions.get("code", ""))
        self.message = errors[0].message

    def __str__(self) -> str:
        return f"HTTP {self.status_code} {self.code}: {self.message}"

    @classmethod
    def from_response(cls, response: Any) -> Optional["KaoheHttpError"]:
        """The error of a refusal whose body holds `errors`, else None."""
        try:
            body = response.json()
        except ValueError:
            return None
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not errors:
            return None
        if not all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors):
            return None
        return cls(
            status_code=response.status_code,
            response=response,
            errors=[GraphQLClientGraphQLError.from_dict(e) for e in errors],
        )
