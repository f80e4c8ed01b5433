"""Publishing activities: queued in the caller's transaction, delivered by a worker.

Filled by the federation issue.
"""
