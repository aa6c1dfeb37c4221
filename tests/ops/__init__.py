"""Running the service: the scheduler, its lease and runs, dashboard rollups."""
