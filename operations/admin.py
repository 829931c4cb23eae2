from django.contrib import admin, messages
from django.utils import timezone
from django.utils.timesince import timesince

from .models import SweepRun
from .sweeps import LATE_FACTOR, SweepState, schedule, sweep_states


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """When each periodic sweep last ran (issue 15, point 4). The list warns when one is late or never ran: Celery
    beat is not running, no worker takes its tasks, or the broker is down."""

    list_display = ["name", "task", "every", "finished_at", "ago", "state", "error"]
    readonly_fields = ["name", "task", "finished_at", "succeeded", "succeeded_at", "error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @staticmethod
    def _state(run) -> SweepState | None:
        sweep = next((sweep for sweep in schedule() if sweep.name == run.name), None)
        return None if sweep is None else SweepState(sweep=sweep, run=run, now=timezone.now())

    @admin.display(description="every")
    def every(self, run):
        state = self._state(run)
        return "" if state is None or state.sweep.every is None else f"{state.sweep.every.total_seconds():g} s"

    @admin.display(description="ended")
    def ago(self, run):
        return f"{timesince(run.finished_at)} ago"

    @admin.display(description="state")
    def state(self, run):
        state = self._state(run)
        return "not in the schedule" if state is None else state.status

    def changelist_view(self, request, extra_context=None):
        for state in sweep_states():
            if state.status == "never":
                messages.warning(request, f"The sweep {state.sweep.name} has never run: is Celery beat running?")
            elif state.status == "late":
                messages.warning(
                    request,
                    f"The sweep {state.sweep.name} last ran {timesince(state.run.finished_at)} ago, more than "
                    f"{LATE_FACTOR} times its interval: Celery beat, the workers or the broker are not running.",
                )
            elif state.status == "failed":
                messages.warning(request, f"The last run of the sweep {state.sweep.name} failed ({state.run.error}).")
        return super().changelist_view(request, extra_context)
