"""All of the domain's SQL, one module per noun. Each function takes the
connection first, runs named, parameterised queries and returns dataclasses,
never driver records. The caller owns the transaction."""

from recovery.store.follows import *  # noqa: F403
from recovery.store.lookups import *  # noqa: F403
from recovery.store.members import *  # noqa: F403
from recovery.store.oauth import *  # noqa: F403
from recovery.store.peers import *  # noqa: F403
from recovery.store.posts import *  # noqa: F403
