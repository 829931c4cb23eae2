from django.apps import AppConfig


class ExhibitsConfig(AppConfig):
    name = "exhibits"
    verbose_name = "Exhibits A, B, C and C.1"

    def ready(self):
        from . import signals  # noqa: F401 -- connects the receivers that keep the public pages current
        from .public import search_index  # noqa: F401 -- and those that keep the statewide search's document current
