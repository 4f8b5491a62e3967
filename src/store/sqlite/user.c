/*
 * This file implements the user rows of the SQLite backend: sign-up (the
 * user and the welcome mail in one transaction), the two look-ups, and the
 * password-hash upgrade. Emails are compared case-insensitively by the
 * unique index users_email, which also settles two sign-ups racing for one
 * address: the loser gets CORE_E_USER_EXISTS.
 */
#include <string.h>

#include "core/error.h"
#include "store/sqlite/sqlite.h"

#define USER_COLUMNS "id, name, email, password_hash, is_account_verified, created_at, updated_at"

static const char SQL_INSERT[] = "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_BY_EMAIL[] = "SELECT " USER_COLUMNS " FROM users WHERE email = ?1 COLLATE NOCASE";
static const char SQL_BY_ID[] = "SELECT " USER_COLUMNS " FROM users WHERE id = ?1";
static const char SQL_EXISTS[] = "SELECT 1 FROM users WHERE id = ?1";
static const char SQL_SET_HASH[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";

static int insert(store_sqlite_t *s, const store_user_t *u)
{
    sqlite3_stmt *stmt;
    int rc, constraint = 0;

    if ((rc = store_sqlite_prepare(s, SQL_INSERT, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, u->id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, u->name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 3, u->email, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 4, u->password_hash, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(stmt, 5, u->is_account_verified) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 6, u->created_at) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 7, u->updated_at) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user insert");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "user insert", &constraint);
    if (rc == CORE_E_CONFLICT) {
        /* only the email index means "taken"; the rest maps as any constraint */
        if (constraint == SQLITE_CONSTRAINT_UNIQUE)
            rc = CORE_E_USER_EXISTS;
        else
            rc = store_sqlite_fail(s, constraint, "user insert");
    }
out:
    return rc;
}

int store_sqlite_user_create(store_t *base, const store_user_t *user, const mail_msg_t *welcome)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = insert(s, user)) != CORE_OK)
        goto out;
    if (welcome != NULL && (rc = store_sqlite_outbox_insert(s, welcome)) != CORE_OK)
        goto out;
    rc = store_sqlite_commit(s);
out:
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}

/* Bind key to stmt's ?1, run it and read the user it finds into out. */
static int find(store_sqlite_t *s, core_pool_t *pool, const char *sql, const char *key, store_user_t *out)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, sql, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user find");
        goto out;
    }
    if ((rc = store_sqlite_step_row(s, stmt, "user find")) != CORE_OK)
        goto out;
    const unsigned char *id = sqlite3_column_text(stmt, 0);
    size_t id_len = (size_t)sqlite3_column_bytes(stmt, 0);
    if (id_len > CORE_UUID_LEN)
        id_len = CORE_UUID_LEN;
    memcpy(out->id, id, id_len);
    out->id[id_len] = '\0';
    out->name = store_sqlite_column_str(pool, stmt, 1);
    out->email = store_sqlite_column_str(pool, stmt, 2);
    out->password_hash = store_sqlite_column_str(pool, stmt, 3);
    out->is_account_verified = sqlite3_column_int(stmt, 4) != 0;
    out->created_at = sqlite3_column_int64(stmt, 5);
    out->updated_at = sqlite3_column_int64(stmt, 6);
    store_sqlite_reset(stmt);
out:
    return rc;
}

int store_sqlite_user_find_by_email(store_t *base, core_pool_t *pool, const char *email, store_user_t *out)
{
    return find(store_sqlite_of(base), pool, SQL_BY_EMAIL, email, out);
}

int store_sqlite_user_find_by_id(store_t *base, core_pool_t *pool, const char *id, store_user_t *out)
{
    return find(store_sqlite_of(base), pool, SQL_BY_ID, id, out);
}

/* One probe of the primary key (users is WITHOUT ROWID: the row is the index
 * entry), through a statement prepared once per connection. */
int store_sqlite_user_exists(store_t *base, const char *id, bool *exists)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    *exists = false;
    if ((rc = store_sqlite_prepare(s, SQL_EXISTS, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user exists");
        goto out;
    }
    rc = store_sqlite_step_row(s, stmt, "user exists");
    if (rc == CORE_OK) {
        *exists = true;
        store_sqlite_reset(stmt);
    } else if (rc == CORE_E_NOT_FOUND) {
        rc = CORE_OK;
    }
out:
    return rc;
}

int store_sqlite_user_set_password_hash(store_t *base, const char *id, const char *password_hash)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_SET_HASH, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, password_hash, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user set password hash");
        goto out;
    }
    if ((rc = store_sqlite_step_done(s, stmt, "user set password hash", NULL)) == CORE_OK &&
        sqlite3_changes(s->db) == 0)
        rc = CORE_E_NOT_FOUND;
out:
    return rc;
}
