"""Publishing: a local change becomes an activity and deliveries, queued in
the same transaction (``publish``); the delivery worker sends them."""
