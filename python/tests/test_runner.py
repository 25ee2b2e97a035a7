"""run_task_message / invoke_task: the same cases as test/sdk/node/index.test.ts."""
import json
import threading
import time

from conftest import QUEUE, Recorder, task_message

from currant_tasks import (
    MAX_MESSAGE_BYTES,
    TaskError,
    error_info,
    invoke_task,
    parse_task_message,
    run_task_message,
)


def run(tasks, **over):
    rec = Recorder()
    outcome = run_task_message(tasks, json.dumps(task_message(**over)), rec)
    return outcome, rec.sent


def test_success_sends_ok_result_with_ctx():
    seen = {}

    def charge_card(order_id, amount, ctx):
        seen["ctx"] = ctx
        return {"success": True, "paymentId": f"{order_id}-{amount * 2}"}

    outcome, sent = run({"chargeCard": charge_card}, attempt=3)
    assert outcome.outcome == "sent"
    assert len(sent) == 1
    queue_url, message = sent[0]
    assert queue_url == QUEUE
    duration = message.pop("durationMs")
    assert isinstance(duration, int) and duration >= 0
    assert message == {
        "protocol": "currant.result.v1",
        "type": "taskResult",
        "instanceId": "i-1",
        "taskId": "n12.s3",
        "attempt": 3,
        "token": "tok-abc",  # echoed: without it the engine drops the result
        "ok": True,
        "result": {"success": True, "paymentId": "o1-10"},
    }
    ctx = seen["ctx"]
    assert (ctx.instance_id, ctx.task_id, ctx.task, ctx.idempotency_key, ctx.attempt) == (
        "i-1", "n12.s3", "chargeCard", "i-1/n12.s3", 3)
    assert not ctx.cancelled.is_set()
    assert ctx.deadline > time.time() - 60


def test_ctx_only_for_tasks_that_declare_it():
    outcome, sent = run({"chargeCard": lambda order_id, amount: [order_id, amount]})
    assert sent[0][1]["result"] == ["o1", 5]

    def kw_only(order_id, amount, *, ctx):
        return ctx.attempt

    _, sent = run({"chargeCard": kw_only}, attempt=2)
    assert sent[0][1]["result"] == 2


def test_accepts_a_parsed_dict_and_async_tasks():
    async def charge_card(order_id, amount):
        return order_id.upper()

    rec = Recorder()
    run_task_message({"chargeCard": charge_card}, task_message(), rec)
    assert rec.sent[0][1]["result"] == "O1"


def test_none_result_is_null_and_tuples_become_lists():
    _, sent = run({"chargeCard": lambda *a: None})
    assert sent[0][1]["ok"] is True and sent[0][1]["result"] is None
    _, sent = run({"chargeCard": lambda *a: (1, 2)})
    assert sent[0][1]["result"] == [1, 2]


def test_raised_exception_is_a_retryable_failure_typed_by_class():
    class GatewayDown(Exception):
        pass

    def charge_card(*args):
        raise GatewayDown("gateway unavailable")

    _, sent = run({"chargeCard": charge_card})
    assert sent[0][1]["ok"] is False
    assert sent[0][1]["error"] == {"message": "gateway unavailable", "type": "GatewayDown", "retryable": True}


def test_task_error_not_retryable():
    def charge_card(*args):
        raise TaskError("card declined", type="CardDeclined", retryable=False)

    _, sent = run({"chargeCard": charge_card})
    assert sent[0][1]["error"] == {"message": "card declined", "type": "CardDeclined", "retryable": False}


def test_retryable_false_and_non_retryable_attributes_on_any_exception():
    a = ValueError("no")
    a.retryable = False
    b = RuntimeError("never")
    b.non_retryable = True
    c = KeyError("maybe")
    assert error_info(a)["retryable"] is False
    assert error_info(b)["retryable"] is False
    assert error_info(c) == {"message": "'maybe'", "type": "KeyError", "retryable": True}
    assert error_info(RuntimeError()) == {"message": "RuntimeError", "type": "RuntimeError", "retryable": True}


def test_unknown_task_is_a_non_retryable_failure():
    outcome, sent = run({"refund": lambda: 1}, task="chargeCrad")
    assert outcome.outcome == "sent"
    error = sent[0][1]["error"]
    assert error["type"] == "TaskNotFound" and error["retryable"] is False
    assert "'chargeCrad'" in error["message"] and "refund" in error["message"]


def test_timeout_reports_retryable_timeout_and_sets_cancelled():
    seen = {}
    released = threading.Event()

    def charge_card(order_id, amount, ctx):
        seen["ctx"] = ctx
        # Ends only when cancelled (or after 10 s, so a broken timeout fails instead of hanging).
        ctx.cancelled.wait(10)
        released.set()

    _, sent = run({"chargeCard": charge_card}, timeoutMs=20)
    assert sent[0][1]["error"] == {"message": "task 'chargeCard' timed out after 20 ms", "type": "Timeout", "retryable": True}
    assert seen["ctx"].cancelled.is_set()
    assert released.wait(5)


def test_latest_deadline_caps_the_timeout():
    seen = {}

    def charge_card(order_id, amount, ctx):
        seen["deadline"] = ctx.deadline
        ctx.cancelled.wait(10)

    now = time.time()
    rec = Recorder()
    run_task_message({"chargeCard": charge_card}, task_message(timeoutMs=60_000), rec,
                     now=lambda: now, latest_deadline=now + 0.015)
    assert seen["deadline"] == now + 0.015
    assert rec.sent[0][1]["error"]["type"] == "Timeout"
    assert rec.sent[0][1]["error"]["message"] == "task 'chargeCard' timed out after 15 ms"


def test_non_json_result_is_invalid_result():
    _, sent = run({"chargeCard": lambda *a: {1, 2}})
    assert sent[0][1]["error"]["type"] == "InvalidResult" and sent[0][1]["error"]["retryable"] is False
    _, sent = run({"chargeCard": lambda *a: float("nan")})
    assert sent[0][1]["error"]["type"] == "InvalidResult"


def test_result_over_the_size_limit_is_result_too_large():
    _, sent = run({"chargeCard": lambda *a: "x" * MAX_MESSAGE_BYTES})
    message = sent[0][1]
    assert message["ok"] is False and "result" not in message
    assert message["error"]["type"] == "ResultTooLarge" and message["error"]["retryable"] is False
    assert len(json.dumps(message).encode()) < MAX_MESSAGE_BYTES


def test_huge_error_messages_are_truncated():
    def charge_card(*args):
        raise ValueError("y" * (2 * MAX_MESSAGE_BYTES))

    _, sent = run({"chargeCard": charge_card})
    assert len(sent[0][1]["error"]["message"]) < 10_000


def test_body_that_is_not_json_is_rejected_without_sending():
    rec = Recorder()
    outcome = run_task_message({"chargeCard": lambda: 1}, '{"protocol":', rec)
    assert outcome.outcome == "rejected"
    assert rec.sent == []


def test_malformed_message_with_reply_address_gets_bad_task_message():
    ran = []
    outcome, sent = run({"chargeCard": lambda *a: ran.append(1)}, args="o1", timeoutMs=-1)
    assert ran == []
    assert outcome.outcome == "sent"
    message = sent[0][1]
    assert (message["instanceId"], message["taskId"], message["attempt"], message["ok"]) == ("i-1", "n12.s3", 1, False)
    assert message["token"] == "tok-abc"
    assert message["error"]["type"] == "BadTaskMessage" and message["error"]["retryable"] is False
    assert "args must be an array" in message["error"]["message"]
    assert "timeoutMs must be a positive number" in message["error"]["message"]


def test_token_must_be_a_string_and_is_left_out_when_absent():
    parsed = parse_task_message(task_message(token=5))
    assert not parsed.ok and parsed.problems == ["token must be a string"]
    no_token = task_message()
    del no_token["token"]
    rec = Recorder()
    run_task_message({"chargeCard": lambda *a: 1}, json.dumps(no_token), rec)
    assert "token" not in rec.sent[0][1]


def test_failing_send_propagates():
    rec = Recorder(fail_task_ids={"n12.s3"})
    try:
        run_task_message({"chargeCard": lambda *a: 1}, task_message(), rec)
    except ConnectionError as e:
        assert "SQS unavailable" in str(e)
    else:
        raise AssertionError("expected the send failure to propagate")


def test_parse_lists_every_problem_without_reply_address():
    parsed = parse_task_message({"protocol": "currant.task.v2", "taskId": "n1.s1", "attempt": 0})
    assert not parsed.ok and parsed.reply_to is None
    assert parsed.problems == [
        'protocol must be "currant.task.v1", got "currant.task.v2"',
        "instanceId must be a non-empty string",
        "task must be a non-empty string",
        "args must be an array",
        "attempt must be an integer >= 1",
        "timeoutMs must be a positive number",
        "replyTo must be a non-empty string (an SQS queue URL)",
    ]


def test_parse_accepts_unknown_fields_and_rejects_bool_attempt():
    assert parse_task_message(json.dumps({**task_message(), "traceId": "abc"})).ok
    assert not parse_task_message(task_message(attempt=True)).ok
    assert parse_task_message("[1, 2]").problems == ["body is not a JSON object"]


def test_invoke_task_without_the_protocol():
    outcome = invoke_task({"add": lambda a, b: a + b},
                          {"instanceId": "i", "taskId": "n1.s1", "task": "add", "args": [2, 3], "attempt": 1, "timeoutMs": 1000})
    assert outcome["ok"] is True and outcome["result"] == 5


def test_string_type_attribute_wins_over_the_class_name():
    e = RuntimeError("declined")
    e.type = "CardDeclined"
    assert error_info(e)["type"] == "CardDeclined"


def nested(depth):
    v = 0
    for _ in range(depth):
        v = [v]
    return v


def test_args_nested_too_deeply_are_answered_as_a_bad_message():
    assert parse_task_message(task_message(args=[nested(128)])).ok
    outcome, sent = run({"chargeCard": lambda *a: 1}, args=[nested(129)])
    assert outcome.outcome == "sent"
    error = sent[0][1]["error"]
    assert error["type"] == "BadTaskMessage" and error["retryable"] is False
    assert "args are nested deeper than 128 levels" in error["message"]


def test_a_body_too_deep_for_the_json_parser_or_far_too_large_is_refused_not_raised():
    deep = '{"args": ' + "[" * 100_000 + "]" * 100_000 + "}"
    parsed = parse_task_message(deep)
    assert not parsed.ok and parsed.problems == ["body is nested too deeply (limit 128 levels)"]
    huge = json.dumps(task_message(args=["x" * (MAX_MESSAGE_BYTES * 4)]))
    parsed = parse_task_message(huge)
    assert not parsed.ok and "over the SQS limit" in parsed.problems[0]


def test_a_result_too_deep_to_serialise_is_a_failed_attempt_not_a_crash():
    outcome, sent = run({"chargeCard": lambda *a: nested(100_000)})
    assert outcome.outcome == "sent"
    message = sent[0][1]
    assert message["ok"] is False and message["error"]["type"] == "InvalidResult"


# --- large values (argsRef, resultUpload): the same cases as the Node SDK -------------------------

class Blobs:
    """A blob transport over a dict of URL → body, recording what it did."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.calls = []

    def get(self, url):
        self.calls.append(f"get {url}")
        if url not in self.objects:
            raise OSError("HTTP Error 403: Forbidden")
        return self.objects[url]

    def put(self, url, body):
        self.calls.append(f"put {url} {len(body)}")
        if "expired" in url:
            raise OSError("HTTP Error 403: Forbidden")
        self.objects[url] = body


UPLOAD = {"url": "https://bucket.s3/results/i-1/n12.s3-1.json?X-Amz-Signature=s", "maxBytes": 10 * 1024 * 1024}


def message_without_args(**over):
    m = task_message(**over)
    m.pop("args", None)
    return m


def test_args_stored_aside_are_fetched_and_a_5mb_result_is_stored_aside():
    big = "a" * (300 * 1024)
    blobs = Blobs({"https://bucket.s3/args/abc.json?sig": json.dumps([big, 2])})
    rec = Recorder()
    body = message_without_args(argsRef={"url": "https://bucket.s3/args/abc.json?sig", "bytes": len(big) + 6}, resultUpload=UPLOAD)
    run_task_message({"chargeCard": lambda s, n: (s * (n * 9))[: 5 * 1024 * 1024]}, json.dumps(body), rec, blobs=blobs)
    _, message = rec.sent[0]
    assert message["ok"] is True and "result" not in message
    assert message["resultRef"] == {"bytes": 5 * 1024 * 1024 + 2}
    assert message["token"] == "tok-abc"
    assert len(json.loads(blobs.objects[UPLOAD["url"]])) == 5 * 1024 * 1024
    assert blobs.calls == ["get https://bucket.s3/args/abc.json?sig", f"put {UPLOAD['url']} {5 * 1024 * 1024 + 2}"]


def test_small_result_stays_inline_even_with_an_upload_url():
    blobs = Blobs()
    rec = Recorder()
    run_task_message({"chargeCard": lambda a, b: "small"}, json.dumps(task_message(resultUpload=UPLOAD)), rec, blobs=blobs)
    assert rec.sent[0][1]["result"] == "small"
    assert blobs.calls == []


def test_large_value_failures_are_failed_attempts():
    blobs = Blobs()
    rec = Recorder()
    never = {"chargeCard": lambda *a: "x" * MAX_MESSAGE_BYTES}
    run_task_message(never, json.dumps(message_without_args(argsRef={"url": "https://gone", "bytes": 1})), rec, blobs=blobs)
    assert rec.sent[0][1]["error"]["type"] == "ArgsUnavailable" and rec.sent[0][1]["error"]["retryable"] is True
    run_task_message(never, json.dumps(task_message(resultUpload={**UPLOAD, "maxBytes": 1000})), rec, blobs=blobs)
    assert rec.sent[1][1]["error"]["type"] == "ResultTooLarge" and rec.sent[1][1]["error"]["retryable"] is False
    assert "over the engine's limit of 1000" in rec.sent[1][1]["error"]["message"]
    run_task_message(never, json.dumps(task_message(resultUpload={**UPLOAD, "url": "https://expired"})), rec, blobs=blobs)
    assert rec.sent[2][1]["error"]["type"] == "ResultUploadFailed" and rec.sent[2][1]["error"]["retryable"] is True
    run_task_message(never, json.dumps(message_without_args(argsRef={"url": "https://x", "bytes": 1})), rec)
    assert rec.sent[3][1]["error"] == {"message": "the arguments were stored aside (argsRef) and this worker cannot fetch them",
                                       "type": "ArgsUnavailable", "retryable": False}


def test_malformed_references_are_bad_messages():
    both = parse_task_message(task_message(argsRef={"url": "u", "bytes": 1}))
    assert not both.ok and both.problems == ["a message has either args or argsRef, not both"]
    bad = parse_task_message(message_without_args(argsRef={"url": "", "bytes": -1}))
    assert not bad.ok and bad.problems[0].startswith("argsRef must be")
    up = parse_task_message(task_message(resultUpload={"url": "u", "maxBytes": 0}))
    assert not up.ok and up.problems[0].startswith("resultUpload must be")
