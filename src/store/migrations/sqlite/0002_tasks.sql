-- Tasks, with what every list, filter, sort, search and stats query needs.
-- Every index leads with user_id, so no query of one user reads another's
-- rows. Ids are UUIDv7 made from created_at, so id order is creation order
-- and (user_id, id) serves "newest first". Statuses 0 pending, 1 in-progress,
-- 2 completed; priorities 0 low, 1 medium, 2 high. Times in ms.

CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY, -- rowid: the full-text index points here
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 2),
    priority INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2),
    due_date INTEGER,
    -- tasks without a due date sort as due at the end of time
    due_sort INTEGER GENERATED ALWAYS AS (coalesce(due_date, 9223372036854775807)) VIRTUAL,
    tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    completed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- the plan's userId, (userId, status), (userId, priority), each also ordered by id
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_user_priority ON tasks (user_id, priority, id);
-- the other sort orders
CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_due ON tasks (user_id, due_sort, id);
CREATE INDEX tasks_user_title ON tasks (user_id, title COLLATE NOCASE, id);
-- stats: overdue and due today, completed in the last 7 days
CREATE INDEX tasks_user_open_due ON tasks (user_id, due_date) WHERE status != 2 AND due_date IS NOT NULL;
CREATE INDEX tasks_user_completed ON tasks (user_id, completed_at) WHERE completed_at IS NOT NULL;

-- One row per tag of a task, for the tag filter.
CREATE TABLE task_tags (
    user_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    task_seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, tag, task_seq)
) STRICT, WITHOUT ROWID;

-- Per-user counts by (status, priority), kept exact by the triggers below in
-- the writing transaction: totals and stats never count a long list.
CREATE TABLE task_counts (
    user_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (user_id, status, priority)
) STRICT, WITHOUT ROWID;

-- Full-text search over title, description and tags. owner holds the user id
-- without dashes (one token), so a search is restricted to one user's rows
-- inside the index itself. Contentless: rows are read from tasks.
CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    owner, title, description, tags,
    content = '', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

CREATE TRIGGER tasks_ai AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (user_id, status, priority, n) VALUES (new.user_id, new.status, new.priority, 1)
        ON CONFLICT (user_id, status, priority) DO UPDATE SET n = n + 1;
    INSERT INTO task_tags (user_id, tag, task_seq) SELECT new.user_id, value, new.seq FROM json_each(new.tags);
    INSERT INTO tasks_fts (rowid, owner, title, description, tags)
        VALUES (new.seq, replace(new.user_id, '-', ''), new.title, new.description,
                (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.tags)));
END;

CREATE TRIGGER tasks_ad AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET n = n - 1 WHERE user_id = old.user_id AND status = old.status AND priority = old.priority;
    DELETE FROM task_tags WHERE user_id = old.user_id AND task_seq = old.seq
        AND tag IN (SELECT value FROM json_each(old.tags));
    INSERT INTO tasks_fts (tasks_fts, rowid, owner, title, description, tags)
        VALUES ('delete', old.seq, replace(old.user_id, '-', ''), old.title, old.description,
                (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(old.tags)));
END;

CREATE TRIGGER tasks_au_counts AFTER UPDATE OF status, priority ON tasks
WHEN old.status != new.status OR old.priority != new.priority BEGIN
    UPDATE task_counts SET n = n - 1 WHERE user_id = old.user_id AND status = old.status AND priority = old.priority;
    INSERT INTO task_counts (user_id, status, priority, n) VALUES (new.user_id, new.status, new.priority, 1)
        ON CONFLICT (user_id, status, priority) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tasks_au_tags AFTER UPDATE OF tags ON tasks WHEN old.tags != new.tags BEGIN
    DELETE FROM task_tags WHERE user_id = old.user_id AND task_seq = old.seq
        AND tag IN (SELECT value FROM json_each(old.tags));
    INSERT INTO task_tags (user_id, tag, task_seq) SELECT new.user_id, value, new.seq FROM json_each(new.tags);
END;

CREATE TRIGGER tasks_au_fts AFTER UPDATE OF title, description, tags ON tasks
WHEN old.title != new.title OR old.description != new.description OR old.tags != new.tags BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, owner, title, description, tags)
        VALUES ('delete', old.seq, replace(old.user_id, '-', ''), old.title, old.description,
                (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(old.tags)));
    INSERT INTO tasks_fts (rowid, owner, title, description, tags)
        VALUES (new.seq, replace(new.user_id, '-', ''), new.title, new.description,
                (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.tags)));
END;
