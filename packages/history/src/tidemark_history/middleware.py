"""`HistoryMiddleware`: a history context for each request (user, method, path)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.encoding import escape_uri_path

from .context import _serialisable, lazy_context
from .exceptions import ContextError

GetResponse = Callable[[HttpRequest], Any]
logger = logging.getLogger("tidemark_history")

PATH_LIMIT = 1000
"""The longest path stored, in characters once escaped; a longer one is cut and ends in ``...``."""


def _safe(text: str, limit: int) -> str:
    """`text` percent-escaped as in a URI (NUL, controls, non-ASCII) and cut at `limit`."""
    escaped = escape_uri_path(text)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


class HistoryMiddleware:
    """Wrap each request in `tidemark_history.context()` (sync and async).

    The metadata is ``{"user": <user id or None>, "method": ..., "path": ...}``. It is read
    when an event is written, not when the request starts, so a user that authentication
    sets later in the view (as Django REST framework does) is recorded; when it changes
    (a login, a logout), the events written from then on get a context of their own and
    the earlier ones keep theirs. The path is stored percent-escaped (a ``%00`` in the URL
    stays ``%00``) and cut at `PATH_LIMIT` characters. Override `get_context()` to record
    more; place the middleware after ``AuthenticationMiddleware``.

    It never breaks a request: metadata that cannot be stored (a `get_context()` override
    returning what `context()` refuses, or raising) is logged on the ``tidemark_history``
    logger and the request's writes are recorded with the base metadata.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        """The metadata of the request's context; override to add keys.

        Args:
            request: The request being served.

        Returns:
            JSON-serialisable metadata.
        """
        user = getattr(request, "user", None)
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        return {
            "user": user.pk if authenticated else None,  # type: ignore[union-attr]
            "method": _safe(request.method or "", 20),
            "path": _safe(request.path, PATH_LIMIT),
        }

    def _resolve(self, request: HttpRequest) -> dict[str, Any]:
        try:
            return _serialisable(self.get_context(request))
        except Exception as error:  # noqa: BLE001 - a request is never broken by its history
            logger.warning(
                "History context of %s %s cannot be stored (%s); its writes are recorded "
                "with the base metadata of HistoryMiddleware.",
                _safe(request.method or "", 20),
                _safe(request.path, 200),
                error if isinstance(error, ContextError) else repr(error),
            )
        try:
            return _serialisable(HistoryMiddleware.get_context(self, request))
        except Exception:  # noqa: BLE001 - e.g. a user whose pk jsonb cannot store
            method, path = _safe(request.method or "", 20), _safe(request.path, PATH_LIMIT)
            return {"user": None, "method": method, "path": path}

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        with lazy_context(lambda: self._resolve(request)):
            response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        async with lazy_context(lambda: self._resolve(request)):
            response: HttpResponseBase = await self.get_response(request)
        return response
