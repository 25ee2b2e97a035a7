"""Example Python tasks, deployed by the CDK app as a task Lambda.

Takes task messages for ``pyScore`` and ``pyEcho``, gives deterministic results, so an end-to-end
test can compute the expected value on its own:

    py_score("o1", 5)  # => {"orderId": "o1", "score": 60, "risk": "low", "by": "python"}

Lambda: code asset = the ``python/`` folder, handler = ``examples.tasks.handler``.
"""
import math

from currant_tasks import TaskError, handler, task  # noqa: F401  (handler is the Lambda entry point)


@task("pyScore")
def py_score(order_id: str, amount: float) -> dict:
    """Risk score in 0..99: (sum of the UTF-16 code units of order_id + Math.round(amount * 100)) % 100.

    "high" when the score is 80 or more. Same input, same output, on every attempt.
    """
    if not isinstance(order_id, str) or isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TaskError("pyScore(orderId: string, amount: number)", type="BadArguments", retryable=False)
    # Code units, not code points, so the TypeScript `s.charCodeAt(i)` sum gives the same number.
    units = order_id.encode("utf-16-le")
    code_sum = sum(int.from_bytes(units[i:i + 2], "little") for i in range(0, len(units), 2))
    # JavaScript's Math.round (half up), not Python's round (half to even).
    score = (code_sum + math.floor(amount * 100 + 0.5)) % 100
    return {"orderId": order_id, "score": score, "risk": "high" if score >= 80 else "low", "by": "python"}


@task("pyEcho")
def py_echo(value, ctx) -> dict:
    """Returns its argument and what the context said: shows ctx reached the task."""
    return {"value": value, "attempt": ctx.attempt, "idempotencyKey": ctx.idempotency_key, "by": "python"}
