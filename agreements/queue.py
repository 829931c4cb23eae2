"""Enqueue Celery work once the current transaction commits, without letting a failure undo what committed.

The committed rows are the record (an outbox row, a signature); if the broker is down, or an eager task fails on a
development server, the periodic sweeps find the work undone and enqueue it again.
"""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_after_commit(task, *args) -> None:
    def send():
        try:
            task.delay(*args)
        except Exception:  # the sweep retries; the person's request must not fail after its commit
            log.exception("Could not run or enqueue %s%r now; the sweep will try again.", task.name, args)

    transaction.on_commit(send)
