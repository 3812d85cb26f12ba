"""`context()`: attach metadata (who, which request, why) to the events of a block of work."""

from __future__ import annotations

import functools
import inspect
import json
import threading
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, TypeVar, cast

from django.core.serializers.json import DjangoJSONEncoder

from .exceptions import ContextError

_F = TypeVar("_F", bound=Callable[..., Any])


class _State:
    """One context: its id, its merged metadata and where that metadata is already stored.

    Nested blocks share the state of the outermost one and merge their metadata into it;
    `version` counts the changes, so each database alias stores the newest metadata once.
    """

    def __init__(self, metadata: dict[str, Any]) -> None:
        self.id = uuid.uuid4()
        self.metadata = metadata
        self.version = 1
        self.lock = threading.Lock()
        # alias -> version of the metadata committed in that database
        self.stored: dict[str, int] = {}
        # alias -> (version, transaction marker) stored by a transaction not yet committed
        self.pending: dict[str, tuple[int, object]] = {}
        self.resolvers: list[Callable[[], dict[str, Any]]] = []

    def merge(self, metadata: dict[str, Any]) -> None:
        with self.lock:
            merged = {**self.metadata, **metadata}
            if merged != self.metadata:
                self.metadata = merged
                self.version += 1

    def refresh(self) -> None:
        """Merge what the lazy resolvers (the middleware's user) return now."""
        for resolve in self.resolvers:
            self.merge(_serialisable(resolve()))


_current: ContextVar[_State | None] = ContextVar("tidemark_history_context", default=None)


def active_state() -> _State | None:
    """The state of the innermost active context, or None outside any context."""
    return _current.get()


def _serialisable(metadata: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = json.loads(json.dumps(metadata, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as error:
        raise ContextError(
            f"History context metadata must be JSON-serialisable: {error}. "
            "Pass strings, numbers, booleans, None, lists and dicts (dates, UUIDs and "
            "decimals are converted)."
        ) from None
    return result


class context:
    """Attach metadata to every event recorded inside the block, on every database alias.

    Use it as ``with history.context(reason="import"):``, ``async with``, or as a
    decorator. Nested blocks join the outermost context and merge their metadata into it
    (inner keys win), so one unit of work is one context row. The metadata is stored once
    per context and database, in `tidemark_history.Context`; event rows only reference it.

    Args:
        **metadata: JSON-serialisable values (dates, UUIDs and decimals are converted).

    Raises:
        ContextError: When the metadata is not JSON-serialisable.
    """

    def __init__(self, **metadata: Any) -> None:
        self._metadata = _serialisable(metadata)
        self._resolver: Callable[[], dict[str, Any]] | None = None
        self._tokens: list[Token[_State | None]] = []
        self._state: _State | None = None

    @property
    def id(self) -> uuid.UUID | None:
        """The id of the `Context` row the events of this block point at (once entered)."""
        return self._state.id if self._state is not None else None

    def _enter(self) -> _State:
        state = _current.get()
        if state is None:
            state = _State(dict(self._metadata))
        else:
            state.merge(self._metadata)
        if self._resolver is not None:
            state.resolvers.append(self._resolver)
        self._tokens.append(_current.set(state))
        self._state = state
        return state

    def _exit(self) -> None:
        state = _current.get()
        if state is not None and self._resolver is not None:
            state.resolvers.remove(self._resolver)
        _current.reset(self._tokens.pop())

    def __enter__(self) -> context:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exit()

    async def __aenter__(self) -> context:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def _copy(self) -> context:
        fresh = context()
        fresh._metadata = self._metadata
        fresh._resolver = self._resolver
        return fresh

    def __call__(self, func: _F) -> _F:
        """Decorate a function (sync or async): each call runs inside a fresh block."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with self._copy():
                    return await func(*args, **kwargs)

            return cast(_F, async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return func(*args, **kwargs)

        return cast(_F, wrapper)


def lazy_context(resolve: Callable[[], dict[str, Any]], **metadata: Any) -> context:
    """A context whose extra metadata `resolve()` computes when an event is written.

    The middleware uses it so a user set later in the view (as DRF does) is recorded.
    """
    block = context(**metadata)
    block._resolver = resolve
    return block
