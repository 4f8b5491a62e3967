-- Safe retries and mail at rest (issue 10).
--
-- One row per user and Idempotency-Key, kept until expires_at
-- (IDEMPOTENCY_TTL_MS, 24 h, after the key's first use): the fingerprint of
-- the request the key was first used with and, once it answered, the status and body a retry with the same key
-- gets instead of running it again. status 0 is a request still running: it
-- holds the key until lease_until (a retry meanwhile answers 409); after
-- that, its process is taken for dead and a retry takes the key over. token
-- tells the holder from one that took the key over, so a late finish or
-- release never touches the newer reservation. The primary key decides
-- between two requests racing for one key.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL, -- hex BLAKE2b-256 of method, path and body
    token INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0, -- 0 while the request runs
    body TEXT, -- the answer's body, once it answered
    lease_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

-- The purge of expired keys.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- The outbox keeps no mail it is done with: the body (the one copy of a
-- one-time code in clear) is blanked when a message is sent or given up, and
-- such rows are deleted OUTBOX_RETENTION_MS later by the sender. Blank what
-- earlier versions kept; the indexes serve the purge.
UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL OR gave_up = 1;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_gave_up ON outbox (created_at) WHERE gave_up = 1;
