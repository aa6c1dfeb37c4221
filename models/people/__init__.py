"""People and the organisation tree: users, orgs, registrations, roster, sign-in, privacy."""
