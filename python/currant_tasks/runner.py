"""Running one task and one task message; no AWS here (the sender is passed in).

Takes a mapping of task names to functions and a task message, gives the result message it sent:

    run_task_message({"add": lambda a, b: a + b}, body, send)
    # calls add(*args) (plus ctx=... if add declares ctx) under timeoutMs, then
    # send(replyTo, {"protocol": "currant.result.v1", "ok": True, "result": 5, ...})

Every ending of a task becomes data: a JSON result, a raised exception (``retryable`` unless the
exception says otherwise), an unknown task, a timeout, a result that is not JSON. Retries are the
engine's job, never done here.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol

from .protocol import INLINE_RESULT_MAX, MAX_DEPTH, MAX_MESSAGE_BYTES, _too_deep, encode, fit_result, parse_task_message, result_message, truncate

SendResult = Callable[[str, Dict[str, Any]], None]


class BlobTransport(Protocol):
    """Reads and writes values stored aside by the presigned URLs a task message carries
    (aws.py gives ``http_blobs``, over urllib). Both raise on failure."""

    def get(self, url: str) -> str: ...

    def put(self, url: str, body: bytes) -> None: ...


class TaskError(Exception):
    """An exception with an explicit type and retry decision.

        raise TaskError("card declined", type="CardDeclined", retryable=False)

    Any exception works; an exception with ``retryable = False`` or ``non_retryable = True`` is
    reported as not retryable; its ``type`` attribute (a str) or else its class name is the error type.
    """

    def __init__(self, message: str, type: Optional[str] = None, retryable: bool = True):
        super().__init__(message)
        self.type = type or "TaskError"
        self.retryable = retryable


@dataclass
class TaskContext:
    """What a task receives as ``ctx`` when it declares that parameter."""

    instance_id: str
    task_id: str
    task: str
    #: f"{instance_id}/{task_id}": the same for every attempt of this call, unique per call.
    idempotency_key: str
    attempt: int
    #: Epoch seconds (time.time()) after which the attempt counts as timed out.
    deadline: float
    #: Set when the attempt timed out. Python cannot stop a thread: long tasks should check it.
    cancelled: threading.Event = field(default_factory=threading.Event)

    def remaining_ms(self) -> float:
        return max(0.0, (self.deadline - time.time()) * 1000)


def error_info(exc: BaseException) -> Dict[str, Any]:
    """Maps an exception to ``{"message", "type", "retryable"}``."""
    # A string `type` attribute wins over the class name (as TaskError and the Node SDK do).
    declared = getattr(exc, "type", None)
    kind = declared if isinstance(declared, str) and declared else type(exc).__name__
    retryable = not (getattr(exc, "retryable", None) is False
                     or getattr(exc, "non_retryable", None) is True
                     or getattr(exc, "nonRetryable", None) is True)
    message = str(exc) or kind
    return {"message": truncate(message), "type": kind, "retryable": retryable}


def _accepts_ctx(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    p = params.get("ctx")
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def _to_json(value: Any) -> Any:
    """JSON round trip: tuples become lists; NaN, sets, datetimes … raise ValueError/TypeError."""
    return json.loads(json.dumps(value, allow_nan=False))


def invoke_task(tasks: Mapping[str, Callable[..., Any]], req: Mapping[str, Any],
                now: Callable[[], float] = time.time,
                latest_deadline: Optional[float] = None) -> Dict[str, Any]:
    """Calls ``tasks[req["task"]](*req["args"], ctx=...)`` under ``req["timeoutMs"]``.

    ``req`` has the task message's fields (instanceId, taskId, task, args, attempt, timeoutMs).
    ``latest_deadline`` (epoch seconds) caps the deadline: the Lambda handler sets it from the
    invocation's remaining time. Returns ``{"ok", "result" | "error", "durationMs"}``; never raises.
    """
    name = req["task"]
    fn = tasks.get(name) if isinstance(name, str) else None
    if not callable(fn):
        have = ", ".join(sorted(k for k, v in tasks.items() if callable(v))) or "none"
        return {"ok": False, "durationMs": 0, "error": {
            "message": f"unknown task '{name}' (this worker has: {have})",
            "type": "TaskNotFound", "retryable": False}}

    started = now()
    timeout_s = req["timeoutMs"] / 1000
    deadline = started + timeout_s
    if latest_deadline is not None:
        deadline = min(deadline, latest_deadline)
    ctx = TaskContext(
        instance_id=req["instanceId"], task_id=req["taskId"], task=name,
        idempotency_key=f'{req["instanceId"]}/{req["taskId"]}',
        attempt=req["attempt"], deadline=deadline)
    kwargs = {"ctx": ctx} if _accepts_ctx(fn) else {}

    box: Dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            value = fn(*req["args"], **kwargs)
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
            box["value"] = value
        except BaseException as e:  # noqa: BLE001 — whatever the task raised is its failure
            box["error"] = e
        finally:
            done.set()

    # A daemon thread, not a ThreadPoolExecutor: a timed-out task cannot be killed, and a
    # daemon thread neither blocks the handler's return nor the interpreter's exit.
    threading.Thread(target=target, name=f"currant-task-{name}", daemon=True).start()
    finished = done.wait(max(0.0, deadline - started))
    duration_ms = max(0, round((now() - started) * 1000))

    if not finished:
        ctx.cancelled.set()
        limit_ms = max(0, round((deadline - started) * 1000))
        return {"ok": False, "durationMs": duration_ms, "error": {
            "message": f"task '{name}' timed out after {limit_ms} ms",
            "type": "Timeout", "retryable": True}}
    if "error" in box:
        return {"ok": False, "durationMs": duration_ms, "error": error_info(box["error"])}
    try:
        result = _to_json(box.get("value"))
    except (TypeError, ValueError, RecursionError) as e:
        return {"ok": False, "durationMs": duration_ms, "error": {
            "message": f"task '{name}' returned a value that is not JSON: {e}",
            "type": "InvalidResult", "retryable": False}}
    return {"ok": True, "result": result, "durationMs": duration_ms}


async def _await(awaitable: Any) -> Any:
    return await awaitable


@dataclass
class RunOutcome:
    #: "sent": a result message went to replyTo. "rejected": malformed, nowhere to reply.
    outcome: str
    result: Optional[Dict[str, Any]] = None
    problems: List[str] = field(default_factory=list)


def run_task_message(tasks: Mapping[str, Callable[..., Any]], body: Any, send: SendResult,
                     now: Callable[[], float] = time.time,
                     latest_deadline: Optional[float] = None,
                     blobs: Optional[BlobTransport] = None) -> RunOutcome:
    """One message end to end: validate, invoke, build the result, ``send(replyTo, result)``.

    ``blobs`` reads arguments stored aside (``argsRef``) and writes a result too large for the
    message to ``resultUpload`` (docs/protocol.md, "Large values"). Raises only what ``send``
    raises (the caller then lets SQS deliver the message again).
    """
    parsed = parse_task_message(body)
    if not parsed.ok:
        if parsed.reply_to is None:
            return RunOutcome("rejected", problems=parsed.problems)
        # We know who is waiting: tell the engine now instead of letting the attempt time out.
        # Not retryable: the engine would resend the same bad message.
        result = result_message(parsed.reply_to, {"ok": False, "durationMs": 0, "error": {
            "message": "malformed task message: " + "; ".join(parsed.problems),
            "type": "BadTaskMessage", "retryable": False}})
        send(parsed.reply_to["replyTo"], result)
        return RunOutcome("sent", result=result)

    m = parsed.message
    assert m is not None
    if "argsRef" in m:
        fetched = _fetch_args(m, blobs)
        if "error" in fetched:
            result = result_message(m, {"ok": False, "durationMs": 0, "error": fetched["error"]})
            send(m["replyTo"], result)
            return RunOutcome("sent", result=result)
        m = {**m, "args": fetched["args"]}
    outcome = invoke_task(tasks, m, now=now, latest_deadline=latest_deadline)
    result = _fit(result_message(m, outcome), m, blobs)
    send(m["replyTo"], result)
    return RunOutcome("sent", result=result)


def _fetch_args(m: Mapping[str, Any], blobs: Optional[BlobTransport]) -> Dict[str, Any]:
    """The arguments named by ``argsRef``, or ``{"error": …}`` (a fetch that fails is retryable)."""
    if blobs is None:
        return {"error": {"message": "the arguments were stored aside (argsRef) and this worker cannot fetch them",
                          "type": "ArgsUnavailable", "retryable": False}}
    try:
        text = blobs.get(m["argsRef"]["url"])
    except Exception as e:  # noqa: BLE001 — any transport failure is the attempt's
        return {"error": {"message": truncate(f"could not fetch the arguments: {e}"), "type": "ArgsUnavailable", "retryable": True}}
    try:
        args = json.loads(text)
    except (ValueError, RecursionError) as e:
        return {"error": {"message": f"the stored arguments are not JSON: {e}", "type": "BadTaskMessage", "retryable": False}}
    if not isinstance(args, list) or _too_deep(args, MAX_DEPTH + 1):
        return {"error": {"message": f"the stored arguments must be an array nested at most {MAX_DEPTH} levels",
                          "type": "BadTaskMessage", "retryable": False}}
    return {"args": args}


def _fit(result: Dict[str, Any], m: Mapping[str, Any], blobs: Optional[BlobTransport]) -> Dict[str, Any]:
    """A result message too large for SQS: its result goes to ``resultUpload`` and the message says
    ``resultRef``; past ``maxBytes`` or with no upload URL, a non-retryable ResultTooLarge; a failed
    upload, a retryable ResultUploadFailed (the next attempt brings a fresh URL)."""
    size = len(encode(result).encode("utf-8"))
    if size <= INLINE_RESULT_MAX:
        return result
    upload = m.get("resultUpload")
    if not (result.get("ok") and "result" in result and upload and blobs is not None):
        return fit_result(result, m["task"]) if size > MAX_MESSAGE_BYTES else result
    body = encode(result["result"]).encode("utf-8")
    base = {k: v for k, v in result.items() if k not in ("result", "error", "ok")}
    if len(body) > upload["maxBytes"]:
        return {**base, "ok": False, "error": {
            "message": f"the result of task '{m['task']}' takes {len(body)} bytes of JSON, over the engine's limit of {upload['maxBytes']}",
            "type": "ResultTooLarge", "retryable": False}}
    try:
        blobs.put(upload["url"], body)
    except Exception as e:  # noqa: BLE001
        return {**base, "ok": False, "error": {"message": truncate(f"could not store the result of task '{m['task']}': {e}"),
                                                "type": "ResultUploadFailed", "retryable": True}}
    return {**base, "ok": True, "resultRef": {"bytes": len(body)}}
