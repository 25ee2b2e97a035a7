"""The SQS Lambda handler and the boto3 sender.

Takes an SQS event (the event source mapping must enable ReportBatchItemFailures), gives
``{"batchItemFailures": [...]}`` listing only the records to deliver again:

    # tasks.py, deployed with handler "currant_tasks.handler" and CURRANT_TASKS_MODULE=tasks
    # (or with handler "tasks.handler": the module re-exports it)
    from currant_tasks import task, handler

    @task("pyScore")
    def py_score(order_id, amount): ...

Per record: a result (success, failure, timeout, unknown task, answerable bad message) sent to
``replyTo`` → acknowledged; sending failed → batch item failure (SQS redelivers, the task runs
again); malformed with no reply address → batch item failure, so it ends in the DLQ.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional

from .protocol import encode
from .registry import default_registry
from .runner import BlobTransport, SendResult, run_task_message

_client: Any = None
_client_lock = threading.Lock()


def _sqs() -> Any:
    """The boto3 SQS client, created on first use, once per process (= per Lambda container).

    boto3 is imported here, not at module import, so the pure parts run without it. boto3 >= 1.28
    reads AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL itself (that is how the emulator is reached).
    """
    global _client
    with _client_lock:  # handler threads may race to create it; boto3 clients are thread-safe
        if _client is None:
            import boto3

            _client = boto3.client("sqs")
        return _client


def sqs_send(queue_url: str, message: Dict[str, Any]) -> None:
    """SendMessage of the result to ``queue_url``. FIFO queues get a group and dedup id."""
    params: Dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": encode(message)}
    if queue_url.endswith(".fifo"):
        params["MessageGroupId"] = message["instanceId"]
        # The token is part of the id so that a forged result sent first cannot get the real one
        # deduplicated away.
        key = f'{message["instanceId"]}/{message["taskId"]}#{message["attempt"]}/{message.get("token") or ""}'
        params["MessageDeduplicationId"] = hashlib.sha256(key.encode("utf-8")).hexdigest()
    _sqs().send_message(**params)


class HttpBlobs:
    """Values stored aside, over HTTPS with the presigned URLs a task message carries: no S3
    permission and no boto3 S3 client needed. Raises on any answer but 2xx."""

    def __init__(self, timeout_s: float = 60.0):
        self.timeout_s = timeout_s

    def get(self, url: str) -> str:
        import urllib.request

        with urllib.request.urlopen(url, timeout=self.timeout_s) as res:  # noqa: S310 — the engine's presigned URL
            return res.read().decode("utf-8")

    def put(self, url: str, body: bytes) -> None:
        import urllib.request

        req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout_s):  # noqa: S310
            pass


http_blobs = HttpBlobs()


#: Environment variable naming the module with the ``@task`` functions (set by the CDK construct,
#: whose Lambda handler is ``currant_tasks.handler``). Imported on first use so its decorators run.
TASKS_MODULE_ENV = "CURRANT_TASKS_MODULE"
_tasks_module_lock = threading.Lock()
_tasks_module_loaded: Optional[str] = None


def load_tasks_module() -> Optional[str]:
    """Imports the module named by CURRANT_TASKS_MODULE once; returns its name (None when unset).

    Lazily, not when currant_tasks is imported: the tasks module imports currant_tasks itself.
    An import error propagates, failing the invocation: a broken deployment must not ack messages.
    """
    global _tasks_module_loaded
    name = os.environ.get(TASKS_MODULE_ENV)
    if not name:
        return None
    with _tasks_module_lock:
        if _tasks_module_loaded != name:
            importlib.import_module(name)
            _tasks_module_loaded = name
    return name


#: Service name on every line (the same variable Powertools for AWS Lambda reads).
SERVICE_ENV = "POWERTOOLS_SERVICE_NAME"
DEFAULT_SERVICE = "currant-tasks"


def _default_log(entry: Dict[str, Any]) -> None:
    """One JSON line in the shape of the Node SDK's and the engine's (Powertools for AWS Lambda's
    Logger): ``level`` (upper case), ``message``, ``timestamp``, ``service``, then the fields.

    Written by hand rather than with Powertools for AWS Lambda (Python): the task asset is the SDK
    folder copied without pip (cdk/functions.ts), and these few keys are all it would add here.
    """
    level = str(entry.get("level", "info")).upper()
    now = datetime.now(timezone.utc)
    line = {"level": level, "message": entry.get("message"),
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "service": os.environ.get(SERVICE_ENV) or DEFAULT_SERVICE}
    line.update((k, v) for k, v in entry.items() if k not in ("level", "message"))
    stream = sys.stderr if level == "ERROR" else sys.stdout
    print(json.dumps(line, default=str, separators=(",", ":")), file=stream, flush=True)


_cold_start = True
_cold_start_lock = threading.Lock()


def _lambda_fields(context: Any) -> Dict[str, Any]:
    """The Lambda context keys Powertools puts on every line (``cold_start``, ``function_name``, …)."""
    global _cold_start
    with _cold_start_lock:
        fields: Dict[str, Any] = {"cold_start": _cold_start}
        _cold_start = False
    for key, attr in (("function_name", "function_name"), ("function_request_id", "aws_request_id"),
                      ("function_arn", "invoked_function_arn"), ("function_memory_size", "memory_limit_in_mb")):
        value = getattr(context, attr, None)
        if value is not None:
            fields[key] = value
    return fields


def _task_name(body: Any) -> Optional[str]:
    """The task name of a message body, for the log line only (validation is the runner's)."""
    if not isinstance(body, str) or len(body) > 4 * 262_144:
        return None
    try:
        task = json.loads(body).get("task")
    except (ValueError, AttributeError):
        return None
    return task[:256] if isinstance(task, str) else None


def make_handler(tasks: Optional[Mapping[str, Callable[..., Any]]] = None,
                 send: Optional[SendResult] = None,
                 log: Optional[Callable[[Dict[str, Any]], None]] = None,
                 safety_margin_ms: int = 1000,
                 max_workers: int = 10,
                 blobs: Optional[BlobTransport] = None) -> Callable[[Dict[str, Any], Any], Dict[str, List[Dict[str, str]]]]:
    """Builds a Lambda handler over ``tasks`` (default: the ``@task`` registry, read at call time,
    after importing the module named by CURRANT_TASKS_MODULE if set).

    ``send`` replaces the SQS sender (tests); ``blobs`` the transport for values stored aside
    (default ``http_blobs``). ``safety_margin_ms`` is kept free at the end of the
    invocation to send results: a task's deadline is at most the remaining time minus it. Records
    of a batch run concurrently on up to ``max_workers`` threads.
    """
    registry = default_registry if tasks is None else tasks
    sender = send or sqs_send
    emit = log or _default_log
    transport = blobs or http_blobs

    def process(record: Dict[str, Any], latest_deadline: Optional[float], context_fields: Dict[str, Any]) -> bool:
        """True when the record is done (acknowledge), False when SQS should deliver it again."""
        receive_count = (record.get("attributes") or {}).get("ApproximateReceiveCount")
        about = {"messageId": record.get("messageId"),
                 "receiveCount": int(receive_count) if str(receive_count).isdigit() else receive_count,
                 "event": "task", "task": _task_name(record.get("body"))}
        try:
            run = run_task_message(registry, record.get("body"), sender, latest_deadline=latest_deadline, blobs=transport)
        except Exception as e:  # noqa: BLE001 — only the sender can raise here
            emit({"level": "error", "message": "sending the result failed; the message will be delivered again",
                  **about, "outcome": "send-failed", "error": repr(e), **context_fields})
            return False
        if run.outcome == "rejected":
            emit({"level": "error", "message": "malformed task message without a reply address; failing it towards the DLQ",
                  **about, "outcome": "rejected", "problems": run.problems, **context_fields})
            return False
        r = run.result or {}
        entry = {"level": "info" if r.get("ok") else "error",
                 "message": "task succeeded" if r.get("ok") else "task failed",
                 "instanceId": r.get("instanceId"), **about,
                 "outcome": "succeeded" if r.get("ok") else "failed",
                 "taskId": r.get("taskId"), "attempt": r.get("attempt"), "durationMs": r.get("durationMs")}
        if not r.get("ok"):
            entry["error"] = r.get("error")
        emit({**entry, **context_fields})
        return True

    def handler(event: Dict[str, Any], context: Any = None) -> Dict[str, List[Dict[str, str]]]:
        if tasks is None:
            load_tasks_module()
        records = (event or {}).get("Records") or []
        latest_deadline = None
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining):
            latest_deadline = time.time() + (remaining() - safety_margin_ms) / 1000
        if not records:
            return {"batchItemFailures": []}
        context_fields = _lambda_fields(context)
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(records)))) as pool:
            done = list(pool.map(lambda r: process(r, latest_deadline, context_fields), records))
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r, ok in zip(records, done) if not ok]}

    return handler


#: The Lambda entry point over the ``@task`` registry with the SQS sender.
handler = make_handler()
