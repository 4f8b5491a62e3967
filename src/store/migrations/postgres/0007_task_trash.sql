-- The trash (issue 16): the PostgreSQL twin of sqlite/0007_task_trash.sql,
-- which says more. A deleted task moves here in one statement (DELETE ...
-- RETURNING feeding an INSERT), so the counters trigger of 0002 takes it
-- out of task_counts and the generated search column leaves with the row;
-- a restore moves it back with its own id (a plain INSERT, not
-- lsf_task_insert(): the task was there before, in its place).
CREATE TABLE task_trash (
    id text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title text NOT NULL,
    description text NOT NULL,
    status smallint NOT NULL,
    priority smallint NOT NULL,
    due_date bigint,
    tags text[] NOT NULL,
    completed_at bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deleted_at bigint NOT NULL,
    PRIMARY KEY (user_id, id)
);

-- a user's trash, last deleted first
CREATE INDEX task_trash_user_deleted ON task_trash (user_id, deleted_at, id);
-- the purge
CREATE INDEX task_trash_deleted ON task_trash (deleted_at);
