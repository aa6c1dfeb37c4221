"""Orders: the loop end to end, permissions per transition, races, round trips, SLAs."""
