"""ActivityStreams vocabulary as Hearth reads and writes it.

Constants only (and one pure helper): the JSON-LD contexts, Hearth's own
namespace, the public collection, the ActivityStreams media types and the type
names the converters sort documents by. Hearth reads compact JSON the way
Mastodon-family servers send it and never expands JSON-LD, so these names are
compared as plain strings.
"""

from __future__ import annotations

from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
MASTODON_NS = "http://joinmastodon.org/ns#"

# Hearth's own terms (milestones, labels) live here, e.g. "hearth:milestone".
HEARTH_NS = "https://hearth.community/ns#"
HEARTH_PREFIX = "hearth"
MILESTONE = "hearth:milestone"

# What Hearth puts in "@context" of every document it sends. `Label` and
# `LabelDefinition` follow the FEP-4c96 draft, which names no namespace yet,
# so they are defined in Hearth's. Copy it before changing anything in it.
CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        HEARTH_PREFIX: HEARTH_NS,
        "toot": MASTODON_NS,
        "sensitive": "as:sensitive",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "Hashtag": "as:Hashtag",
        "discoverable": "toot:discoverable",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "votersCount": "toot:votersCount",
        "Label": "hearth:Label",
        "LabelDefinition": "hearth:LabelDefinition",
    },
]

# The public collection, and the two short forms servers also send for it.
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

# Media types. Hearth sends ACTIVITY_JSON; it accepts both.
ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
LD_JSON_AS = f'{LD_JSON}; profile="{AS_CONTEXT}"'
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON_AS}"

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})

# ActivityStreams activities, plus the extensions real servers send
# (Pleroma's and Misskey's EmojiReact). Question is left out on purpose:
# everyone sends it as an object (a poll), never as an activity.
ACTIVITY_TYPES = frozenset(
    {
        "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete",
        "Dislike", "Flag", "Follow", "Ignore", "Invite", "Join", "Leave",
        "Like", "Listen", "Move", "Offer", "Read", "Reject", "Remove",
        "TentativeAccept", "TentativeReject", "Travel", "Undo", "Update",
        "View", "EmojiReact",
    }
)  # fmt: skip

# Objects that carry something to read: the converters make a Post of these.
POST_TYPES = frozenset(
    {"Note", "Article", "Page", "Question", "Event", "Video", "Audio", "Image", "ChatMessage"}
)
OBJECT_TYPES = POST_TYPES | {"Document", "Place", "Profile", "Relationship", "Tombstone"}
COLLECTION_TYPES = frozenset(
    {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}
)


def is_activitystreams_media_type(content_type: str) -> bool:
    """Whether a Content-Type (or one Accept entry) names ActivityStreams JSON:
    `application/activity+json`, or `application/ld+json` whose profile, if it
    gives one, is the ActivityStreams context."""
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == ACTIVITY_JSON:
        return True
    if media_type != LD_JSON:
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "profile":
            return AS_CONTEXT in value.strip().strip('"').split()
    return True
