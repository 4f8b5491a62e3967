-- Tracing (issue 15): an email keeps the W3C traceparent of the request that
-- queued it, when that request was traced, so the sender's delivery span can
-- link back to it. NULL for mail queued untraced (or before this version);
-- a release without the column never names it, so it can still serve here.
ALTER TABLE outbox ADD COLUMN traceparent TEXT CHECK (traceparent IS NULL OR length(traceparent) = 55);
