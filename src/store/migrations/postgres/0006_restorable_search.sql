-- pg_restore (lsf-server restore) loads rows with search_path set to '',
-- and computing the generated search column then failed: lsf_task_document()
-- calls lsf_fold() unqualified. Pin the function's search_path to the schema
-- the migrations run in, so a dump restores.
ALTER FUNCTION lsf_task_document(text, text, text[]) SET search_path FROM CURRENT;
