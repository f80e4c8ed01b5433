-- Hearth's whole database schema. Safe to run again: every statement is
-- idempotent, nothing is ever dropped. Applied at start-up (web.database)
-- under an advisory lock, so several processes starting at once are fine.

-- One row: secrets every process of an instance must share (cookie signing).
CREATE TABLE IF NOT EXISTS instance_secret (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    signing_key bytea NOT NULL CHECK (octet_length(signing_key) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Members are pseudonymous: no email, no real name, no IP address.
CREATE TABLE IF NOT EXISTS members (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username               text NOT NULL CHECK (username ~ '^[A-Za-z0-9_]{1,30}$'),
    display_name           text NOT NULL DEFAULT '' CHECK (char_length(display_name) <= 60),
    bio                    text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 1000),
    password_hash          text NOT NULL,
    role                   text NOT NULL DEFAULT 'member'
                           CHECK (role IN ('member', 'moderator', 'admin')),
    status                 text NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'pending', 'suspended')),
    guidelines_accepted_at timestamptz NOT NULL,
    -- Published on the member's actor. Private by default: follows wait for
    -- the member's approval, and the profile is not offered to directories.
    manually_approves_followers boolean NOT NULL DEFAULT true,
    discoverable           boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS members_username_lower_key ON members (lower(username));
CREATE INDEX IF NOT EXISTS members_pending_idx ON members (created_at) WHERE status = 'pending';

-- Usernames of deleted accounts are never given out again, so nobody can
-- take over a name that others (and, later, peer instances) knew.
CREATE TABLE IF NOT EXISTS retired_usernames (
    username_lower text PRIMARY KEY,
    retired_at     timestamptz NOT NULL DEFAULT now()
);

-- One-time codes shown once at sign-up; they stand in for email resets.
CREATE TABLE IF NOT EXISTS recovery_codes (
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (member_id, code_hash)
);

-- Server-side sessions: the cookie carries a signed random token, the table
-- only its hash, so logging out or deleting an account ends it everywhere.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash bytea PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_member_idx ON sessions (member_id);

-- Failed logins per account (never per address: no IP is stored).
CREATE TABLE IF NOT EXISTS login_failures (
    member_id         bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    failures          integer NOT NULL,
    window_started_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS invites (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{16,64}$'),
    created_by bigint REFERENCES members (id) ON DELETE SET NULL,
    max_uses   integer NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    uses       integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Federation: each member is a Person actor with an RSA key pair made at
-- sign-up. Private keys live apart from members, so no query that reads a
-- profile ever touches one, and nothing serves them.
CREATE TABLE IF NOT EXISTS member_keys (
    member_id       bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    public_key_pem  text NOT NULL,
    private_key_pem text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The instance's own Application actor, which signs instance-level fetches.
CREATE TABLE IF NOT EXISTS instance_actor (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    public_key_pem  text NOT NULL,
    private_key_pem text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Actors of other servers, as last fetched; their keys verify what they send.
CREATE TABLE IF NOT EXISTS remote_actors (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri                         text NOT NULL UNIQUE,
    key_id                      text UNIQUE,
    public_key_pem              text,
    host                        text NOT NULL,
    type                        text NOT NULL,
    preferred_username          text,
    name                        text,
    url                         text,
    inbox                       text,
    shared_inbox                text,
    followers                   text,
    manually_approves_followers boolean NOT NULL DEFAULT false,
    document                    jsonb NOT NULL,
    fetched_at                  timestamptz NOT NULL DEFAULT now(),
    gone_at                     timestamptz,
    moved_to                    text
);
CREATE INDEX IF NOT EXISTS remote_actors_handle_idx
    ON remote_actors (lower(preferred_username), host);

-- Domains this community will not federate with: refused before any fetch.
CREATE TABLE IF NOT EXISTS domain_blocks (
    domain     text PRIMARY KEY CHECK (domain = lower(domain)),
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Verified activities as received, once each; a worker processes them.
CREATE TABLE IF NOT EXISTS inbox_activities (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id     text NOT NULL UNIQUE,
    actor_uri       text NOT NULL,
    activity_type   text NOT NULL,
    payload         jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    last_error      text
);
CREATE INDEX IF NOT EXISTS inbox_activities_due_idx
    ON inbox_activities (next_attempt_at) WHERE processed_at IS NULL;
-- The worker claims the oldest waiting rows (ORDER BY id): without this, that
-- walks the primary key past every row ever processed, ~0.5 ms per 1,000.
CREATE INDEX IF NOT EXISTS inbox_activities_waiting_idx
    ON inbox_activities (id) WHERE processed_at IS NULL;

-- Who follows whom. Exactly one side of each pair is local or remote; a
-- follow of a member who approves followers waits as 'pending'.
CREATE TABLE IF NOT EXISTS follows (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri                text NOT NULL UNIQUE,
    follower_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    follower_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    followed_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    followed_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    state              text NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((follower_member_id IS NULL) <> (follower_remote_id IS NULL)),
    CHECK ((followed_member_id IS NULL) <> (followed_remote_id IS NULL)),
    CHECK (follower_remote_id IS NULL OR followed_remote_id IS NULL)
);
CREATE UNIQUE INDEX IF NOT EXISTS follows_pair_key ON follows (
    coalesce(follower_member_id, 0), coalesce(follower_remote_id, 0),
    coalesce(followed_member_id, 0), coalesce(followed_remote_id, 0));
CREATE INDEX IF NOT EXISTS follows_followed_member_idx ON follows (followed_member_id, state);
CREATE INDEX IF NOT EXISTS follows_follower_member_idx ON follows (follower_member_id, state);
-- "Does anyone here follow this remote actor?", asked for each followers-only
-- post that arrives.
CREATE INDEX IF NOT EXISTS follows_followed_remote_idx ON follows (followed_remote_id, state);

-- Posts, local and remote. Local posts have no uri: it is made from the id.
-- 'community' posts are shown here and never federated.
CREATE TABLE IF NOT EXISTS posts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri              text UNIQUE,
    author_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    author_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    visibility       text NOT NULL
                     CHECK (visibility IN ('public', 'unlisted', 'followers', 'direct', 'community')),
    content_html     text NOT NULL,
    summary          text NOT NULL DEFAULT '',
    sensitive        boolean NOT NULL DEFAULT false,
    in_reply_to_uri  text,
    in_reply_to_id   bigint REFERENCES posts (id) ON DELETE SET NULL,
    context_uri      text,
    url              text,
    recipients       text[] NOT NULL DEFAULT '{}',
    published_at     timestamptz NOT NULL DEFAULT now(),
    edited_at        timestamptz,
    CHECK ((author_member_id IS NULL) <> (author_remote_id IS NULL)),
    CHECK ((uri IS NULL) = (author_remote_id IS NULL))
);
CREATE INDEX IF NOT EXISTS posts_member_idx ON posts (author_member_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_remote_idx ON posts (author_remote_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_reply_idx ON posts (in_reply_to_id);

-- Ids of deleted remote objects: a Create arriving after its Delete is ignored.
CREATE TABLE IF NOT EXISTS tombstones (
    uri        text PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

-- Likes and boosts, by local members or remote actors.
CREATE TABLE IF NOT EXISTS reactions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('like', 'boost')),
    uri              text NOT NULL UNIQUE,
    post_id          bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_member_id  bigint REFERENCES members (id) ON DELETE CASCADE,
    actor_remote_id  bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((actor_member_id IS NULL) <> (actor_remote_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS reactions_once_key ON reactions (
    kind, post_id, coalesce(actor_member_id, 0), coalesce(actor_remote_id, 0));

-- Outgoing activities, one row per target inbox, queued in the transaction
-- of the change that caused them and claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE IF NOT EXISTS deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id      text NOT NULL,
    inbox            text NOT NULL,
    host             text NOT NULL,
    signer_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    payload          jsonb NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    failed_at        timestamptz,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX IF NOT EXISTS deliveries_due_idx ON deliveries (next_attempt_at, host)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Peer hosts that keep failing: after failures on several distinct days a
-- host is skipped until it answers again or sends us a signed request.
CREATE TABLE IF NOT EXISTS peer_hosts (
    host              text PRIMARY KEY,
    failure_days      date[] NOT NULL DEFAULT '{}',
    unavailable_since timestamptz,
    last_success_at   timestamptz
);

-- A remote actor blocking one of our members: no follows either way, and
-- nothing of the member is delivered to them.
CREATE TABLE IF NOT EXISTS remote_blocks (
    uri       text PRIMARY KEY,
    remote_id bigint NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (remote_id, member_id)
);

-- Reports (Flag) from other servers, for this community's moderators.
CREATE TABLE IF NOT EXISTS reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri          text NOT NULL UNIQUE,
    reporter_remote_id bigint REFERENCES remote_actors (id) ON DELETE SET NULL,
    content      text NOT NULL DEFAULT '',
    object_uris  text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
