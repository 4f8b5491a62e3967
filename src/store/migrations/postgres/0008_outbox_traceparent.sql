-- Tracing (issue 15): the PostgreSQL twin of sqlite/0008_outbox_traceparent.sql,
-- which says more.
ALTER TABLE outbox ADD COLUMN traceparent text CHECK (traceparent IS NULL OR length(traceparent) = 55);
