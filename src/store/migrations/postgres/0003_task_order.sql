-- Tasks are created in id order per user, as on SQLite: a reader that has
-- seen a task never later sees an older-id task appear (a page or cursor
-- walk by createdAt would otherwise repeat or miss it). lsf_task_insert()
-- takes a per-user advisory lock for the rest of the transaction, then
-- inserts the task only when its id sorts after every task of that user and
-- returns NULL; otherwise it inserts nothing and returns the user's latest
-- id, and the server makes a new id after that one and calls again. The
-- function is VOLATILE, so under READ COMMITTED its SELECT sees every task
-- committed before the lock was granted. The (int, int) lock key space is
-- separate from the bigint key the migrations lock with; 1280526918 is
-- 'LSFF' in ASCII.
CREATE FUNCTION lsf_task_insert(p_id text, p_user_id text, p_title text, p_description text, p_status integer,
                                p_priority integer, p_due_date bigint, p_tags text, p_completed_at bigint,
                                p_created_at bigint, p_updated_at bigint)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    latest text;
BEGIN
    PERFORM pg_advisory_xact_lock(1280526918, hashtext(p_user_id));
    SELECT id INTO latest FROM tasks WHERE user_id = p_user_id ORDER BY id DESC LIMIT 1;
    IF latest IS NOT NULL AND latest >= (p_id COLLATE "C") THEN
        RETURN latest;
    END IF;
    INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at,
                       created_at, updated_at)
        VALUES (p_id, p_user_id, p_title, p_description, p_status, p_priority, p_due_date,
                ARRAY(SELECT json_array_elements_text(p_tags::json)), p_completed_at, p_created_at, p_updated_at);
    RETURN NULL;
END
$$;
