/*
 * This file implements the user rows of the PostgreSQL backend: sign-up (the
 * user and the welcome mail in one transaction), the two look-ups, and the
 * password-hash upgrade. Emails are compared case-insensitively through the
 * unique index users_email on lower(email), which also settles two sign-ups
 * racing for one address: the loser gets CORE_E_USER_EXISTS. User reads go
 * to the primary: a login right after sign-up must find the account.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "store/postgres/postgres.h"

#define USER_COLUMNS "id, name, email, password_hash, is_account_verified, created_at, updated_at"

static const char SQL_INSERT[] = "INSERT INTO users (" USER_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char SQL_BY_EMAIL[] = "SELECT " USER_COLUMNS " FROM users WHERE lower(email) = lower($1)";
static const char SQL_BY_ID[] = "SELECT " USER_COLUMNS " FROM users WHERE id = $1";
static const char SQL_EXISTS[] = "SELECT 1 FROM users WHERE id = $1";
static const char SQL_SET_HASH[] = "UPDATE users SET password_hash = $2 WHERE id = $1";

int store_pg_user_create(store_t *base, const store_user_t *u, const mail_msg_t *welcome)
{
    char created[24], updated[24], state[6];
    const char *params[] = {u->id,
                            u->name,
                            u->email,
                            u->password_hash,
                            u->is_account_verified ? "true" : "false",
                            store_pg_i64(created, u->created_at),
                            store_pg_i64(updated, u->updated_at)};
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    rc = store_pg_query(c, SQL_INSERT, 7, params, NULL, "user insert", true, state, NULL);
    if (rc == CORE_E_CONFLICT)
        /* the primary key cannot collide (UUIDv7), so a unique violation is the email */
        rc = strcmp(state, "23505") == 0 ? CORE_E_USER_EXISTS : store_pg_constraint_code(state);
    if (rc == CORE_OK && welcome != NULL)
        rc = store_pg_outbox_insert(c, welcome);
    if (rc == CORE_OK)
        rc = store_pg_commit(c);
out:
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

static int find(store_t *base, core_pool_t *pool, const char *sql, const char *key, store_user_t *out)
{
    const char *params[] = {key};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, sql, 1, params, NULL, "user find", false, NULL, &res)) != CORE_OK)
        goto out;
    if (PQntuples(res) == 0) {
        rc = CORE_E_NOT_FOUND;
        goto out;
    }
    snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
    out->name = store_pg_get_str(pool, res, 0, 1);
    out->email = store_pg_get_str(pool, res, 0, 2);
    out->password_hash = store_pg_get_str(pool, res, 0, 3);
    out->is_account_verified = PQgetvalue(res, 0, 4)[0] == 't';
    out->created_at = store_pg_get_i64(res, 0, 5);
    out->updated_at = store_pg_get_i64(res, 0, 6);
out:
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_user_find_by_email(store_t *base, core_pool_t *pool, const char *email, store_user_t *out)
{
    return find(base, pool, SQL_BY_EMAIL, email, out);
}

int store_pg_user_find_by_id(store_t *base, core_pool_t *pool, const char *id, store_user_t *out)
{
    return find(base, pool, SQL_BY_ID, id, out);
}

static int exists_on(store_pg_cluster_t *cl, enum store_pg_target target, const char *id, bool *exists,
                     bool *replica)
{
    const char *params[] = {id};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(cl, target, NULL, &c)) != CORE_OK)
        return rc;
    *replica = store_pg_conn_is_replica(c);
    rc = store_pg_query(c, SQL_EXISTS, 1, params, NULL, "user exists", false, NULL, &res);
    if (rc == CORE_OK)
        *exists = PQntuples(res) > 0;
    PQclear(res);
    store_pg_release(c);
    return rc;
}

/* A replica answers "yes" (every request of every session asks, so the
 * primary is spared); a "no" from a replica is asked again of the primary,
 * since the replica may not have replayed a sign-up yet. A deletion reaches
 * the sessions once the replica replays it. */
int store_pg_user_exists(store_t *base, const char *id, bool *exists)
{
    store_pg_cluster_t *cl = store_pg_of(base)->cluster;
    bool replica = false;
    int rc;

    *exists = false;
    rc = exists_on(cl, STORE_PG_READ, id, exists, &replica);
    if (rc == CORE_OK && !*exists && replica)
        rc = exists_on(cl, STORE_PG_PRIMARY, id, exists, &replica);
    return rc;
}

int store_pg_user_set_password_hash(store_t *base, const char *id, const char *password_hash)
{
    const char *params[] = {id, password_hash};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, SQL_SET_HASH, 2, params, NULL, "user set password hash", false, NULL, &res);
    if (rc == CORE_OK && store_pg_changes(res) == 0)
        rc = CORE_E_NOT_FOUND;
    PQclear(res);
    store_pg_release(c);
    return rc;
}
