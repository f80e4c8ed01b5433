"""Receiving activities: verify, dedupe, store, answer 202; a worker dispatches.

Filled by the federation issue.
"""
