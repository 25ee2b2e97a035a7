"""Test your tasks with pytest (or any test runner), exactly as the engine will call them.

Takes a task name (from the ``@task`` registry, or a mapping you pass) and its arguments, gives
its result — through the same runner as on Lambda and on the embedded engine: the context
(idempotency key, attempt, deadline), the time limit, the JSON check of the result and the error
mapping (type, retryable):

    from currant_tasks.testing import call_task, TaskFailed
    import tasks  # noqa: F401  (registers the @task functions)

    def test_count_words():
        assert call_task("countWords", "a b c") == {"unit": "words", "count": 3}

    def test_declined_is_not_retried():
        with pytest.raises(TaskFailed) as failed:
            call_task("chargeCard", "o-1", -5)
        assert failed.value.type == "BadAmount" and not failed.value.retryable
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

from .registry import default_registry
from .runner import invoke_task


class TaskFailed(AssertionError):
    """The task's attempt failed: ``type``, ``retryable`` and ``message`` as the engine gets them."""

    def __init__(self, error: Dict[str, Any]):
        self.error = error
        self.type: str = error.get("type", "Error")
        self.retryable: bool = error.get("retryable", True) is not False
        self.message: str = error.get("message", "")
        super().__init__(f"{self.type}: {self.message} ({'retryable' if self.retryable else 'not retryable'})")


def call_task(name: str, *args: Any, attempt: int = 1, timeout_ms: float = 30_000,
              instance_id: str = "test-instance", task_id: str = "n1.s1",
              tasks: Optional[Mapping[str, Callable[..., Any]]] = None) -> Any:
    """Runs one attempt of task ``name`` with ``args`` and returns its result (a JSON value).

    Raises ``TaskFailed`` when the attempt fails: the task raised, timed out (``type == "Timeout"``),
    returned something that is not JSON (``"InvalidResult"``) or is unknown (``"TaskNotFound"``).
    ``ctx.idempotency_key`` is ``f"{instance_id}/{task_id}"``; ``attempt`` is what ``ctx.attempt``
    says (test your retry behaviour with attempt=2, 3, …).
    """
    outcome = invoke_task(default_registry if tasks is None else tasks, {
        "instanceId": instance_id, "taskId": task_id, "task": name, "args": list(args),
        "attempt": attempt, "timeoutMs": timeout_ms,
    })
    if not outcome["ok"]:
        raise TaskFailed(outcome["error"])
    return outcome["result"]
