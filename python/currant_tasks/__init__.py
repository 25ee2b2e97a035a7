"""currant_tasks: write currant workflow tasks in Python.

Takes task functions registered with ``@task("name")``, gives an SQS Lambda ``handler`` that speaks
the currant task protocol (docs/protocol.md in the currant repository):

    from currant_tasks import task, handler, TaskError

    @task("chargeCard")
    def charge_card(order_id, amount, ctx):
        if amount <= 0:
            raise TaskError("bad amount", type="BadAmount", retryable=False)
        return {"success": True, "key": ctx.idempotency_key}

Lambda: handler ``currant_tasks.handler`` with CURRANT_TASKS_MODULE=<module> (how the CDK construct
deploys it), or handler ``<module>.handler`` when the module imports ``handler``.
"""
from .aws import TASKS_MODULE_ENV, handler, load_tasks_module, make_handler, sqs_send
from .protocol import (
    MAX_MESSAGE_BYTES,
    RESULT_PROTOCOL,
    TASK_PROTOCOL,
    ParsedTaskMessage,
    parse_task_message,
)
from .registry import Registry, default_registry, task
from .runner import RunOutcome, TaskContext, TaskError, error_info, invoke_task, run_task_message

__all__ = [
    "MAX_MESSAGE_BYTES",
    "RESULT_PROTOCOL",
    "TASK_PROTOCOL",
    "ParsedTaskMessage",
    "Registry",
    "RunOutcome",
    "TaskContext",
    "TASKS_MODULE_ENV",
    "TaskError",
    "default_registry",
    "error_info",
    "handler",
    "invoke_task",
    "load_tasks_module",
    "make_handler",
    "parse_task_message",
    "run_task_message",
    "sqs_send",
    "task",
]
