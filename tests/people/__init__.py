"""People: privacy (export, erasure), admin sign-in, lock-out, scope and xsrf."""
