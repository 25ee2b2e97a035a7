"""Python tasks for examples/mixed (the Node half is in tasks.ts).

    count_words("hello wide world")  # => {"unit": "words", "count": 3}
"""
from currant_tasks import handler, task  # noqa: F401  (handler is the Lambda entry point)


@task("countWords")
def count_words(text):
    return {"unit": "words", "count": len(text.split())}
