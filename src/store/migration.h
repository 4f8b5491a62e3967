/*
 * A schema migration as compiled into the binary (see scripts/embed-sql.sh):
 * versions are applied in ascending order and recorded in schema_migrations.
 * One array per backend: src/store/migrations/sqlite/ and .../postgres/.
 */
#ifndef STORE_MIGRATION_H
#define STORE_MIGRATION_H

#include <stddef.h>

typedef struct store_migration {
    int version;
    const char *name;
    const char *sql;
} store_migration_t;

extern const store_migration_t store_sqlite_migrations[];
extern const size_t store_sqlite_migrations_len;

extern const store_migration_t store_postgres_migrations[];
extern const size_t store_postgres_migrations_len;

#endif
