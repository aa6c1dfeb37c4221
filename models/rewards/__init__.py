"""积分商城: reward items with stock, redemptions with a pickup code, points expiry and the
review queue of awards held against farming."""
