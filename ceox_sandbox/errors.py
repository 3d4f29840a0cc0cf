"""Every error leaves the sandbox as `{"error": "<sentence>"}` (plus `capability` on 403)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, capability: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.capability = capability
        self.headers = headers

    def response(self) -> JSONResponse:
        body = {"error": self.message}
        if self.capability:
            body["capability"] = self.capability
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, f"{what} {ident} not found")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def describe_validation_errors(errors: list[dict]) -> str:
    """One readable sentence from pydantic's error list, naming each bad field."""
    parts = []
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):  # where the field was, not its name
            loc = loc[1:]
        field = ".".join(loc)
        kind = err.get("type", "")
        if kind == "json_invalid":
            return "request body is not valid JSON"
        if kind == "missing" and not field:
            return "request body is required: send a JSON object"
        if kind in ("model_attributes_type", "dict_type") and not field:
            return "request body must be a JSON object"
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        parts.append(f"{field}: {msg}" if field else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": describe_validation_errors(exc.errors())}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint"
        elif exc.status_code == 405:
            message = "method not allowed on this endpoint"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal sandbox error ({type(exc).__name__})"},
                            status_code=500)
