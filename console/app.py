"""The console application: built-in pages plus the features' pages, one guard on every
route, security headers, static files; :func:`serve` runs it with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from console import texts
from console.pages import (
    auth,
    catalog,
    conversations,
    dashboard,
    lexicon,
    notices,
    staff,
    unanswered,
)
from console.rendering import Renderer
from console.security import Security, SecurityHeaders, guard
from console.services import ConsolePage, ConsoleServices

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_PORT = 5080


def built_in_pages() -> list[ConsolePage]:
    return [
        dashboard.page(),
        catalog.page(),
        notices.page(),
        unanswered.page(),
        lexicon.page(),
        conversations.page(),
        staff.page(),
    ]


def _check(pages: Sequence[ConsolePage]) -> None:
    """Two features claiming one key or one URL is a wiring mistake: fail at start-up."""
    keys: set[str] = set()
    urls: set[tuple[str, str]] = set()
    for page in pages:
        if page.key in keys:
            raise ValueError(f"two console pages share the key {page.key!r}")
        keys.add(page.key)
        for route in page.routes:
            for method in route.methods:
                if (method, route.path) in urls:
                    raise ValueError(
                        f"{method} {route.path} is registered twice (page {page.key!r})"
                    )
                urls.add((method, route.path))


def _refuse(request: Request, status: int, message: str) -> Response:
    renderer: Renderer = request.app.state.renderer
    if not hasattr(request.state, "staff"):
        request.state.staff = None
    return renderer.render(request, "error.html", {"status": status, "message": message}, status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = texts.NOT_FOUND if status == 404 else texts.SERVER_ERROR
    if status == 405:
        message = texts.NOT_FOUND
    return _refuse(request, status, message)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("console error on %s: %s", request.url.path, type(exc).__name__)
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>出错了</title><p>{texts.SERVER_ERROR}</p>",
        status_code=500,
    )


def create_app(services: ConsoleServices) -> Starlette:
    """The console as an ASGI application over ``services``."""
    pages = [*built_in_pages(), *services.pages]
    _check(pages)
    routes: list[BaseRoute] = list(auth.routes(_refuse))
    for page in pages:
        for r in page.routes:
            allowed = r.roles if r.roles is not None else page.roles
            routes.append(
                Route(
                    r.path,
                    guard(r.endpoint, allowed, refuse=_refuse),
                    methods=list(r.methods),
                    name=r.name,
                )
            )
    routes.append(Mount("/static", StaticFiles(directory=str(STATIC)), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.services = services
    app.state.security = Security(services)
    app.state.renderer = Renderer(pages)
    return app


def serve(services: ConsoleServices, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Run the console until interrupted (``banshi console``).

    The access log is off: URLs can carry a citizen's openid (conversation lookups), and
    personal data is never logged. Behind a reverse proxy on the same host, uvicorn takes the
    client address from X-Forwarded-For (login throttling counts per address). WebSockets are
    off: the console needs none, and uvicorn's WebSocket support does not load against the
    ``websockets`` 10 that Rasa 3.6 pins."""
    import uvicorn

    uvicorn.run(
        create_app(services),
        host=host,
        port=port,
        ws="none",
        access_log=False,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
