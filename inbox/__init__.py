"""Receiving activities: verify, dedupe, store, answer 202 (``receive``).

A worker that dispatches stored activities to named handlers comes next
(the federation issue); until then verified activities wait in
``inbox_activities``.
"""
