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
    """One active block: its own metadata, the enclosing block, an optional lazy resolver.

    Each distinct metadata gets a context id of its own, minted here in Python; the row
    itself is written by the capture triggers, once, and only by a statement that recorded
    events. A nested block with metadata of its own, and a block whose lazy values (the
    middleware's user) change, get a new id: the events already written keep theirs.
    """

    def __init__(
        self,
        outer: _State | None,
        metadata: dict[str, Any],
        resolver: Callable[[], dict[str, Any]] | None,
    ) -> None:
        self.outer = outer
        self.own = metadata
        self.resolver = resolver
        self.lazy: bool = resolver is not None or (outer is not None and outer.lazy)
        self.lock = threading.Lock()
        self.id: uuid.UUID | None = None
        self.metadata: dict[str, Any] = {}
        self.setting = ""  # the document: id, parent and metadata
        self.bare = ""  # the id alone, sent once the row is known to be stored
        # The aliases whose database holds this id's row, committed (seen by the delivery).
        self.stored: set[str] = set()
        # Without lazy values the answer of current() never changes: computed once.
        self.fixed: _State | None = None
        self.resolving = threading.local()  # .active: reading the lazy values in this thread

    def _effective(self) -> tuple[dict[str, Any], _State | None]:
        """The metadata in force now, and the enclosing block's state (current)."""
        outer = self.outer.current() if self.outer is not None else None
        metadata = {**(outer.metadata if outer is not None else {}), **self.own}
        if self.resolver is not None:
            metadata.update(_serialisable(self.resolver()))
        return metadata, outer

    def current(self) -> _State:
        """This block's state with an id that matches the metadata in force now.

        Returns the enclosing block's state when the metadata is the same as its own, so a
        nested block that adds nothing (or repeats its keys) shares its row.
        """
        if self.fixed is not None:
            return self.fixed
        if getattr(self.resolving, "active", False):
            # A write made while the lazy values are read (loading the user can write the
            # session): it joins the context in force until then.
            return self if self.id is not None else (self.outer.current() if self.outer else self)
        self.resolving.active = True
        try:
            metadata, outer = self._effective()
        finally:
            self.resolving.active = False
        if outer is not None and metadata == outer.metadata:
            chosen = outer
        else:
            with self.lock:
                if self.id is None or metadata != self.metadata:
                    parent = self.id if self.id is not None else (outer.id if outer else None)
                    self.id = uuid.uuid4()
                    self.metadata = metadata
                    self.setting = _setting(self.id, parent, metadata)
                    self.bare = str(self.id)
                    self.stored = set()
            chosen = self
        if not self.lazy:
            self.fixed = chosen
        return chosen


def _setting(context_id: uuid.UUID, parent: uuid.UUID | None, metadata: dict[str, Any]) -> str:
    """The value of the ``tidemark_history.context`` setting that carries one context.

    The id comes first, at a fixed place, so the triggers read it without parsing JSON.
    """
    document = {"id": str(context_id), "parent": str(parent) if parent else None}
    document["metadata"] = metadata  # type: ignore[assignment]
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


_current: ContextVar[_State | None] = ContextVar("tidemark_history_context", default=None)


def active_state() -> _State | None:
    """The state of the innermost active block (current), or None outside any context."""
    state = _current.get()
    return state.current() if state is not None else None


def _serialisable(metadata: dict[str, Any]) -> dict[str, Any]:
    """`metadata` as PostgreSQL's jsonb will store it, or `ContextError` at once."""
    try:
        text = json.dumps(metadata, cls=DjangoJSONEncoder, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ContextError(
            f"History context metadata must be JSON-serialisable: {error}. "
            "Pass strings, numbers, booleans, None, lists and dicts (dates, UUIDs and "
            "decimals are converted; NaN and infinities are refused)."
        ) from None
    result: dict[str, Any] = json.loads(text)
    _refuse_unstorable(result, "metadata")
    return result


def _refuse_unstorable(value: Any, where: str) -> None:
    """Refuse the strings jsonb cannot store: NUL characters and lone surrogates."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable(key, f"a key of {where}")
            _refuse_unstorable(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{where}[{index}]")
    elif isinstance(value, str):
        if "\x00" in value:
            raise ContextError(
                f"History context {where} contains a NUL character (\\x00), which "
                "PostgreSQL cannot store; remove or escape it."
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ContextError(
                f"History context {where} contains a lone surrogate ({value!r}), which is "
                "not valid Unicode; decode the text properly before passing it."
            ) from None


class context:
    """Attach metadata to every event recorded inside the block, on every database alias.

    Use it as ``with history.context(reason="import"):``, ``async with``, or as a
    decorator. The metadata is stored once per context and database, in a
    `tidemark_history.Context` row that is written by the first statement that records
    events and never changed afterwards; event rows only reference it. A block that records
    nothing stores nothing.

    A nested block's events get a context of their own holding the outer metadata merged
    with the inner (inner keys win), whose ``parent`` is the outer block's context; the
    outer block's events keep exactly the metadata they were written with. A nested block
    that adds nothing new shares the outer block's context.

    Args:
        **metadata: JSON-serialisable values (dates, UUIDs and decimals are converted).

    Raises:
        ContextError: At once, when the metadata is not JSON-serialisable or holds what
            PostgreSQL cannot store (NUL characters, lone surrogates, NaN, infinities).
    """

    def __init__(self, **metadata: Any) -> None:
        self._metadata = _serialisable(metadata)
        self._resolver: Callable[[], dict[str, Any]] | None = None
        self._tokens: list[Token[_State | None]] = []
        self._state: _State | None = None

    @property
    def id(self) -> uuid.UUID | None:
        """The id of the `Context` the block's events point at (the latest one, once entered).

        A lazy value that changes (the middleware's user after a login) gives the block a
        new id for the events written from then on.
        """
        return self._state.current().id if self._state is not None else None

    def _enter(self) -> _State:
        state = _State(_current.get(), dict(self._metadata), self._resolver)
        self._tokens.append(_current.set(state))
        self._state = state
        return state

    def _exit(self) -> None:
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
