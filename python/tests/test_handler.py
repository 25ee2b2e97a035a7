"""The Lambda handler, the @task registry, the SQS sender and the example tasks."""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from conftest import LambdaContext, Recorder, sqs_record, task_message

import currant_tasks
from currant_tasks import Registry, TaskError, make_handler
from currant_tasks import aws as aws_module


def quiet(entry):
    pass


def charge_card(order_id, amount):
    return {"orderId": order_id}


def refund(*args):
    raise TaskError("nope", retryable=False)


TASKS = {"chargeCard": charge_card, "refund": refund}


def test_batch_reports_exactly_the_record_whose_send_failed():
    rec = Recorder(fail_task_ids={"n2.s2"})
    handler = make_handler(TASKS, send=rec, log=quiet)
    event = {"Records": [
        sqs_record("m1", task_message(taskId="n1.s1")),
        sqs_record("m2", task_message(taskId="n2.s2")),
        sqs_record("m3", task_message(taskId="n3.s3", task="refund")),
    ]}
    assert handler(event, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert sorted(m["taskId"] for _, m in rec.sent) == ["n1.s1", "n3.s3"]


def test_failures_unknown_tasks_and_answerable_bad_messages_are_acknowledged():
    rec = Recorder()
    handler = make_handler(TASKS, send=rec, log=quiet)
    event = {"Records": [
        sqs_record("a", task_message(task="refund")),
        sqs_record("b", task_message(task="nope")),
        sqs_record("c", task_message(args=None)),
    ]}
    assert handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert sorted(m["error"]["type"] for _, m in rec.sent) == ["BadTaskMessage", "TaskError", "TaskNotFound"]


def test_malformed_message_without_reply_address_fails_towards_the_dlq_and_is_logged():
    rec = Recorder()
    logged = []
    handler = make_handler(TASKS, send=rec, log=logged.append)
    event = {"Records": [sqs_record("bad", "not json"), sqs_record("good", task_message())]}
    assert handler(event, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(rec.sent) == 1
    assert any(e["level"] == "error" and e["messageId"] == "bad" for e in logged)


def test_tasks_time_out_before_the_invocation_ends():
    rec = Recorder()

    def slow(order_id, amount, ctx):
        ctx.cancelled.wait(10)

    handler = make_handler({"chargeCard": slow}, send=rec, log=quiet, safety_margin_ms=1000)
    # 1,030 ms left, 1,000 kept for sending: about 30 ms for the task although timeoutMs is 60 s.
    out = handler({"Records": [sqs_record("m1", task_message(timeoutMs=60_000))]}, LambdaContext(1030))
    assert out == {"batchItemFailures": []}
    assert rec.sent[0][1]["error"]["type"] == "Timeout"


def test_empty_event():
    assert make_handler(TASKS, send=Recorder(), log=quiet)({"Records": []}, None) == {"batchItemFailures": []}


def test_default_logger_writes_json_lines(capsys):
    handler = make_handler(TASKS, send=Recorder())
    handler({"Records": [sqs_record("m1", task_message())]}, None)
    line = json.loads(capsys.readouterr().out.strip())
    assert line["message"] == "task succeeded" and line["taskId"] == "n12.s3"


def test_default_lines_carry_the_engine_fields_and_the_lambda_context(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "orders")
    handler = make_handler(TASKS, send=Recorder())
    ctx = LambdaContext()
    ctx.function_name, ctx.aws_request_id = "tasks-fn", "req-9"
    handler({"Records": [sqs_record("m1", task_message()), sqs_record("m2", task_message(task="refund", taskId="n3.s3"))]}, ctx)
    captured = capsys.readouterr()
    ok = json.loads(captured.out.strip())
    failed = json.loads(captured.err.strip())
    assert {k: ok[k] for k in ("level", "message", "service", "instanceId", "task", "event", "outcome",
                               "messageId", "function_name", "function_request_id")} == {
        "level": "INFO", "message": "task succeeded", "service": "orders", "instanceId": "i-1", "task": "chargeCard",
        "event": "task", "outcome": "succeeded", "messageId": "m1", "function_name": "tasks-fn",
        "function_request_id": "req-9"}
    assert ok["timestamp"].endswith("Z") and isinstance(ok["durationMs"], (int, float)) and ok["receiveCount"] == 1
    assert failed["level"] == "ERROR" and failed["outcome"] == "failed" and failed["task"] == "refund"
    assert failed["error"]["message"]


# --- registry ------------------------------------------------------------------------------------

def test_task_decorator_registers_by_name_and_bare():
    r = Registry()

    @r.task("pyScore")
    def score(x):
        return x

    @r.task
    def other():
        return 1

    assert r["pyScore"] is score and r["other"] is other
    assert sorted(r) == ["other", "pyScore"] and len(r) == 2


def test_registry_refuses_a_different_function_under_a_taken_name():
    r = Registry()
    r.register("a", charge_card)
    r.register("a", charge_card)  # the same function again is fine
    with pytest.raises(ValueError, match="already registered"):
        r.register("a", refund)
    with pytest.raises(ValueError):
        r.register("", charge_card)


def test_handler_over_a_registry_with_the_default_ctx_convention():
    r = Registry()

    @r.task("chargeCard")
    def charge(order_id, amount, ctx=None):
        return {"key": ctx.idempotency_key, "attempt": ctx.attempt}

    rec = Recorder()
    make_handler(r, send=rec, log=quiet)({"Records": [sqs_record("m1", task_message(attempt=4))]}, None)
    assert rec.sent[0][1]["result"] == {"key": "i-1/n12.s3", "attempt": 4}


def test_default_handler_uses_the_global_registry_at_call_time(monkeypatch):
    @currant_tasks.task("testOnlyDouble")
    def double(x):
        return x * 2

    try:
        rec = Recorder()
        monkeypatch.setattr(aws_module, "sqs_send", rec)
        handler = make_handler(log=quiet, send=rec)
        handler({"Records": [sqs_record("m1", task_message(task="testOnlyDouble", args=[21]))]}, None)
        assert rec.sent[0][1]["result"] == 42
    finally:
        currant_tasks.default_registry._tasks.pop("testOnlyDouble", None)


# --- the SQS sender --------------------------------------------------------------------------

class FakeClient:
    def __init__(self):
        self.calls = []

    def send_message(self, **params):
        self.calls.append(params)
        return {"MessageId": "m"}


def test_sqs_send_builds_send_message_and_fifo_ids(monkeypatch):
    fake = FakeClient()
    monkeypatch.setattr(aws_module, "_client", fake)
    message = {"protocol": "currant.result.v1", "type": "taskResult", "instanceId": "i-1",
               "taskId": "n1.s1", "attempt": 2, "token": "tok", "ok": True, "result": {"ü": 1}}
    aws_module.sqs_send("https://q/events", message)
    aws_module.sqs_send("https://q/events.fifo", message)
    assert json.loads(fake.calls[0]["MessageBody"]) == message
    assert "MessageGroupId" not in fake.calls[0]
    assert fake.calls[1]["MessageGroupId"] == "i-1"
    # deduplicated per attempt and token: a forged result sent first cannot take the real one's id
    assert fake.calls[1]["MessageDeduplicationId"] == hashlib.sha256(b"i-1/n1.s1#2/tok").hexdigest()


def test_boto3_sender_honours_aws_endpoint_url(monkeypatch):
    pytest.importorskip("boto3")
    received = []

    class Fake(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.headers.get("X-Amz-Target"), body))
            md5 = hashlib.md5(json.loads(body)["MessageBody"].encode()).hexdigest()
            out = json.dumps({"MessageId": "m-1", "MD5OfMessageBody": md5}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setattr(aws_module, "_client", None)
        message = {"protocol": "currant.result.v1", "type": "taskResult", "instanceId": "i-1",
                   "taskId": "n1.s1", "attempt": 1, "ok": True, "result": 1}
        aws_module.sqs_send("http://sqs.us-east-1.localhost:4566/000000000000/events", message)
    finally:
        server.shutdown()
        monkeypatch.setattr(aws_module, "_client", None)
    assert len(received) == 1
    target, body = received[0]
    assert target == "AmazonSQS.SendMessage"
    assert json.loads(json.loads(body)["MessageBody"]) == message


# --- the example tasks deployed by the CDK app -----------------------------------------------

def test_example_py_score_is_deterministic_and_matches_the_documented_formula():
    from examples.tasks import py_score

    assert py_score("o1", 5) == {"orderId": "o1", "score": 60, "risk": "low", "by": "python"}
    # "zzz": 3 * 122 + 1450 = 1816 → 16. 0.005 * 100 = 0.5 rounds up as Math.round does (Python's
    # round would give 0).
    assert py_score("zzz", 14.5)["score"] == 16
    assert py_score("A", 0.005)["score"] == (65 + 1) % 100
    assert py_score("x", 0.15)["score"] == (120 + 15) % 100
    with pytest.raises(TaskError):
        py_score(5, "o1")


def test_example_tasks_through_the_module_handler():
    import examples.tasks as example

    rec = Recorder()
    handler = make_handler(send=rec, log=quiet)  # the global registry, filled by the example module
    event = {"Records": [
        sqs_record("a", task_message(task="pyScore", args=["o1", 5])),
        sqs_record("b", task_message(task="pyEcho", taskId="n2.s2", args=[{"k": [1]}], attempt=2)),
    ]}
    assert handler(event, None) == {"batchItemFailures": []}
    by_task = {m["taskId"]: m for _, m in rec.sent}
    assert by_task["n12.s3"]["result"]["score"] == 60
    assert by_task["n2.s2"]["result"] == {"value": {"k": [1]}, "attempt": 2, "idempotencyKey": "i-1/n2.s2", "by": "python"}
    assert example.handler is currant_tasks.handler


def test_default_handler_imports_the_module_named_by_currant_tasks_module(tmp_path, monkeypatch):
    (tmp_path / "env_named_tasks.py").write_text(
        "from currant_tasks import task\n\n"
        "@task('envNamedTask')\n"
        "def f(text):\n"
        "    return {'words': len(text.split())}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CURRANT_TASKS_MODULE", "env_named_tasks")
    rec = Recorder()
    try:
        handler = make_handler(send=rec, log=quiet)
        assert "envNamedTask" not in currant_tasks.default_registry  # not imported before the first call
        event = {"Records": [sqs_record("m1", task_message(task="envNamedTask", args=["a b c"]))]}
        assert handler(event, None) == {"batchItemFailures": []}
        assert rec.sent[0][1]["result"] == {"words": 3}
    finally:
        currant_tasks.default_registry._tasks.pop("envNamedTask", None)


def test_a_tasks_module_that_cannot_be_imported_fails_the_invocation(monkeypatch):
    monkeypatch.setenv("CURRANT_TASKS_MODULE", "no_such_tasks_module_xyz")
    handler = make_handler(send=Recorder(), log=quiet)
    with pytest.raises(ModuleNotFoundError):
        handler({"Records": [sqs_record("m1", task_message())]}, None)
