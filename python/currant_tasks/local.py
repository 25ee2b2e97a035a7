"""Run a tasks module for the embedded engine: task messages in on stdin, results out on stdout.

Takes the path of a tasks file (its ``@task`` functions), gives a process that speaks the
currant task protocol over its standard streams, one JSON message per line (docs/protocol.md,
"Local tasks"). ``currant run|worker --tasks tasks.py`` starts it; you do not normally run it
yourself, but you can, to see what the engine sees:

    $ python -m currant_tasks.local examples/mixed/tasks.py
    {"protocol":"currant.local.v1","type":"ready","tasks":["countWords"],"pid":4242,"python":"3.11.7"}
    {"protocol":"currant.task.v1","instanceId":"i-1","taskId":"n1.s1","task":"countWords","args":["a b"],"attempt":1,"timeoutMs":30000,"replyTo":"local","token":"t"}
    {"protocol":"currant.result.v1","type":"taskResult","instanceId":"i-1","taskId":"n1.s1","attempt":1,"ok":true,"token":"t","result":{"unit":"words","count":2},"durationMs":0}

The same runner as on Lambda handles each message (``run_task_message``: validation, ctx,
timeout, error mapping, result limits); only the transport differs. Every message runs in its own
thread, so a slow task does not hold up the others. Anything the tasks print — ``print()``, a
library writing to fd 1, a subprocess — goes to stderr: stdout carries protocol lines only.
End of stdin ends the process once the answers in progress are written (the engine
kills it if that takes longer than it waits).
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import platform
import sys
import threading
import traceback
from typing import Any, Dict, List, Optional

from .protocol import encode
from .registry import default_registry
from .runner import run_task_message

#: The transport's name, in the ``ready`` line.
LOCAL_PROTOCOL = "currant.local.v1"
#: The ``replyTo`` the engine puts in local task messages (results go back on stdout).
LOCAL_REPLY_TO = "local"
#: Longest task message line read (the engine sends at most 256 KiB; this is the SDKs' body limit).
MAX_LINE_BYTES = 4 * 262_144


class _Protocol:
    """The real stdout, kept for protocol lines; writes from task threads are serialised."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, message: Dict[str, Any]) -> None:
        line = encode(message) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def _take_stdout() -> _Protocol:
    """Keeps fd 1 for protocol lines and points fd 1 (and sys.stdout) at stderr for everything else.

    Why at the fd level: a C extension or a subprocess writing to fd 1 would otherwise corrupt the
    protocol stream just like a print() would.
    """
    sys.stdout.flush()
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    stream = io.open(proto_fd, "w", encoding="utf-8", newline="\n", closefd=True)
    return _Protocol(stream)  # type: ignore[arg-type]


def load_tasks_file(path: str) -> None:
    """Imports the tasks file as a module named after it, with its folder on sys.path (as
    ``python tasks.py`` would), so its ``@task`` decorators fill the default registry."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0] or "tasks"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} (not a Python file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def _log(entry: Dict[str, Any]) -> None:
    print(json.dumps(entry, default=str), file=sys.stderr, flush=True)


def serve(lines: Any, proto: _Protocol, tasks: Any = None) -> None:
    """Answers every task message read from ``lines`` (a binary stream) until its end, then
    waits for the answers in progress (each ends by its attempt's deadline)."""
    registry = default_registry if tasks is None else tasks
    handlers: List[threading.Thread] = []

    def handle(body: bytes) -> None:
        try:
            run = run_task_message(registry, body, lambda _reply_to, message: proto.write(message))
        except Exception:  # noqa: BLE001 — only writing the result can raise; the engine times the attempt out
            _log({"level": "error", "msg": "could not write a result", "error": traceback.format_exc()})
            return
        if run.outcome == "rejected":
            _log({"level": "error", "msg": "malformed task message without a reply address; ignored",
                  "problems": run.problems})

    while True:
        line = lines.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            # Skip the rest of an overlong line; it cannot be a message the engine sent.
            while line and not line.endswith(b"\n"):
                line = lines.readline(MAX_LINE_BYTES + 1)
            _log({"level": "error", "msg": f"task message line over {MAX_LINE_BYTES} bytes; ignored"})
            continue
        if not line.strip():
            continue
        t = threading.Thread(target=handle, args=(line,), name="currant-message", daemon=True)
        t.start()
        handlers = [h for h in handlers if h.is_alive()] + [t]
    for h in handlers:
        h.join()


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m currant_tasks.local <tasks.py>", file=sys.stderr)
        return 2
    proto = _take_stdout()
    try:
        load_tasks_file(args[0])
    except BaseException:  # noqa: BLE001 — a broken tasks file: say why on stderr, exit non-zero
        traceback.print_exc()
        print(f"currant_tasks.local: cannot load tasks file {args[0]}", file=sys.stderr, flush=True)
        return 3
    proto.write({"protocol": LOCAL_PROTOCOL, "type": "ready", "tasks": sorted(default_registry),
                 "pid": os.getpid(), "python": platform.python_version()})
    serve(sys.stdin.buffer, proto)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # os._exit: a task still running in a (daemon or not) thread must not keep the process alive
    # after the engine closed stdin.
    os._exit(code)
