"""The local runner (``python -m currant_tasks.local``) as the embedded engine drives it, the
``currant_tasks.testing`` helpers, the README's "Test your task" example, and the wheel."""
import json
import os
import re
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from conftest import task_message

from currant_tasks import Registry, TaskError
from currant_tasks.testing import TaskFailed, call_task

HERE = Path(__file__).resolve().parent
PYTHON_DIR = HERE.parent
ROOT = PYTHON_DIR.parent


def local(tasks_file, lines, env=None, cwd=None):
    """Runs the local runner on ``tasks_file`` with ``lines`` on stdin; (stdout lines as JSON, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "currant_tasks.local", str(tasks_file)],
        input="".join(line + "\n" for line in lines).encode(), capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(PYTHON_DIR), **(env or {})}, cwd=cwd)
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return proc.returncode, out, proc.stderr.decode()


def write_tasks(tmp_path, body):
    path = tmp_path / "tasks.py"
    path.write_text("from currant_tasks import task, TaskError\n" + textwrap.dedent(body))
    return path


def test_ready_then_one_result_per_message_with_the_token_and_context(tmp_path):
    tasks = write_tasks(tmp_path, """
        import helper   # a module next to the tasks file imports, as with `python tasks.py`

        @task("echo")
        def echo(value, ctx):
            print("printed by the task")          # goes to stderr, never into the protocol
            return {"value": helper.twice(value), "key": ctx.idempotency_key, "attempt": ctx.attempt}
    """)
    (tmp_path / "helper.py").write_text("def twice(x):\n    return x * 2\n")
    msg = task_message(task="echo", args=[21], attempt=2, replyTo="local", token="tok-1")
    code, out, err = local(tasks, [json.dumps(msg)])
    assert code == 0
    ready, result = out
    assert ready["protocol"] == "currant.local.v1" and ready["type"] == "ready" and ready["tasks"] == ["echo"]
    result.pop("durationMs")
    assert result == {"protocol": "currant.result.v1", "type": "taskResult", "instanceId": "i-1",
                      "taskId": "n12.s3", "attempt": 2, "ok": True, "token": "tok-1",
                      "result": {"value": 42, "key": "i-1/n12.s3", "attempt": 2}}
    assert "printed by the task" in err


def test_failures_and_bad_lines(tmp_path):
    tasks = write_tasks(tmp_path, """
        @task("declined")
        def declined():
            raise TaskError("no", type="CardDeclined", retryable=False)
    """)
    good = task_message(task="declined", args=[], replyTo="local")
    unknown = task_message(task="nope", args=[], taskId="n2.s1", replyTo="local")
    code, out, err = local(tasks, ["this is not json", json.dumps(good), "", json.dumps(unknown), "x" * 2_000_000])
    assert code == 0
    results = {m["taskId"]: m for m in out[1:]}
    assert results["n12.s3"]["error"] == {"message": "no", "type": "CardDeclined", "retryable": False}
    assert results["n2.s1"]["error"]["type"] == "TaskNotFound"
    assert len(out) == 3  # ready + two results: the garbage lines got no answer
    assert "malformed task message without a reply address" in err
    assert "task message line over" in err


def test_a_tasks_file_that_fails_to_import_exits_3_with_the_traceback(tmp_path):
    tasks = write_tasks(tmp_path, "raise RuntimeError('broken on purpose')\n")
    code, out, err = local(tasks, [])
    assert code == 3 and out == []
    assert "RuntimeError: broken on purpose" in err


def test_call_task_runs_a_task_as_the_engine_would():
    reg = Registry()

    @reg.task("add")
    def add(a, b, ctx):
        return {"sum": a + b, "attempt": ctx.attempt, "key": ctx.idempotency_key}

    @reg.task("picky")
    def picky(x):
        raise TaskError("bad x", type="BadX", retryable=False)

    @reg.task("setty")
    def setty():
        return {1, 2}

    assert call_task("add", 2, 3, attempt=2, tasks=reg) == {"sum": 5, "attempt": 2, "key": "test-instance/n1.s1"}
    with pytest.raises(TaskFailed) as failed:
        call_task("picky", 1, tasks=reg)
    assert (failed.value.type, failed.value.retryable, failed.value.message) == ("BadX", False, "bad x")
    with pytest.raises(TaskFailed) as invalid:
        call_task("setty", tasks=reg)
    assert invalid.value.type == "InvalidResult"


def readme_block(heading):
    """The first ```python block under ``heading`` in python/README.md."""
    text = (PYTHON_DIR / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_test_your_task_example_passes(tmp_path):
    (tmp_path / "tasks.py").write_text(readme_block("## Write tasks").replace(
        "payments.charge(order_id, amount, key=ctx.idempotency_key)", "f'p-{ctx.idempotency_key}'"))
    (tmp_path / "test_tasks.py").write_text(readme_block("## Test your task"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_tasks.py")],
                          capture_output=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": f"{PYTHON_DIR}{os.pathsep}{tmp_path}"})
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert re.search(r"\b[1-9]\d* passed", proc.stdout.decode())


@pytest.mark.skipif(os.environ.get("CURRANT_SKIP_WHEEL") == "1", reason="CURRANT_SKIP_WHEEL=1")
def test_the_wheel_builds_and_installs_into_a_fresh_venv(tmp_path):
    """pip builds the wheel (PEP 517, setuptools from PyPI); a new venv installs it with its
    dependencies and runs the local runner from the installed package, not from this folder."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(PYTHON_DIR)],
                   check=True, timeout=300)
    wheel = next(dist.glob("currant_tasks-*-py3-none-any.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], check=True, timeout=600)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(py), "-c", "import currant_tasks, boto3; print(currant_tasks.__file__)"],
                           capture_output=True, check=True, env=clean_env, cwd=tmp_path).stdout.decode()
    assert str(env_dir) in where  # the installed copy, not python/ of this repository
    msg = task_message(task="countWords", args=["one two three"], replyTo="local")
    proc = subprocess.run([str(py), "-m", "currant_tasks.local", str(ROOT / "examples/mixed/tasks.py")],
                          input=(json.dumps(msg) + "\n").encode(), capture_output=True, timeout=60, env=clean_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    ready, result = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert ready["tasks"] == ["countWords"]
    assert result["ok"] is True and result["result"] == {"unit": "words", "count": 3}
