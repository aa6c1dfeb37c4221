"""志愿服务积分: the ledger (book of record), manual adjustments and the leaderboard."""
