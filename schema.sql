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
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri            text NOT NULL UNIQUE,
    key_id         text UNIQUE,
    public_key_pem text,
    host           text NOT NULL,
    type           text NOT NULL,
    inbox          text,
    shared_inbox   text,
    document       jsonb NOT NULL,
    fetched_at     timestamptz NOT NULL DEFAULT now(),
    gone_at        timestamptz
);

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
