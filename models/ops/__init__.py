"""Running the service: audit log, statistics, job runs, housekeeping, indexes and checks."""
