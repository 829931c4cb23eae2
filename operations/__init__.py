"""Operations: what a platform operator needs to see that the portal's moving parts run (issue 15): when each
periodic sweep last ran (recorded by the worker, in the database so that it survives Redis being down), and the
health report behind /healthz. It imports no other app of the portal: it knows the sweeps by their task names in
settings.CELERY_BEAT_SCHEDULE."""
