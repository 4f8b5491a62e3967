-- Safe retries and mail at rest (issue 10): the PostgreSQL twin of
-- sqlite/0005_idempotency_and_outbox_retention.sql, which says more.
--
-- One row per user and Idempotency-Key: the fingerprint of the request it
-- was first used with and, once that answered, the status and body a retry
-- gets back. status 0: still running, holding the key until lease_until.
-- token tells the holder from one that took an abandoned key over.
CREATE TABLE idempotency_keys (
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    fingerprint text NOT NULL, -- hex BLAKE2b-256 of method, path and body
    token bigint NOT NULL,
    status integer NOT NULL DEFAULT 0, -- 0 while the request runs
    body text, -- the answer's body, once it answered
    lease_until bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- The purge of expired keys.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- Bodies of sent or given-up mail are blanked (they carry one-time codes),
-- and such rows deleted OUTBOX_RETENTION_MS later; blank what earlier
-- versions kept. The indexes serve the purge.
UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL OR gave_up;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_gave_up ON outbox (created_at) WHERE gave_up;
