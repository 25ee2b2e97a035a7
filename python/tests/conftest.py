"""Shared helpers for the currant_tasks tests: task messages, a recording sender, SQS records."""
import copy
import json

import pytest

QUEUE = "https://sqs.us-east-1.amazonaws.com/000000000000/currant-events"


def task_message(**over):
    m = {
        "protocol": "currant.task.v1",
        "instanceId": "i-1",
        "taskId": "n12.s3",
        "task": "chargeCard",
        "args": ["o1", 5],
        "attempt": 1,
        "timeoutMs": 5000,
        "replyTo": QUEUE,
        "token": "tok-abc",
    }
    m.update(over)
    return m


class Recorder:
    """A sender that records (queue_url, message) and can be told to fail for some task ids."""

    def __init__(self, fail_task_ids=()):
        self.sent = []
        self.fail_task_ids = set(fail_task_ids)

    def __call__(self, queue_url, message):
        if message["taskId"] in self.fail_task_ids:
            raise ConnectionError("SQS unavailable")
        # Round-trip through JSON: what the engine would actually receive.
        self.sent.append((queue_url, json.loads(json.dumps(copy.deepcopy(message)))))


def sqs_record(message_id, body):
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


class LambdaContext:
    def __init__(self, remaining_ms=60_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


@pytest.fixture
def recorder():
    return Recorder()
