-- Accounts: users, their one-time passwords, durable token revocations and
-- the outbox of emails waiting to be delivered. Times are milliseconds since
-- the Unix epoch. Tasks arrive in a later migration.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL, -- UUIDv7
    name TEXT NOT NULL,
    email TEXT NOT NULL, -- trimmed, lowercase
    password_hash TEXT NOT NULL,
    is_account_verified INTEGER NOT NULL DEFAULT 0 CHECK (is_account_verified IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Registration checks first, but this index decides races between two sign-ups.
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);

-- At most one OTP per user and purpose (0 verify, 1 reset); hash is SHA-256 sized.
CREATE TABLE otps (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose INTEGER NOT NULL CHECK (purpose IN (0, 1)),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, purpose)
) STRICT, WITHOUT ROWID;

-- Logged-out tokens, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- Tokens of user_id issued at or before before_ms are refused (password reset).
CREATE TABLE user_revocations (
    user_id TEXT PRIMARY KEY NOT NULL,
    before_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Emails are written here in the transaction that causes them and delivered
-- by the sender thread, which leases rows so a crashed sender's mail returns.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at INTEGER,
    gave_up INTEGER NOT NULL DEFAULT 0 CHECK (gave_up IN (0, 1))
) STRICT;

-- Only mail still to deliver, in due order.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND gave_up = 0;
