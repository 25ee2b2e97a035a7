"""The currant task protocol, Python side: message validation and result messages.

Takes SQS message bodies (``currant.task.v1``), gives validated task messages and builds the
``currant.result.v1`` messages that go back to ``replyTo``. No I/O here. See docs/protocol.md.

    parse_task_message('{"protocol": "currant.task.v1", ...}')
    # => ParsedTaskMessage(ok=True, message={...}, problems=[], reply_to=None)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

TASK_PROTOCOL = "currant.task.v1"
RESULT_PROTOCOL = "currant.result.v1"
#: Largest SQS message body we send (256 KiB, accepted by every SQS and emulator).
MAX_MESSAGE_BYTES = 262_144
#: Error messages are cut to this many characters so they cannot overflow the result message.
MAX_ERROR_MESSAGE_CHARS = 8_192
#: A result message larger than this stores its result aside when the task message allows it
#: (``resultUpload``, docs/protocol.md "Large values").
INLINE_RESULT_MAX = 240 * 1024


@dataclass
class ParsedTaskMessage:
    ok: bool
    message: Optional[Dict[str, Any]] = None
    problems: List[str] = field(default_factory=list)
    #: For a bad message that still says where to report: instanceId, taskId, attempt, replyTo (+ token).
    reply_to: Optional[Dict[str, Any]] = None


def _non_empty_str(x: Any) -> bool:
    return isinstance(x, str) and len(x) > 0


def _positive_int(x: Any) -> bool:
    # bool is an int in Python; JSON `1.0` is accepted as 1 (JavaScript cannot tell them apart).
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return x.is_integer() and x >= 1
    return isinstance(x, int) and x >= 1


def _positive_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


MAX_DEPTH = 128
"""Nesting levels of a value the engine accepts (runtime/limits.ts)."""
MAX_BODY_BYTES = 262_144


def _too_deep(v: Any, limit: int) -> bool:
    """True when v is nested deeper than limit levels (iterative: no RecursionError)."""
    stack = [(v, 0)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, (list, dict)):
            if d + 1 > limit:
                return True
            stack.extend((y, d + 1) for y in (x.values() if isinstance(x, dict) else x))
    return False


def parse_task_message(body: Any) -> ParsedTaskMessage:
    """Validates a task message given as the SQS body (str/bytes) or an already-parsed dict.

    Unknown extra fields are ignored (newer engines may add some).
    """
    m = body
    if isinstance(body, (str, bytes, bytearray)):
        if len(body) > MAX_BODY_BYTES * 4:
            return ParsedTaskMessage(ok=False, problems=[f"body is over the SQS limit of {MAX_BODY_BYTES} bytes"])
        try:
            m = json.loads(body)
        except RecursionError:
            return ParsedTaskMessage(ok=False, problems=[f"body is nested too deeply (limit {MAX_DEPTH} levels)"])
        except ValueError as e:
            return ParsedTaskMessage(ok=False, problems=[f"body is not JSON: {e}"])
    if not isinstance(m, dict):
        return ParsedTaskMessage(ok=False, problems=["body is not a JSON object"])

    problems: List[str] = []

    def need(ok: bool, problem: str) -> None:
        if not ok:
            problems.append(problem)

    need(m.get("protocol") == TASK_PROTOCOL,
         f'protocol must be "{TASK_PROTOCOL}", got {json.dumps(m.get("protocol"))}')
    need(_non_empty_str(m.get("instanceId")), "instanceId must be a non-empty string")
    need(_non_empty_str(m.get("taskId")), "taskId must be a non-empty string")
    need(_non_empty_str(m.get("task")), "task must be a non-empty string")
    ref = m.get("argsRef")
    if ref is not None:
        need("args" not in m, "a message has either args or argsRef, not both")
        need(isinstance(ref, dict) and _non_empty_str(ref.get("url")) and isinstance(ref.get("bytes"), int)
             and not isinstance(ref.get("bytes"), bool) and ref["bytes"] >= 0,
             'argsRef must be { "url": string, "bytes": integer >= 0 }')
    else:
        need(isinstance(m.get("args"), list), "args must be an array")
        need(not isinstance(m.get("args"), list) or not _too_deep(m["args"], MAX_DEPTH + 1),
             f"args are nested deeper than {MAX_DEPTH} levels")
    up = m.get("resultUpload")
    need(up is None or (isinstance(up, dict) and _non_empty_str(up.get("url")) and isinstance(up.get("maxBytes"), int)
                        and not isinstance(up.get("maxBytes"), bool) and up["maxBytes"] > 0),
         'resultUpload must be { "url": string, "maxBytes": integer > 0 }')
    need(_positive_int(m.get("attempt")), "attempt must be an integer >= 1")
    need(_positive_number(m.get("timeoutMs")), "timeoutMs must be a positive number")
    need(_non_empty_str(m.get("replyTo")), "replyTo must be a non-empty string (an SQS queue URL)")
    need(m.get("token") is None or isinstance(m.get("token"), str), "token must be a string")

    if not problems:
        message = dict(m)
        message["attempt"] = int(m["attempt"])
        return ParsedTaskMessage(ok=True, message=message)

    replyable = (_non_empty_str(m.get("instanceId")) and _non_empty_str(m.get("taskId"))
                 and _positive_int(m.get("attempt")) and _non_empty_str(m.get("replyTo")))
    reply_to = None
    if replyable:
        reply_to = {"instanceId": m["instanceId"], "taskId": m["taskId"],
                    "attempt": int(m["attempt"]), "replyTo": m["replyTo"]}
        if isinstance(m.get("token"), str):
            reply_to["token"] = m["token"]
    return ParsedTaskMessage(ok=False, problems=problems, reply_to=reply_to)


def result_message(to: Dict[str, Any], outcome: Dict[str, Any]) -> Dict[str, Any]:
    """Builds a result message for the attempt named in ``to`` from an outcome of invoke_task."""
    msg: Dict[str, Any] = {
        "protocol": RESULT_PROTOCOL,
        "type": "taskResult",
        "instanceId": to["instanceId"],
        "taskId": to["taskId"],
        "attempt": to["attempt"],
        "ok": outcome["ok"],
    }
    # The attempt's secret, echoed: without it the engine drops the result (docs/protocol.md).
    if isinstance(to.get("token"), str):
        msg["token"] = to["token"]
    if outcome["ok"] and "resultRef" in outcome:
        msg["resultRef"] = outcome["resultRef"]
    elif outcome["ok"]:
        msg["result"] = outcome["result"]
    else:
        msg["error"] = outcome["error"]
    if "durationMs" in outcome:
        msg["durationMs"] = outcome["durationMs"]
    return msg


def encode(message: Dict[str, Any]) -> str:
    """The SQS body for a message: compact JSON, UTF-8 kept as is (SQS counts bytes)."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def fit_result(message: Dict[str, Any], task: str) -> Dict[str, Any]:
    """A result too large for SQS becomes a non-retryable failure: a resend could never fit."""
    size = len(encode(message).encode("utf-8"))
    if size <= MAX_MESSAGE_BYTES:
        return message
    smaller = {k: v for k, v in message.items() if k not in ("result", "error")}
    smaller["ok"] = False
    smaller["error"] = {
        "message": (f"the result message of task '{task}' is {size} bytes, over the "
                    f"{MAX_MESSAGE_BYTES}-byte limit; store large data elsewhere and return a reference"),
        "type": "ResultTooLarge",
        "retryable": False,
    }
    return smaller


def truncate(s: str) -> str:
    if len(s) <= MAX_ERROR_MESSAGE_CHARS:
        return s
    return f"{s[:MAX_ERROR_MESSAGE_CHARS]}… ({len(s)} chars)"
