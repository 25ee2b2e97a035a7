"""Task registries: names to functions, filled by the ``@task("name")`` decorator.

    from currant_tasks import task

    @task("pyScore")
    def py_score(order_id, amount):
        return {"score": 42}

    default_registry["pyScore"]  # => py_score

A ``Registry`` is a read-only mapping, so it can be passed wherever a dict of tasks is accepted.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, Optional, TypeVar, Union, overload

F = TypeVar("F", bound=Callable[..., Any])


class Registry(Mapping):
    def __init__(self) -> None:
        self._tasks: Dict[str, Callable[..., Any]] = {}

    def register(self, name: str, fn: Callable[..., Any]) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"task name must be a non-empty string, got {name!r}")
        if not callable(fn):
            raise TypeError(f"task '{name}' must be callable, got {fn!r}")
        old = self._tasks.get(name)
        # The same function defined again (a module imported twice) replaces itself; a different
        # function under a taken name is a mistake that would silently run the wrong code.
        if old is not None and _identity(old) != _identity(fn):
            raise ValueError(f"task '{name}' is already registered by {_where(old)}")
        self._tasks[name] = fn

    @overload
    def task(self, name: F) -> F: ...
    @overload
    def task(self, name: Optional[str] = None) -> Callable[[F], F]: ...

    def task(self, name: Union[str, F, None] = None) -> Union[F, Callable[[F], F]]:
        """``@task("name")`` registers under that name; bare ``@task`` uses the function name."""
        if callable(name):
            self.register(name.__name__, name)
            return name

        def decorate(fn: F) -> F:
            self.register(name or fn.__name__, fn)
            return fn

        return decorate

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return self._tasks[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        self._tasks.clear()


def _where(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _identity(fn: Callable[..., Any]) -> Any:
    # By source location, not module name: `tasks` and `examples.tasks` are one file imported twice.
    code = getattr(fn, "__code__", None)
    if code is None:
        return fn
    return (code.co_filename, code.co_firstlineno, getattr(fn, "__qualname__", None))


#: The registry ``@task`` and the default ``handler`` use.
default_registry = Registry()
task = default_registry.task
