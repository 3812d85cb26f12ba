"""`HistoryMiddleware`: a history context for each request (user, method, path)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from .context import lazy_context

GetResponse = Callable[[HttpRequest], Any]


class HistoryMiddleware:
    """Wrap each request in `tidemark_history.context()` (sync and async).

    The metadata is ``{"user": <user id or None>, "method": ..., "path": ...}``. It is read
    when an event is written, not when the request starts, so a user that authentication
    sets later in the view (as Django REST framework does) is recorded. Override
    `get_context()` to record more; place the middleware after
    ``AuthenticationMiddleware``.
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
            "method": request.method,
            "path": request.path,
        }

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        with lazy_context(lambda: self.get_context(request)):
            response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        async with lazy_context(lambda: self.get_context(request)):
            response: HttpResponseBase = await self.get_response(request)
        return response
