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
-- A deleted account keeps only its row and key until the Delete of its actor
-- has been delivered (signed with that key); then the row goes too.
ALTER TABLE members ADD COLUMN IF NOT EXISTS deleted_at timestamptz;

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
-- A boost is a post of its own, as Mastodon's reblogs are: its author is the
-- booster, its visibility the boost's (public or unlisted), its content
-- empty, its uri the Announce's id when remote; its id orders it by the time
-- of the boost. Deleting the original deletes its boosts. Each actor boosts a
-- post once; the unique index also serves lookups by reblog_of_id.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS reblog_of_id bigint REFERENCES posts (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX IF NOT EXISTS posts_reblog_once_key ON posts (
    reblog_of_id, coalesce(author_member_id, 0), coalesce(author_remote_id, 0))
    WHERE reblog_of_id IS NOT NULL;

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
-- Boosts were once kept here (kind 'boost'); now they are posts (reblog_of_id).
-- Any left from before become boost posts, once; likes stay.
INSERT INTO posts (uri, author_member_id, author_remote_id, visibility, content_html,
                   reblog_of_id, published_at)
SELECT CASE WHEN r.actor_remote_id IS NULL THEN NULL ELSE r.uri END,
       r.actor_member_id, r.actor_remote_id,
       CASE WHEN o.visibility = 'unlisted' THEN 'unlisted' ELSE 'public' END, '',
       r.post_id, r.created_at
FROM reactions r JOIN posts o ON o.id = r.post_id
WHERE r.kind = 'boost'
ON CONFLICT DO NOTHING;
DELETE FROM reactions WHERE kind = 'boost';

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

-- Mastodon client API: OAuth 2 applications, authorization codes and tokens.
-- Secrets, codes and tokens are stored as SHA-256 hashes only.
CREATE TABLE IF NOT EXISTS oauth_apps (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     text NOT NULL UNIQUE,
    secret_hash   bytea NOT NULL,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    website       text,
    redirect_uris text[] NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash      bytea PRIMARY KEY,
    app_id         bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    member_id      bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    scopes         text[] NOT NULL,
    code_challenge text,
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- member_id is NULL for an app-only (client_credentials) token.
CREATE TABLE IF NOT EXISTS oauth_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    app_id       bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    member_id    bigint REFERENCES members (id) ON DELETE CASCADE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX IF NOT EXISTS oauth_tokens_member_idx ON oauth_tokens (member_id);
CREATE INDEX IF NOT EXISTS oauth_tokens_app_idx ON oauth_tokens (app_id);

-- Progress tracking (issue 5). Everything below is the member's own and
-- private: only the count of sober days is ever shown to others, and only
-- when the member chooses; the date of the last drink never leaves here.
CREATE TABLE IF NOT EXISTS sobriety_settings (
    member_id        bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    time_zone        text NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) <= 64),
    -- who sees the count: the member alone, members here when logged in, anyone
    visibility       text NOT NULL DEFAULT 'private'
                     CHECK (visibility IN ('private', 'community', 'public')),
    weekly_spend     numeric(10, 2) CHECK (weekly_spend >= 0),
    currency         text NOT NULL DEFAULT '' CHECK (char_length(currency) <= 8),
    hours_per_drinking_day numeric(4, 1)
                     CHECK (hours_per_drinking_day >= 0 AND hours_per_drinking_day <= 24),
    drinking_days_per_week smallint NOT NULL DEFAULT 7
                     CHECK (drinking_days_per_week BETWEEN 1 AND 7),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Each streak: from the last drink (in the member's zone) until a reset
-- closes it. At most one is open; ``next_milestone_at`` lets the milestone
-- job find the streaks that are due without computing every member's.
CREATE TABLE IF NOT EXISTS sobriety_attempts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id         bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    started_at        timestamptz NOT NULL,
    time_zone         text NOT NULL CHECK (char_length(time_zone) <= 64),
    ended_at          timestamptz,
    next_milestone_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX IF NOT EXISTS sobriety_attempts_open_key
    ON sobriety_attempts (member_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS sobriety_attempts_member_idx
    ON sobriety_attempts (member_id, started_at);
CREATE INDEX IF NOT EXISTS sobriety_attempts_due_idx
    ON sobriety_attempts (next_milestone_at) WHERE ended_at IS NULL;

-- Milestones a member adds to the conventional ones ("100 days").
CREATE TABLE IF NOT EXISTS custom_milestones (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    days       integer NOT NULL CHECK (days BETWEEN 1 AND 36600),
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, days)
);

-- Milestones reached, once per streak: the primary key is what makes a
-- milestone fire exactly once, whichever process notices it first.
CREATE TABLE IF NOT EXISTS milestones_reached (
    attempt_id     bigint NOT NULL REFERENCES sobriety_attempts (id) ON DELETE CASCADE,
    key            text NOT NULL,
    member_id      bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name           text NOT NULL,
    days           integer NOT NULL,
    reached_at     timestamptz NOT NULL,
    noticed_at     timestamptz NOT NULL DEFAULT now(),
    shared_post_id bigint REFERENCES posts (id) ON DELETE SET NULL,
    PRIMARY KEY (attempt_id, key)
);
CREATE INDEX IF NOT EXISTS milestones_reached_member_idx
    ON milestones_reached (member_id, reached_at);

-- Daily check-ins, one row per day of the member's calendar: the morning
-- pledge and the evening review. Private unless shared as a post.
CREATE TABLE IF NOT EXISTS checkins (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day         date NOT NULL,
    pledged_at  timestamptz,
    reviewed_at timestamptz,
    day_went    text CHECK (day_went IN ('good', 'okay', 'hard', 'drank')),
    cravings    smallint CHECK (cravings BETWEEN 0 AND 10),
    mood        text CHECK (mood IN ('great', 'good', 'okay', 'low', 'awful')),
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    UNIQUE (member_id, day)
);

-- What a member is told about: a milestone reached now; follows, mentions,
-- favourites and boosts later (the client API). ``payload`` is for the
-- member alone.
CREATE TABLE IF NOT EXISTS notifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (char_length(kind) <= 40),
    from_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    from_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    post_id        bigint REFERENCES posts (id) ON DELETE CASCADE,
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    read_at        timestamptz,
    dismissed      boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS notifications_member_idx
    ON notifications (member_id, id DESC) WHERE NOT dismissed;

-- A milestone post carries its milestone ({"days": 90, "name": "90 days"}),
-- ours when shared here, a peer Hearth's as it arrived in hearth:milestone.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS milestone jsonb;

-- Mastodon client API, statuses. Each edit of a post (local, or a remote
-- Update) keeps the version it replaced: the history is these rows, oldest
-- first, then the post as it is now.
CREATE TABLE IF NOT EXISTS post_edits (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id      bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    content_html text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    sensitive    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL  -- when this version was first shown
);
CREATE INDEX IF NOT EXISTS post_edits_post_idx ON post_edits (post_id, id);

-- A member's own marks on posts: bookmarks, pins (of their own posts, shown
-- on their profile) and muted conversations (by the thread's first post).
CREATE TABLE IF NOT EXISTS bookmarks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, post_id)
);
CREATE INDEX IF NOT EXISTS bookmarks_member_idx ON bookmarks (member_id, id DESC);
CREATE TABLE IF NOT EXISTS status_pins (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, post_id)
);
CREATE TABLE IF NOT EXISTS conversation_mutes (
    member_id    bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    root_post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, root_post_id)
);
-- The language a client said a post is in (ISO 639), when it said one.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS language text;
-- A client's Idempotency-Key: the same key from the same token within an
-- hour gives the post the first request made.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    token_id   bigint NOT NULL REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    key        text NOT NULL,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);

-- Client API, accounts (issue 4): a member blocks or mutes a member here or a
-- remote actor. A block ends follows both ways; a remote actor is sent a
-- Block whose id is ``uri`` (an Undo of it on unblock). A mute hides the
-- account's posts from the home timeline and, with ``notifications``, its
-- notifications; ``expires_at`` NULL mutes until unmuted.
CREATE TABLE IF NOT EXISTS blocks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri               text NOT NULL UNIQUE,
    member_id         bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    blocked_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    blocked_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((blocked_member_id IS NULL) <> (blocked_remote_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS blocks_pair_key
    ON blocks (member_id, coalesce(blocked_member_id, 0), coalesce(blocked_remote_id, 0));
CREATE INDEX IF NOT EXISTS blocks_blocked_member_idx ON blocks (blocked_member_id);

CREATE TABLE IF NOT EXISTS mutes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id       bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    muted_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    muted_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    notifications   boolean NOT NULL DEFAULT true,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((muted_member_id IS NULL) <> (muted_remote_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS mutes_pair_key
    ON mutes (member_id, coalesce(muted_member_id, 0), coalesce(muted_remote_id, 0));

-- A member's private note on an account (POST /api/v1/accounts/:id/note):
-- for the member alone, never federated.
CREATE TABLE IF NOT EXISTS account_notes (
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    target_member_id bigint REFERENCES members (id) ON DELETE CASCADE,
    target_remote_id bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    note             text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((target_member_id IS NULL) <> (target_remote_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS account_notes_pair_key ON account_notes
    (member_id, coalesce(target_member_id, 0), coalesce(target_remote_id, 0));

-- What a member sets from a client beyond the profile (update_credentials):
-- whether others see their follower lists, the bot flag, profile fields, and
-- posting defaults (source[privacy], source[sensitive], source[language]).
CREATE TABLE IF NOT EXISTS account_settings (
    member_id         bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    hide_collections  boolean NOT NULL DEFAULT false,
    bot               boolean NOT NULL DEFAULT false,
    fields            jsonb NOT NULL DEFAULT '[]',
    default_privacy   text CHECK (default_privacy IN ('public', 'unlisted', 'private')),
    default_sensitive boolean NOT NULL DEFAULT false,
    default_language  text CHECK (default_language ~ '^[a-z]{2,3}$'),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Hashtags of posts, local and remote (name case-folded, without '#'), for
-- tag timelines and /api/v1/tags. Filled when a post is stored.
CREATE TABLE IF NOT EXISTS post_tags (
    name    text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (name, post_id)
);
CREATE INDEX IF NOT EXISTS post_tags_post_idx ON post_tags (post_id);

-- Home feeds, precomputed on write: which posts (and boosts) may be in each
-- member's home timeline. Rows are candidates only: the timeline query still
-- applies the visibility rule to each. Filled by triggers, so every path that
-- stores a post or changes a follow (web pages, client API, inbox worker,
-- tests' SQL) keeps them right in its own transaction: a new post goes to its
-- author's feed and to the feeds of members following the author (a direct
-- post to the feeds of the members it names); an accepted follow brings in
-- the newest posts of the followed account; an unfollow takes them out.
CREATE TABLE IF NOT EXISTS home_feed (
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id   bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, post_id)
);
CREATE INDEX IF NOT EXISTS home_feed_post_idx ON home_feed (post_id);
-- Direct posts: found by the members they name, for conversations.
CREATE INDEX IF NOT EXISTS posts_direct_recipients_idx ON posts USING gin (recipients)
    WHERE visibility = 'direct';
-- The public timeline walks public and community posts newest first.
CREATE INDEX IF NOT EXISTS posts_listed_idx ON posts (id DESC)
    WHERE visibility IN ('public', 'community') AND reblog_of_id IS NULL;

CREATE OR REPLACE FUNCTION home_feed_post_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO home_feed (member_id, post_id)
    SELECT NEW.author_member_id, NEW.id WHERE NEW.author_member_id IS NOT NULL
    UNION
    SELECT f.follower_member_id, NEW.id FROM follows f
    WHERE NEW.visibility <> 'direct' AND NEW.author_member_id IS NOT NULL
      AND f.followed_member_id = NEW.author_member_id AND f.state = 'accepted'
      AND f.follower_member_id IS NOT NULL
    UNION
    SELECT f.follower_member_id, NEW.id FROM follows f
    WHERE NEW.visibility <> 'direct' AND NEW.author_remote_id IS NOT NULL
      AND f.followed_remote_id = NEW.author_remote_id AND f.state = 'accepted'
      AND f.follower_member_id IS NOT NULL
    UNION
    -- members a direct post names (the timeline query checks the full URI)
    SELECT m.id, NEW.id FROM members m
    WHERE NEW.visibility = 'direct' AND lower(m.username) IN (
        SELECT lower(substring(r FROM '/users/([A-Za-z0-9_]{1,30})$'))
        FROM unnest(NEW.recipients) AS r)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER home_feed_post_added AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION home_feed_post_added();

-- How many of a newly followed account's posts an accepted follow brings in.
CREATE OR REPLACE FUNCTION home_feed_follow_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = NEW.state
       AND OLD.follower_member_id IS NOT DISTINCT FROM NEW.follower_member_id
       AND OLD.followed_member_id IS NOT DISTINCT FROM NEW.followed_member_id
       AND OLD.followed_remote_id IS NOT DISTINCT FROM NEW.followed_remote_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'accepted'
       AND OLD.follower_member_id IS NOT NULL THEN
        DELETE FROM home_feed h USING posts p
        WHERE h.member_id = OLD.follower_member_id AND p.id = h.post_id
          AND p.visibility <> 'direct'
          AND (p.author_member_id = OLD.followed_member_id
               OR p.author_remote_id = OLD.followed_remote_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'accepted'
       AND NEW.follower_member_id IS NOT NULL THEN
        INSERT INTO home_feed (member_id, post_id)
        SELECT NEW.follower_member_id, p.id FROM posts p
        WHERE p.visibility <> 'direct'
          AND ((NEW.followed_member_id IS NOT NULL
                AND p.author_member_id = NEW.followed_member_id)
               OR (NEW.followed_remote_id IS NOT NULL
                   AND p.author_remote_id = NEW.followed_remote_id))
        ORDER BY p.id DESC LIMIT 400
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER home_feed_follow_changed AFTER INSERT OR UPDATE OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION home_feed_follow_changed();

-- Feeds for posts and follows from before the feeds existed: once, while
-- the table is still empty.
INSERT INTO home_feed (member_id, post_id)
SELECT p.author_member_id, p.id FROM posts p
WHERE p.author_member_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM home_feed)
UNION
SELECT f.follower_member_id, p.id FROM follows f
JOIN posts p ON p.visibility <> 'direct'
            AND (p.author_member_id = f.followed_member_id
                 OR p.author_remote_id = f.followed_remote_id)
WHERE f.state = 'accepted' AND f.follower_member_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM home_feed)
UNION
SELECT m.id, p.id FROM posts p
JOIN members m ON p.visibility = 'direct' AND lower(m.username) IN (
    SELECT lower(substring(r FROM '/users/([A-Za-z0-9_]{1,30})$')) FROM unnest(p.recipients) AS r)
WHERE NOT EXISTS (SELECT 1 FROM home_feed)
ON CONFLICT DO NOTHING;

-- A member's marks on a direct conversation (named by its thread's first
-- post): read up to a post, removed from the list up to a post (a newer
-- post brings it back, as on Mastodon).
CREATE TABLE IF NOT EXISTS conversation_marks (
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    root_post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    read_up_to    bigint,
    removed_up_to bigint,
    PRIMARY KEY (member_id, root_post_id)
);

-- Likes of a page of posts, and the member's own likes among them.
CREATE INDEX IF NOT EXISTS reactions_post_idx ON reactions (post_id);

-- Each account's post count and latest post, kept on write (a trigger on
-- posts), so an Account entity costs one row, not a scan of every post of
-- its author. As account_stats counts them: a member's public and unlisted
-- posts and boosts; everything known of a remote actor.
CREATE TABLE IF NOT EXISTS account_counts (
    member_id      bigint UNIQUE REFERENCES members (id) ON DELETE CASCADE,
    remote_id      bigint UNIQUE REFERENCES remote_actors (id) ON DELETE CASCADE,
    statuses       bigint NOT NULL DEFAULT 0,
    last_status_at timestamptz,
    CHECK ((member_id IS NULL) <> (remote_id IS NULL))
);

CREATE OR REPLACE FUNCTION account_counts_post_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN  -- never an insert here: the author may be going too
        UPDATE account_counts SET statuses = greatest(statuses - 1, 0)
        WHERE (member_id = OLD.author_member_id AND OLD.visibility IN ('public', 'unlisted'))
           OR remote_id = OLD.author_remote_id;
    ELSIF NEW.author_member_id IS NOT NULL THEN
        INSERT INTO account_counts AS c (member_id, statuses, last_status_at)
        VALUES (NEW.author_member_id,
                CASE WHEN NEW.visibility IN ('public', 'unlisted') THEN 1 ELSE 0 END,
                NEW.published_at)
        ON CONFLICT (member_id) DO UPDATE SET
            statuses = c.statuses + EXCLUDED.statuses,
            last_status_at = greatest(c.last_status_at, EXCLUDED.last_status_at);
    ELSE
        INSERT INTO account_counts AS c (remote_id, statuses, last_status_at)
        VALUES (NEW.author_remote_id, 1, NEW.published_at)
        ON CONFLICT (remote_id) DO UPDATE SET
            statuses = c.statuses + 1,
            last_status_at = greatest(c.last_status_at, EXCLUDED.last_status_at);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER account_counts_post_changed AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION account_counts_post_changed();

-- Counts for posts from before the table existed: once, while it is empty.
INSERT INTO account_counts (member_id, remote_id, statuses, last_status_at)
SELECT author_member_id, author_remote_id,
       count(*) FILTER (WHERE author_remote_id IS NOT NULL
                        OR visibility IN ('public', 'unlisted')),
       max(published_at)
FROM posts WHERE NOT EXISTS (SELECT 1 FROM account_counts)
GROUP BY author_member_id, author_remote_id;

-- Followers and following, kept on write too (a trigger on follows): counting
-- them for each account of a page cost more than the rest of the page. Only
-- accepted follows count. On a delete the rows are only updated, never
-- inserted: the account may be going in the same statement.
ALTER TABLE account_counts ADD COLUMN IF NOT EXISTS followers bigint NOT NULL DEFAULT 0;
ALTER TABLE account_counts ADD COLUMN IF NOT EXISTS following bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION account_counts_add_follows(
    member bigint, remote bigint, add_followers integer, add_following integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF member IS NOT NULL THEN
        INSERT INTO account_counts AS c (member_id, followers, following)
        VALUES (member, add_followers, add_following)
        ON CONFLICT (member_id) DO UPDATE SET followers = c.followers + add_followers,
                                              following = c.following + add_following;
    ELSE
        INSERT INTO account_counts AS c (remote_id, followers, following)
        VALUES (remote, add_followers, add_following)
        ON CONFLICT (remote_id) DO UPDATE SET followers = c.followers + add_followers,
                                              following = c.following + add_following;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION account_counts_follow_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state = 'accepted' THEN
        UPDATE account_counts SET followers = greatest(followers - 1, 0)
        WHERE member_id = OLD.followed_member_id OR remote_id = OLD.followed_remote_id;
        UPDATE account_counts SET following = greatest(following - 1, 0)
        WHERE member_id = OLD.follower_member_id OR remote_id = OLD.follower_remote_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'accepted' THEN
        PERFORM account_counts_add_follows(NEW.followed_member_id, NEW.followed_remote_id, 1, 0);
        PERFORM account_counts_add_follows(NEW.follower_member_id, NEW.follower_remote_id, 0, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER account_counts_follow_changed
    AFTER INSERT OR DELETE OR UPDATE OF state, follower_member_id, follower_remote_id,
                                         followed_member_id, followed_remote_id
    ON follows FOR EACH ROW EXECUTE FUNCTION account_counts_follow_changed();

-- Each post's likes, boosts and replies, kept on write (triggers on reactions
-- and posts) for the same reason: three counts per post of a page.
CREATE TABLE IF NOT EXISTS post_counts (
    post_id bigint PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    likes   bigint NOT NULL DEFAULT 0,
    boosts  bigint NOT NULL DEFAULT 0,
    replies bigint NOT NULL DEFAULT 0
);

CREATE OR REPLACE FUNCTION post_counts_add(
    post bigint, add_likes integer, add_boosts integer, add_replies integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF add_likes + add_boosts + add_replies < 0 THEN  -- never insert: the post may be going
        UPDATE post_counts SET likes = greatest(likes + add_likes, 0),
                               boosts = greatest(boosts + add_boosts, 0),
                               replies = greatest(replies + add_replies, 0)
        WHERE post_id = post;
    ELSE
        INSERT INTO post_counts AS c (post_id, likes, boosts, replies)
        VALUES (post, add_likes, add_boosts, add_replies)
        ON CONFLICT (post_id) DO UPDATE SET likes = c.likes + add_likes,
                                            boosts = c.boosts + add_boosts,
                                            replies = c.replies + add_replies;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION post_counts_post_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    changed posts;
BEGIN
    IF TG_OP = 'INSERT' THEN changed := NEW; ELSE changed := OLD; END IF;
    IF changed.reblog_of_id IS NOT NULL THEN
        PERFORM post_counts_add(changed.reblog_of_id, 0, sign, 0);
    END IF;
    IF changed.in_reply_to_id IS NOT NULL THEN
        PERFORM post_counts_add(changed.in_reply_to_id, 0, 0, sign);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER post_counts_post_changed AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION post_counts_post_changed();

-- A reply whose parent goes loses its link (ON DELETE SET NULL): nothing to
-- count then, the parent's row goes with it.
CREATE OR REPLACE FUNCTION post_counts_reaction_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.kind = 'like' THEN
        PERFORM post_counts_add(NEW.post_id, 1, 0, 0);
    ELSIF TG_OP = 'DELETE' AND OLD.kind = 'like' THEN
        PERFORM post_counts_add(OLD.post_id, -1, 0, 0);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER post_counts_reaction_changed AFTER INSERT OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION post_counts_reaction_changed();

-- Counts for what was there before these triggers: once (the schema is
-- applied under an advisory lock, so by one process at a time).
CREATE TABLE IF NOT EXISTS schema_backfills (
    name    text PRIMARY KEY,
    done_at timestamptz NOT NULL DEFAULT now()
);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM schema_backfills WHERE name = 'follow_counts') THEN
        UPDATE account_counts SET followers = 0, following = 0;
        INSERT INTO account_counts AS c (member_id, followers, following)
        SELECT id, (SELECT count(*) FROM follows f
                    WHERE f.followed_member_id = m.id AND f.state = 'accepted'),
                   (SELECT count(*) FROM follows f
                    WHERE f.follower_member_id = m.id AND f.state = 'accepted')
        FROM members m
        ON CONFLICT (member_id) DO UPDATE SET followers = EXCLUDED.followers,
                                              following = EXCLUDED.following;
        INSERT INTO account_counts AS c (remote_id, followers, following)
        SELECT r, sum(fr), sum(fg)
        FROM (SELECT followed_remote_id AS r, 1 AS fr, 0 AS fg FROM follows
              WHERE followed_remote_id IS NOT NULL AND state = 'accepted'
              UNION ALL
              SELECT follower_remote_id, 0, 1 FROM follows
              WHERE follower_remote_id IS NOT NULL AND state = 'accepted') f
        GROUP BY r
        ON CONFLICT (remote_id) DO UPDATE SET followers = EXCLUDED.followers,
                                              following = EXCLUDED.following;
        INSERT INTO schema_backfills (name) VALUES ('follow_counts');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM schema_backfills WHERE name = 'post_counts') THEN
        INSERT INTO post_counts (post_id, likes, boosts, replies)
        SELECT id, sum(l), sum(b), sum(r)
        FROM (SELECT post_id AS id, 1 AS l, 0 AS b, 0 AS r FROM reactions WHERE kind = 'like'
              UNION ALL
              SELECT reblog_of_id, 0, 1, 0 FROM posts WHERE reblog_of_id IS NOT NULL
              UNION ALL
              SELECT in_reply_to_id, 0, 0, 1 FROM posts WHERE in_reply_to_id IS NOT NULL) c
        GROUP BY id
        ON CONFLICT (post_id) DO UPDATE SET likes = EXCLUDED.likes, boosts = EXCLUDED.boosts,
                                            replies = EXCLUDED.replies;
        INSERT INTO schema_backfills (name) VALUES ('post_counts');
    END IF;
END $$;

-- Client API, notifications/markers/filters/reports (issue 4). Where a member
-- stopped reading their home timeline and their notifications: one row per
-- member and timeline; ``version`` counts the changes.
CREATE TABLE IF NOT EXISTS markers (
    member_id    bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    timeline     text NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id bigint NOT NULL,
    version      integer NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, timeline)
);

-- A member's filters: keywords and posts that are hidden, or shown behind a
-- warning, in the contexts named (home, notifications, public, thread,
-- account). For the member alone; never federated.
CREATE TABLE IF NOT EXISTS filters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    context    text[] NOT NULL,
    action     text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide')),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS filters_member_idx ON filters (member_id);
CREATE TABLE IF NOT EXISTS filter_keywords (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    filter_id  bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    text NOT NULL CHECK (char_length(keyword) BETWEEN 1 AND 200),
    whole_word boolean NOT NULL DEFAULT true
);
CREATE INDEX IF NOT EXISTS filter_keywords_filter_idx ON filter_keywords (filter_id);
CREATE TABLE IF NOT EXISTS filter_statuses (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    filter_id  bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    UNIQUE (filter_id, post_id)
);

-- Reports from members here (the client API's POST /api/v1/reports): who
-- reported (kept from the moderators' list only by the member's deletion),
-- whom, the posts named, why, and whether a Flag went to the account's server.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS reporter_member_id bigint
    REFERENCES members (id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS target_member_id bigint
    REFERENCES members (id) ON DELETE CASCADE;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS target_remote_id bigint
    REFERENCES remote_actors (id) ON DELETE CASCADE;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS post_ids bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS category text NOT NULL DEFAULT 'other';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS rule_ids integer[] NOT NULL DEFAULT '{}';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS forwarded boolean NOT NULL DEFAULT false;

-- Media: images members upload (re-encoded without metadata, stored under
-- generated names in the media directory) and remote posts' attachments
-- (their remote addresses, never fetched). An upload waits unattached until
-- a post takes it; unattached ones, and those whose post is gone, are
-- deleted with their files by a job.
CREATE TABLE IF NOT EXISTS media_attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id    bigint REFERENCES members (id) ON DELETE CASCADE,
    post_id      bigint REFERENCES posts (id) ON DELETE SET NULL,
    position     smallint NOT NULL DEFAULT 0,
    media_type   text NOT NULL,
    file_name    text UNIQUE,
    preview_name text,
    remote_url   text,
    description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1500),
    focus_x      real NOT NULL DEFAULT 0 CHECK (focus_x BETWEEN -1 AND 1),
    focus_y      real NOT NULL DEFAULT 0 CHECK (focus_y BETWEEN -1 AND 1),
    meta         jsonb NOT NULL DEFAULT '{}',
    blurhash     text,
    attached_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((file_name IS NULL) <> (remote_url IS NULL))
);
CREATE INDEX IF NOT EXISTS media_attachments_post_idx ON media_attachments (post_id, position)
    WHERE post_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS media_attachments_unattached_idx ON media_attachments (created_at)
    WHERE post_id IS NULL;
-- A member's avatar and header: files in the media directory.
ALTER TABLE members ADD COLUMN IF NOT EXISTS avatar_file text;
ALTER TABLE members ADD COLUMN IF NOT EXISTS header_file text;

-- Lists (docs.joinmastodon.org/methods/lists): a member's named groups of
-- accounts they follow, each with its own timeline. An account is in a list
-- through the member's follow of it (pending or accepted), so an unfollow or
-- a block, by any path, takes it out of their lists, as on Mastodon.
-- ``exclusive``: the list's posts are meant to stay out of the home timeline.
CREATE TABLE IF NOT EXISTS lists (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title          text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    replies_policy text NOT NULL DEFAULT 'list'
                   CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS lists_member_idx ON lists (member_id);
CREATE TABLE IF NOT EXISTS list_accounts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    follow_id  bigint NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
    UNIQUE (list_id, follow_id)
);
CREATE INDEX IF NOT EXISTS list_accounts_follow_idx ON list_accounts (follow_id);

-- Scheduled posts (docs.joinmastodon.org/methods/scheduled_statuses): what a
-- member asked to post later. A job claims the due ones (FOR UPDATE SKIP
-- LOCKED), writes each post as an immediate one is written, and deletes the
-- row in that same transaction. in_reply_to_id has no foreign key on
-- purpose: a reply whose target is gone by then is dropped (and logged).
CREATE TABLE IF NOT EXISTS scheduled_posts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    app_id         bigint REFERENCES oauth_apps (id) ON DELETE SET NULL,
    scheduled_at   timestamptz NOT NULL,
    text           text NOT NULL,
    summary        text NOT NULL DEFAULT '',
    visibility     text NOT NULL
                   CHECK (visibility IN ('public', 'unlisted', 'followers', 'direct', 'community')),
    sensitive      boolean NOT NULL DEFAULT false,
    in_reply_to_id bigint,
    language       text,
    idempotency    text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS scheduled_posts_due_idx ON scheduled_posts (scheduled_at);
CREATE INDEX IF NOT EXISTS scheduled_posts_member_idx ON scheduled_posts (member_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS scheduled_posts_idempotency_idx
    ON scheduled_posts (member_id, idempotency) WHERE idempotency IS NOT NULL;
-- A scheduled post's images: the member's uploads it holds (in ``position``
-- order) until it is published, when they are attached to the post. While
-- held they do not expire; cancelling the post lets them go (SET NULL), and
-- they then expire as any upload left unattached does.
ALTER TABLE media_attachments ADD COLUMN IF NOT EXISTS scheduled_post_id bigint
    REFERENCES scheduled_posts (id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS media_attachments_scheduled_idx
    ON media_attachments (scheduled_post_id, position) WHERE scheduled_post_id IS NOT NULL;

-- What a member chose when following an account (POST
-- /api/v1/accounts/:id/follow, reblogs and notify): whether its boosts reach
-- their home feed, and whether they are told of its new posts (a ``status``
-- notification, recovery/notices.py).
ALTER TABLE follows ADD COLUMN IF NOT EXISTS show_reblogs boolean NOT NULL DEFAULT true;
ALTER TABLE follows ADD COLUMN IF NOT EXISTS notify boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS follows_notify_member_idx ON follows (followed_member_id)
    WHERE notify;
CREATE INDEX IF NOT EXISTS follows_notify_remote_idx ON follows (followed_remote_id)
    WHERE notify;
-- The languages a member chose to see an account's posts in (follow's
-- languages[]); NULL: all. The home timeline leaves out that account's posts
-- in other languages (a post with no language shows), as Mastodon does; the
-- partial index keeps the check a probe of an index that is mostly empty.
ALTER TABLE follows ADD COLUMN IF NOT EXISTS languages text[]
    CHECK (cardinality(languages) BETWEEN 1 AND 100);
CREATE INDEX IF NOT EXISTS follows_languages_idx ON follows (follower_member_id)
    WHERE languages IS NOT NULL;

-- A boost by an account the member follows with boosts hidden never enters
-- their home feed, whichever path adds it (the feed triggers above, or any
-- other): the row is skipped.
CREATE OR REPLACE FUNCTION home_feed_hidden_boost() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM posts p JOIN follows f
                 ON f.follower_member_id = NEW.member_id AND NOT f.show_reblogs
                AND (f.followed_member_id = p.author_member_id
                     OR f.followed_remote_id = p.author_remote_id)
               WHERE p.id = NEW.post_id AND p.reblog_of_id IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER home_feed_hidden_boost BEFORE INSERT ON home_feed
    FOR EACH ROW EXECUTE FUNCTION home_feed_hidden_boost();

-- Boosts shown again or hidden: the account's boosts come into the
-- follower's feed (the newest 400) or leave it.
CREATE OR REPLACE FUNCTION home_feed_reblogs_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> 'accepted' OR NEW.follower_member_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.show_reblogs THEN
        INSERT INTO home_feed (member_id, post_id)
        SELECT NEW.follower_member_id, p.id FROM posts p
        WHERE p.reblog_of_id IS NOT NULL
          AND ((NEW.followed_member_id IS NOT NULL
                AND p.author_member_id = NEW.followed_member_id)
               OR (NEW.followed_remote_id IS NOT NULL
                   AND p.author_remote_id = NEW.followed_remote_id))
        ORDER BY p.id DESC LIMIT 400
        ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM home_feed h USING posts p
        WHERE h.member_id = NEW.follower_member_id AND p.id = h.post_id
          AND p.reblog_of_id IS NOT NULL
          AND (p.author_member_id = NEW.followed_member_id
               OR p.author_remote_id = NEW.followed_remote_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER home_feed_reblogs_changed AFTER UPDATE OF show_reblogs ON follows
    FOR EACH ROW WHEN (OLD.show_reblogs IS DISTINCT FROM NEW.show_reblogs)
    EXECUTE FUNCTION home_feed_reblogs_changed();

-- Web Push (docs.joinmastodon.org/methods/push; recovery/push.py). One VAPID
-- key pair per instance (RFC 8292), made on first use; base64url, the private
-- key as its 32-byte scalar, the public one as the uncompressed point. The
-- token key seals subscriptions' access tokens (AES-GCM).
CREATE TABLE IF NOT EXISTS push_vapid_key (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    private_key text NOT NULL,
    public_key  text NOT NULL,
    token_key   bytea NOT NULL CHECK (octet_length(token_key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- One subscription per access token. Mastodon's push payload carries the
-- token so an app knows which of its accounts a push is for: it is kept
-- sealed (never in plain text, as oauth_tokens keeps only hashes), and the
-- row goes when the token is revoked (trigger below).
CREATE TABLE IF NOT EXISTS push_subscriptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_id     bigint NOT NULL UNIQUE REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    member_id    bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    sealed_token bytea NOT NULL,
    endpoint     text NOT NULL CHECK (char_length(endpoint) <= 2048),
    p256dh       text NOT NULL,
    auth         text NOT NULL,
    alerts       text[] NOT NULL DEFAULT '{}',
    policy       text NOT NULL DEFAULT 'all'
                 CHECK (policy IN ('all', 'followed', 'follower', 'none')),
    -- RFC 8291/8292 (aes128gcm, "vapid"); false: the drafts Mastodon sent
    -- before 4.4 (aesgcm, "WebPush"), which apps that do not ask get.
    standard     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS push_subscriptions_member_idx ON push_subscriptions (member_id);
-- Pushes to send: one per subscription and notification, claimed FOR UPDATE
-- SKIP LOCKED by the push job (web/push_sender.py); a claim moves
-- next_attempt_at on, so a process that dies mid-send leaves it for a retry.
CREATE TABLE IF NOT EXISTS push_jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, notification_id)
);
CREATE INDEX IF NOT EXISTS push_jobs_due_idx ON push_jobs (next_attempt_at);
CREATE INDEX IF NOT EXISTS push_jobs_notification_idx ON push_jobs (notification_id);

CREATE OR REPLACE FUNCTION push_subscription_token_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM push_subscriptions WHERE token_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER push_subscription_token_revoked
    AFTER UPDATE OF revoked_at ON oauth_tokens
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION push_subscription_token_revoked();

-- Polls (docs.joinmastodon.org/entities/Poll): at most one per post, local
-- or a remote Question's. Local polls are counted from poll_votes; a remote
-- poll keeps the counts its server last reported (remote_counts,
-- remote_voters) plus the votes sent from here since. A vote row is one
-- voter's one choice; the unique indexes keep a vote from being counted
-- twice, and voting locks the poll row (SELECT ... FOR UPDATE) so two
-- concurrent votes of one voter on a single-choice poll cannot both land.
CREATE TABLE IF NOT EXISTS polls (
    post_id       bigint PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    options       text[] NOT NULL CHECK (cardinality(options) BETWEEN 1 AND 20),
    multiple      boolean NOT NULL DEFAULT false,
    hide_totals   boolean NOT NULL DEFAULT false,
    expires_at    timestamptz,
    remote_counts integer[],
    remote_voters integer,
    ended_at      timestamptz,           -- set once the poll's end was handled
    changed_at    timestamptz,           -- a vote came since the last Update was sent
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS polls_ending_idx ON polls (expires_at) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS polls_changed_idx ON polls (changed_at) WHERE changed_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS poll_votes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint NOT NULL REFERENCES polls (post_id) ON DELETE CASCADE,
    choice     integer NOT NULL CHECK (choice >= 0),
    member_id  bigint REFERENCES members (id) ON DELETE CASCADE,
    remote_id  bigint REFERENCES remote_actors (id) ON DELETE CASCADE,
    uri        text UNIQUE,  -- a remote vote's Note id, or the id of the Note sent
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((member_id IS NULL) <> (remote_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS poll_votes_member_idx
    ON poll_votes (post_id, member_id, choice) WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS poll_votes_remote_idx
    ON poll_votes (post_id, remote_id, choice) WHERE remote_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS poll_votes_member_id_idx ON poll_votes (member_id)
    WHERE member_id IS NOT NULL;

-- Hashtags a member follows (docs.joinmastodon.org/methods/tags#follow):
-- public and community posts carrying one come into their home feed as they
-- are stored (a post's tags are written with it, or on an edit), and the
-- newest 100 such posts when they start following. ``name`` as post_tags
-- keeps it (case-folded, without '#'); ``id`` pages /api/v1/followed_tags.
CREATE TABLE IF NOT EXISTS followed_tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, name)
);
CREATE INDEX IF NOT EXISTS followed_tags_name_idx ON followed_tags (name);

CREATE OR REPLACE FUNCTION home_feed_tag_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO home_feed (member_id, post_id)
    SELECT ft.member_id, p.id FROM followed_tags ft JOIN posts p ON p.id = NEW.post_id
    WHERE ft.name = NEW.name AND p.visibility IN ('public', 'community')
      AND p.reblog_of_id IS NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER home_feed_tag_added AFTER INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION home_feed_tag_added();

-- The client API keeps what it built for a post under the version (xmin) of
-- the post's row (web/api/entity_cache.py). An attached image's description
-- or focal point lives in its own row, so changing it writes the post's row
-- again: a new version, built afresh by every process.
CREATE OR REPLACE FUNCTION media_attachment_touches_post() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.post_id IS NOT NULL THEN
        UPDATE posts SET sensitive = sensitive WHERE id = NEW.post_id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER media_attachment_touches_post
    AFTER UPDATE OF description, focus_x, focus_y ON media_attachments
    FOR EACH ROW WHEN (OLD.description IS DISTINCT FROM NEW.description
                       OR OLD.focus_x IS DISTINCT FROM NEW.focus_x
                       OR OLD.focus_y IS DISTINCT FROM NEW.focus_y)
    EXECUTE FUNCTION media_attachment_touches_post();

-- Each member's home version: raised by every change that can change what
-- their home timeline lists (rows of their feed, their follows, blocks both
-- ways, mutes, exclusive lists, filters, and the visibility, recipients or
-- language of a post in their feed). The token look-up reads it, so a
-- process may serve the member's home page from what it kept under the same
-- version (web/api/entity_cache.py); the posts' contents and counts are
-- checked on each request all the same.
CREATE TABLE IF NOT EXISTS home_versions (
    member_id bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    version   bigint NOT NULL DEFAULT 0
);

-- In member order, so two posts fanned out at once to overlapping sets of
-- followers wait for each other rather than deadlock.
CREATE OR REPLACE FUNCTION raise_home_versions(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO home_versions AS v (member_id, version)
    SELECT m.id, 1 FROM members m WHERE m.id = ANY (ids) ORDER BY m.id
    ON CONFLICT (member_id) DO UPDATE SET version = v.version + 1;
$$;

CREATE OR REPLACE FUNCTION home_feed_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM raise_home_versions(ARRAY(SELECT DISTINCT member_id FROM old_rows));
    ELSE
        PERFORM raise_home_versions(ARRAY(SELECT DISTINCT member_id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER home_feed_rows_added AFTER INSERT ON home_feed
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION home_feed_rows_changed();
CREATE OR REPLACE TRIGGER home_feed_rows_removed AFTER DELETE ON home_feed
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION home_feed_rows_changed();

-- A row of follows, blocks, mutes, lists or filters: the members it concerns.
CREATE OR REPLACE FUNCTION home_settings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    ids bigint[];
BEGIN
    IF TG_TABLE_NAME = 'follows' THEN
        ids := ARRAY[(old_row->>'follower_member_id')::bigint,
                     (new_row->>'follower_member_id')::bigint];
    ELSIF TG_TABLE_NAME = 'blocks' THEN
        ids := ARRAY[(old_row->>'member_id')::bigint, (new_row->>'member_id')::bigint,
                     (old_row->>'blocked_member_id')::bigint,
                     (new_row->>'blocked_member_id')::bigint];
    ELSIF TG_TABLE_NAME IN ('mutes', 'lists', 'filters') THEN
        ids := ARRAY[(old_row->>'member_id')::bigint, (new_row->>'member_id')::bigint];
    ELSIF TG_TABLE_NAME = 'list_accounts' THEN
        ids := ARRAY(SELECT member_id FROM lists WHERE id IN (
            (old_row->>'list_id')::bigint, (new_row->>'list_id')::bigint));
    ELSE  -- filter_keywords, filter_statuses
        ids := ARRAY(SELECT member_id FROM filters WHERE id IN (
            (old_row->>'filter_id')::bigint, (new_row->>'filter_id')::bigint));
    END IF;
    PERFORM raise_home_versions(ids);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER follows_home_settings AFTER INSERT OR UPDATE OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER blocks_home_settings AFTER INSERT OR UPDATE OR DELETE ON blocks
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER mutes_home_settings AFTER INSERT OR UPDATE OR DELETE ON mutes
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER lists_home_settings AFTER INSERT OR UPDATE OR DELETE ON lists
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER list_accounts_home_settings
    AFTER INSERT OR UPDATE OR DELETE ON list_accounts
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER filters_home_settings AFTER INSERT OR UPDATE OR DELETE ON filters
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER filter_keywords_home_settings
    AFTER INSERT OR UPDATE OR DELETE ON filter_keywords
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();
CREATE OR REPLACE TRIGGER filter_statuses_home_settings
    AFTER INSERT OR UPDATE OR DELETE ON filter_statuses
    FOR EACH ROW EXECUTE FUNCTION home_settings_changed();

-- A post whose visibility, recipients or language change: the members with
-- it, or a boost of it, in their feed.
CREATE OR REPLACE FUNCTION home_post_rule_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM raise_home_versions(ARRAY(
        SELECT h.member_id FROM home_feed h WHERE h.post_id = NEW.id
        UNION
        SELECT h.member_id FROM posts b JOIN home_feed h ON h.post_id = b.id
        WHERE b.reblog_of_id = NEW.id));
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER posts_home_rule AFTER UPDATE ON posts
    FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility
                       OR OLD.recipients IS DISTINCT FROM NEW.recipients
                       OR OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION home_post_rule_changed();
