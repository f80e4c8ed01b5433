"""Receiving activities: ``receive`` verifies, dedupes and stores what
arrives (the route answers 202); ``worker.process_batch`` claims stored
activities and dispatches each to a small named handler in ``handlers``."""
