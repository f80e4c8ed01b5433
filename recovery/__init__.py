"""Hearth's domain: members, communities, progress, meetings, moderation.

Services take an asyncpg connection first and leave the transaction to the
caller; only the ``store`` module runs SQL. Nothing here imports ``web``,
``inbox`` or ``outbox``.
"""
