"""Deadlines and the duties after signing (issue 6): breach reports, parent requests, end of term, destruction.

The models live in the agreements app (imported by agreements.models). The Celery task module is imported here so
that a worker, which loads every app's models, registers it: Celery's autodiscovery only looks at <app>.tasks.
"""

from . import tasks as _tasks  # noqa: F401
