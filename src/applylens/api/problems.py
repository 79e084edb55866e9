"""Error responses: one JSON shape, `{"error": code, "detail": message, ...}`,
and the mapping of the product's exceptions to HTTP statuses."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from applylens.errors import (
    BackendNotReady,
    BackendUnavailable,
    ConfigError,
    NotFound,
    QuerySyntaxError,
)

logger = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error response a route raises; the handler turns it into JSON."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def backend_problem(exc: BackendUnavailable | BackendNotReady) -> ApiProblem:
    backend = getattr(exc, "backend", None)
    return ApiProblem(
        503,
        "backend_unavailable",
        str(exc),
        headers={"Retry-After": "5"},
        extra={"backend": backend},
    )


def query_problem(exc: QuerySyntaxError) -> ApiProblem:
    return ApiProblem(
        400,
        "invalid_query",
        str(exc),
        extra={"query": exc.query, "position": exc.position},
    )


# Maximum number of characters of a rejected value that a 422 response repeats.
MAX_ECHOED_CHARS = 200


def _printable_error(error: Any) -> Any:
    """Return a validation error that can be sent as strict JSON in UTF-8.

    A JSON body may contain lone surrogates ("\\ud800") and the non-finite
    numbers NaN, Infinity and -Infinity (also 1e400, read as Infinity). The
    default handler echoes them back and then fails to encode them, turning a
    422 into a 500. Non-finite numbers are echoed as the text "NaN",
    "Infinity" or "-Infinity". Long rejected values are cut, so that a 422
    does not repeat them whole.
    """
    if isinstance(error, dict):
        printable = {key: _printable_error(value) for key, value in error.items()}
        value = printable.get("input")
        if isinstance(value, str) and len(value) > MAX_ECHOED_CHARS:
            printable["input"] = value[:MAX_ECHOED_CHARS] + "..."
        return printable
    if isinstance(error, list | tuple):
        return [_printable_error(item) for item in error]
    if isinstance(error, str):
        return error.encode("utf-8", "replace").decode("utf-8")
    if isinstance(error, float) and not math.isfinite(error):
        if math.isnan(error):
            return "NaN"
        return "Infinity" if error > 0 else "-Infinity"
    return error


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return exc.response()

    async def on_backend(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BackendUnavailable | BackendNotReady)
        logger.warning("%s %s failed: %s", request.method, request.url.path, exc)
        return backend_problem(exc).response()

    async def on_query(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, QuerySyntaxError)
        return query_problem(exc).response()

    async def on_not_found(request: Request, exc: Exception) -> JSONResponse:
        return ApiProblem(404, "not_found", str(exc)).response()

    async def on_config(request: Request, exc: Exception) -> JSONResponse:
        return ApiProblem(400, "invalid_request", str(exc)).response()

    async def on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _printable_error(jsonable_encoder(exc.errors()))
        return JSONResponse({"detail": errors}, status_code=422)

    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(BackendUnavailable, on_backend)
    app.add_exception_handler(BackendNotReady, on_backend)
    app.add_exception_handler(QuerySyntaxError, on_query)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(ConfigError, on_config)
