"""The Mastodon client API (docs.joinmastodon.org/methods). ``routes`` is what
web/app.py mounts: each API module adds its own routes to the list below.
Helpers for route modules are in ``web.api.http`` (authenticate, read_params,
paging, api_routes), ``web.api.ids`` and ``web.api.entities``."""

from web.api import (
    account_actions,
    accounts,
    conversations,
    filters,
    followed_tags,
    instance,
    lists,
    markers,
    media,
    notification_groups,
    notifications,
    oauth,
    polls,
    progress,
    progress_daily,
    push,
    reports,
    scheduled_statuses,
    search,
    startup,
    status_actions,
    statuses,
    streaming,
    timelines,
)
from web.api.http import EXCEPTION_HANDLERS

__all__ = ["EXCEPTION_HANDLERS", "routes"]

routes = [
    *oauth.routes,
    *instance.routes,
    *startup.routes,
    *accounts.routes,
    *account_actions.routes,
    *statuses.routes,
    *polls.routes,
    *scheduled_statuses.routes,
    *status_actions.routes,
    *streaming.routes,
    *timelines.routes,
    *followed_tags.routes,
    *conversations.routes,
    *notification_groups.routes,  # before notifications/{id}
    *notifications.routes,
    *markers.routes,
    *filters.routes,
    *lists.routes,
    *reports.routes,
    *search.routes,
    *media.routes,
    *progress.routes,
    *progress_daily.routes,
    *push.routes,
]
