/* operators.c - the people who decide, with their roles and Argon2id
 * password hashes (libsodium crypto_pwhash_str).
 *
 *   st_role_name, st_role_parse
 *   st_operator_add, st_operator_passwd, st_operator_check,
 *   st_operator_role, st_operator_list, st_operators_free
 */
#include "store/store_internal.h"

#include "core/error.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Eight bytes: short enough for a counting room, long enough that the
 * Argon2id cost makes guessing a stolen file's passwords expensive. */
enum { ST_PASSWORD_MIN = 8 };

const char *st_role_name(st_role r)
{
    switch (r) {
    case ST_ROLE_OPERATOR: return "operator";
    case ST_ROLE_SECRETARY: return "secretary";
    case ST_ROLE_AUDITOR: return "auditor";
    }
    return "?";
}

int st_role_parse(st_role *out, const char *name)
{
    static const st_role ROLES[] = {ST_ROLE_OPERATOR, ST_ROLE_SECRETARY,
                                    ST_ROLE_AUDITOR};
    for (size_t i = 0; i < 3; i++)
        if (name && strcmp(name, st_role_name(ROLES[i])) == 0) {
            *out = ROLES[i];
            return 0;
        }
    return err_set(TELLE_EINVAL, "role '%s' is not operator, secretary or "
                   "auditor", name ? name : "");
}

static int pw_hash(char out[crypto_pwhash_STRBYTES], const char *name,
                   const char *password)
{
    if (password == NULL || strlen(password) < ST_PASSWORD_MIN)
        return err_set(TELLE_EINVAL, "operator %s: a password needs at least "
                       "%d characters", name, ST_PASSWORD_MIN);
    if (sodium_init() < 0)
        return err_set(TELLE_ENOMEM, "libsodium could not start");
    if (crypto_pwhash_str(out, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return err_set(TELLE_ENOMEM, "operator %s: out of memory hashing the "
                       "password", name);
    return 0;
}

struct op_ctx {
    const char *actor, *name, *hash;
    st_role role;
};

static int add_tx(st_db *db, void *vctx)
{
    struct op_ctx *c = vctx;
    sqlite3_stmt *st = NULL;
    char now[32];
    int rc;
    st_time_now(now);
    if ((rc = st_prepare(db, &st, "INSERT INTO operators (name, role, pwhash,"
                                  " created) VALUES (?,?,?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, st_role_name(c->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = st_sql_error(db, "add operator");
        if (rc == TELLE_ESTATE)
            rc = err_set(TELLE_ESTATE, "%s: operator '%s' already exists",
                         db->path, c->name);
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    json_t *p = json_pack("{s:s}", "role", st_role_name(c->role));
    if (p == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    rc = st_event_append_json(db, NULL, c->actor, "operator_add", c->name, p);
    json_decref(p);
    return rc;
}

static bool name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '"' || *p == '<' || *p == '>' ||
            *p == '&')
            return false;
    return strcmp(name, "system") != 0;
}

int st_operator_add(st_db *db, const char *actor, const char *name,
                    st_role role, const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc;
    if (!name_ok(name))
        return err_set(TELLE_EINVAL, "operator name '%s' is empty, too long, "
                       "reserved or has control or markup characters",
                       name ? name : "");
    if ((rc = pw_hash(hash, name, password)) < 0)
        return rc;
    struct op_ctx c = {actor ? actor : "system", name, hash, role};
    return st_in_tx(db, add_tx, &c);
}

static int passwd_tx(st_db *db, void *vctx)
{
    struct op_ctx *c = vctx;
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = st_prepare(db, &st, "UPDATE operators SET pwhash = ? WHERE "
                                  "name = ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, c->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = st_sql_error(db, "change password");
    else if (sqlite3_changes(db->db) != 1)
        rc = err_set(TELLE_EINVAL, "%s: no operator '%s'", db->path, c->name);
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    json_t *p = json_object();
    if (p == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    rc = st_event_append_json(db, NULL, c->actor, "operator_passwd", c->name, p);
    json_decref(p);
    return rc;
}

int st_operator_passwd(st_db *db, const char *actor, const char *name,
                       const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc;
    if ((rc = pw_hash(hash, name ? name : "", password)) < 0)
        return rc;
    struct op_ctx c = {actor ? actor : "system", name, hash, ST_ROLE_OPERATOR};
    return st_in_tx(db, passwd_tx, &c);
}

/* Reads role and hash; *found false when there is no such operator. */
static int lookup(st_db *db, const char *name, bool *found, st_role *role,
                  char hash[crypto_pwhash_STRBYTES])
{
    sqlite3_stmt *st = NULL;
    int rc = st_prepare(db, &st, "SELECT role, pwhash FROM operators WHERE "
                                 "name = ?");
    *found = false;
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        const char *h = (const char *)sqlite3_column_text(st, 1);
        if (st_role_parse(role, r) == 0 && h &&
            strlen(h) < crypto_pwhash_STRBYTES) {
            strcpy(hash, h);
            *found = true;
        }
    } else if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "read operator");
    }
    sqlite3_finalize(st);
    return rc;
}

int st_operator_check(st_role *role, st_db *db, const char *name,
                      const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    bool found = false;
    int rc;
    if (name == NULL || password == NULL)
        return err_set(TELLE_EINVAL, "wrong name or password");
    if ((rc = lookup(db, name, &found, role, hash)) < 0)
        return rc;
    if (sodium_init() < 0)
        return err_set(TELLE_ENOMEM, "libsodium could not start");
    if (!found ||
        crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)
        return err_set(TELLE_EINVAL, "wrong name or password");
    return 0;
}

int st_operator_role(st_role *role, st_db *db, const char *name)
{
    char hash[crypto_pwhash_STRBYTES];
    bool found = false;
    int rc = lookup(db, name ? name : "", &found, role, hash);
    if (rc < 0)
        return rc;
    if (!found)
        return err_set(TELLE_EINVAL, "%s: no operator '%s'", db->path,
                       name ? name : "");
    return 0;
}

void st_operators_free(st_operator *ops, int n)
{
    if (ops == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(ops[i].name);
    free(ops);
}

int st_operator_list(st_operator **out, int *n, st_db *db)
{
    sqlite3_stmt *st = NULL;
    st_operator *v = NULL;
    int count = 0, rc, o = 0;
    *out = NULL;
    *n = 0;
    if ((rc = st_prepare(db, &st, "SELECT name, role FROM operators ORDER BY "
                                  "name")) < 0)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        st_operator *nv = realloc(v, (size_t)(count + 1) * sizeof *v);
        if (nv == NULL) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        v = nv;
        v[count].name = st_column_dup(st, 0, &o);
        v[count].role = ST_ROLE_AUDITOR;
        st_role_parse(&v[count].role, (const char *)sqlite3_column_text(st, 1));
        count++;
        if (o) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (s != SQLITE_DONE) {
        rc = st_sql_error(db, "list operators");
        goto done;
    }
    *out = v;
    *n = count;
    v = NULL;
done:
    st_operators_free(v, count);
    sqlite3_finalize(st);
    return rc;
}
