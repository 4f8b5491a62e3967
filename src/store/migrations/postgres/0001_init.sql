-- Accounts: users, their one-time passwords, durable token revocations and
-- the outbox of emails waiting to be delivered (the PostgreSQL twin of
-- sqlite/0001_init.sql). Times are milliseconds since the Unix epoch. Ids are
-- compared byte by byte (COLLATE "C"), as SQLite does.

CREATE TABLE users (
    id text COLLATE "C" PRIMARY KEY, -- UUIDv7
    name text NOT NULL,
    email text NOT NULL, -- trimmed, lowercase
    password_hash text NOT NULL,
    is_account_verified boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

-- Registration checks first, but this index decides races between two sign-ups.
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- At most one OTP per user and purpose (0 verify, 1 reset); hash is SHA-256 sized.
CREATE TABLE otps (
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose smallint NOT NULL CHECK (purpose IN (0, 1)),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    expires_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, purpose)
);

-- Logged-out tokens, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti text COLLATE "C" PRIMARY KEY,
    expires_at bigint NOT NULL
);

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- Tokens of user_id issued at or before before_ms are refused (password reset).
CREATE TABLE user_revocations (
    user_id text COLLATE "C" PRIMARY KEY,
    before_ms bigint NOT NULL
);

-- Emails are written here in the transaction that causes them and delivered
-- by the sender, which leases rows (FOR UPDATE SKIP LOCKED, then lease_until)
-- so a crashed sender's mail returns and two senders never share a row.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    next_attempt_at bigint NOT NULL,
    lease_until bigint,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    sent_at bigint,
    gave_up boolean NOT NULL DEFAULT false
);

-- Only mail still to deliver, in due order.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL AND NOT gave_up;
