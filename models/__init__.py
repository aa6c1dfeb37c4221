"""The domain: one package per domain; the only code that touches collections."""
