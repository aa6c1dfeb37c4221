"""The ledger: exactly-once awards, balances, adjustments and reversals."""
