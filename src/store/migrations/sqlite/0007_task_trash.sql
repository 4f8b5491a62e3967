-- The trash (issue 16): DELETE /api/tasks/:id moves a task here, in the
-- deleting transaction, and POST /api/tasks/:id/restore moves it back. The
-- row leaves `tasks`, so the triggers of 0002 take it out of the counters,
-- the tag table and the full-text index, and lists, search, counts and
-- stats never see it; a restore inserts it again and they put it back.
-- Rows older than TRASH_RETENTION_MS are neither listed nor restored, and
-- are purged in batches (task_trash_deleted serves that).
CREATE TABLE task_trash (
    id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    due_date INTEGER,
    tags TEXT NOT NULL,
    completed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
) STRICT, WITHOUT ROWID;

-- a user's trash, last deleted first
CREATE INDEX task_trash_user_deleted ON task_trash (user_id, deleted_at, id);
-- the purge
CREATE INDEX task_trash_deleted ON task_trash (deleted_at);
