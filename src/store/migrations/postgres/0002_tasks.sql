-- Tasks (the PostgreSQL twin of sqlite/0002_tasks.sql). Every index leads
-- with user_id, so no query of one user reads another's rows; the primary
-- key is (user_id, id). Ids are UUIDv7 made from created_at, so id order is
-- creation order. Statuses 0 pending, 1 in-progress, 2 completed; priorities
-- 0 low, 1 medium, 2 high. Times in ms.

-- Accent folding for search: unaccent when the server has it (a trusted
-- extension, so the database owner may create it), else the identity. The
-- wrapper is IMMUTABLE (unaccent() itself is only STABLE, as its dictionary
-- could change) so a generated column and its index may use it.
DO $do$
DECLARE
    ext_schema text;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'unaccent unavailable (%): search will not fold accents', SQLERRM;
    END;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'unaccent';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE FUNCTION lsf_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE '
                       'AS %L', format('SELECT %I.unaccent(%L::regdictionary, $1)', ext_schema,
                                       quote_ident(ext_schema) || '.unaccent'));
    ELSE
        CREATE FUNCTION lsf_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT $1';
    END IF;
    -- btree_gin lets one GIN index hold (user_id, lexemes) and (user_id, tags)
    BEGIN
        CREATE EXTENSION IF NOT EXISTS btree_gin;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'btree_gin unavailable (%): GIN indexes without user_id', SQLERRM;
    END;
END
$do$;

-- What search matches: title, description and tags, folded, 'simple' config
-- (no stemming, no stop words: every word the user typed can be found).
CREATE FUNCTION lsf_task_document(title text, description text, tags text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig,
                       lsf_fold(coalesce(title, '') || ' ' || coalesce(description, '') || ' ' ||
                                coalesce(array_to_string(tags, ' '), '')))
$$;

-- The tsquery for what a user typed, built from lexemes and never parsed as
-- query syntax: the text is split on white space; each word is tokenized
-- like the documents (hyphenated compounds by their parts, which documents
-- hold too), its lexemes quoted (quotes and backslashes escaped),
-- prefix-matched (:*) and joined in order by <-> (so "foo-bar" is the
-- phrase foo bar); words are ANDed. A word without lexemes (punctuation,
-- symbols) is dropped; NULL when none is left, which matches nothing.
CREATE FUNCTION lsf_search_query(text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_agg(phrase, ' & ' ORDER BY ord)::tsquery
    FROM (SELECT w.ord,
                 (SELECT string_agg('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || ''':*', ' <-> '
                                    ORDER BY d.n)
                  FROM ts_debug('simple'::regconfig, lsf_fold(w.word))
                           WITH ORDINALITY AS d(alias, description, token, dictionaries, dictionary, lexemes, n),
                       unnest(d.lexemes) AS l(lexeme)
                  WHERE d.alias NOT IN ('asciihword', 'hword', 'numhword') AND l.lexeme <> '') AS phrase
          FROM regexp_split_to_table($1, '[ \t\n\r]+') WITH ORDINALITY AS w(word, ord)) AS p
    WHERE phrase IS NOT NULL
$$;

CREATE TABLE tasks (
    id text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    status smallint NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 2),
    priority smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2),
    due_date bigint,
    -- tasks without a due date sort as due at the end of time
    due_sort bigint GENERATED ALWAYS AS (coalesce(due_date, 9223372036854775807)) STORED,
    tags text[] NOT NULL DEFAULT '{}',
    completed_at bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    search tsvector GENERATED ALWAYS AS (lsf_task_document(title, description, tags)) STORED,
    PRIMARY KEY (user_id, id)
);

-- (user_id, id) is the primary key; (userId, status), (userId, priority):
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_user_priority ON tasks (user_id, priority, id);
-- the other sort orders; title sorts case-insensitively (ASCII, like SQLite's NOCASE)
CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_due ON tasks (user_id, due_sort, id);
CREATE INDEX tasks_user_title ON tasks (user_id, lower(title COLLATE "C"), id);
-- stats: overdue and due today, completed in the last 7 days
CREATE INDEX tasks_user_open_due ON tasks (user_id, due_date) WHERE status <> 2 AND due_date IS NOT NULL;
CREATE INDEX tasks_user_completed ON tasks (user_id, completed_at) WHERE completed_at IS NOT NULL;

DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE INDEX tasks_user_search ON tasks USING gin (user_id, search);
        CREATE INDEX tasks_user_tags ON tasks USING gin (user_id, tags);
    ELSE
        CREATE INDEX tasks_user_search ON tasks USING gin (search);
        CREATE INDEX tasks_user_tags ON tasks USING gin (tags);
    END IF;
END
$do$;

-- Per-user counts by (status, priority), kept exact by the trigger below
-- inside the writing transaction: totals and stats never count a long list.
CREATE TABLE task_counts (
    user_id text COLLATE "C" NOT NULL,
    status smallint NOT NULL,
    priority smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (user_id, status, priority)
);

-- A move between two counters locks them in key order, so two updates moving
-- tasks in opposite directions cannot deadlock.
CREATE FUNCTION lsf_task_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (user_id, status, priority, n) VALUES (NEW.user_id, NEW.status, NEW.priority, 1)
            ON CONFLICT (user_id, status, priority) DO UPDATE SET n = task_counts.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts SET n = n - 1
            WHERE user_id = OLD.user_id AND status = OLD.status AND priority = OLD.priority;
    ELSIF (OLD.status, OLD.priority) IS DISTINCT FROM (NEW.status, NEW.priority) THEN
        IF (OLD.status, OLD.priority) < (NEW.status, NEW.priority) THEN
            UPDATE task_counts SET n = n - 1
                WHERE user_id = OLD.user_id AND status = OLD.status AND priority = OLD.priority;
            INSERT INTO task_counts (user_id, status, priority, n) VALUES (NEW.user_id, NEW.status, NEW.priority, 1)
                ON CONFLICT (user_id, status, priority) DO UPDATE SET n = task_counts.n + 1;
        ELSE
            INSERT INTO task_counts (user_id, status, priority, n) VALUES (NEW.user_id, NEW.status, NEW.priority, 1)
                ON CONFLICT (user_id, status, priority) DO UPDATE SET n = task_counts.n + 1;
            UPDATE task_counts SET n = n - 1
                WHERE user_id = OLD.user_id AND status = OLD.status AND priority = OLD.priority;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_counts AFTER INSERT OR DELETE OR UPDATE OF status, priority ON tasks
    FOR EACH ROW EXECUTE FUNCTION lsf_task_counts();
