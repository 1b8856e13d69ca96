/* store.h - the count's database: one SQLite file holding the election
 * package, batches, pages, sheet records, operators and the append-only,
 * hash-chained event log (store/README.md describes the schema, the event
 * kinds and the chain's canonical form).
 *
 * Nothing is updated in place. Decisions, claims, commits and undos are
 * events; the current state is derived by reading them (verify/ does that).
 * Triggers refuse UPDATE and DELETE on events, sheet records, pages, batches
 * and the package; only an operator's password hash may be replaced, and
 * each replacement is itself an event.
 *
 *   st_db_open            open (and with ST_OPEN_CREATE create) a store
 *   st_db_close           close; accepts NULL
 *   st_db_path            the file name the store was opened with
 *   st_db_handle          the sqlite3 connection, for verify/ and tests
 *   st_tx_begin           BEGIN IMMEDIATE (takes the write lock at once)
 *   st_tx_commit          COMMIT
 *   st_tx_rollback        ROLLBACK; safe when no transaction is open
 *   st_event_append       append one event to the chain (inside a tx)
 *   st_event_append_json  the same from a jansson object
 *   st_event_read         read events in seq order through a callback
 *   st_event_get          read one event by seq
 *   st_event_free         free an event read by st_event_get
 *   st_chain_verify       recompute the chain, name the first broken entry
 *   st_canonical_hash     the hash of one event's fields (the chain's rule)
 *   st_package_put        store election.json text and its hash (once)
 *   st_package_get        read it back
 *   st_batch_add          create a batch
 *   st_category_valid     FO FS VO VS VB
 *   st_batch_get          read a batch's fixed fields
 *   st_batch_list         every batch id, in creation order
 *   st_page_add           record an archived page of a sheet
 *   st_page_list          the pages of one sheet
 *   st_record_add         store a sheet record exactly as recognition wrote it
 *   st_record_get / st_record_list   read records back
 *   st_records_verify     check every stored record against its hash and event
 *   st_operator_add       create an operator with an Argon2id password hash
 *   st_operator_passwd    replace an operator's password
 *   st_operator_check     verify name + password, return the role
 *   st_operator_role      an operator's role without a password
 *   st_operator_list      every operator and role
 *   st_role_name / st_role_parse
 */
#ifndef TELLE_STORE_STORE_H
#define TELLE_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_db st_db;

/* The schema version this code writes (PRAGMA user_version). Opening a file
 * with a newer version is refused; an older one is migrated step by step. */
enum { ST_SCHEMA_VERSION = 1 };

enum {
    ST_OPEN_CREATE = 1 << 0,   /* create the file when it does not exist */
    ST_OPEN_READONLY = 1 << 1, /* open read-only (audit, replay) */
};

/* Opens path with WAL journaling, synchronous=FULL (an acknowledged commit
 * survives a kill or a power cut), foreign keys on and a busy timeout of
 * 10 s (another operator's transaction is short; waiting is better than
 * failing). Creates the schema or migrates it. Returns 0, TELLE_EIO (cannot
 * open), TELLE_EFORMAT (not a telle store, or a newer schema), TELLE_ENOMEM.
 * Close with st_db_close. One st_db per thread: connections are not shared. */
int st_db_open(st_db **out, const char *path, int flags);
/* Closes the connection and frees db; accepts NULL. */
void st_db_close(st_db *db);

/* The file name given to st_db_open (owned by db; used in messages). */
const char *st_db_path(const st_db *db);

/* The underlying connection (a `sqlite3 *`), owned by db. verify/ uses it
 * for its own reads; writes go through the st_ functions. */
void *st_db_handle(st_db *db);

/* Transactions. st_tx_begin is BEGIN IMMEDIATE: it waits (busy timeout) for
 * the write lock, so what a caller reads inside is what it writes against;
 * that is how a claim is checked and recorded atomically. Returns 0 or
 * TELLE_EIO (lock not obtained, disk error). */
int st_tx_begin(st_db *db);
int st_tx_commit(st_db *db);
void st_tx_rollback(st_db *db);

/* One entry of the event log. All strings are NUL-terminated; payload is a
 * JSON object's text exactly as stored and hashed. */
typedef struct {
    int64_t seq;
    char *time;      /* UTC, "2026-11-22T08:16:34.123Z" */
    char *actor;     /* operator name, or "system" */
    char *kind;      /* "claim", "decide", ... (store/README.md) */
    char *subject;   /* what it is about: a batch id, an operator name */
    char *payload;   /* JSON object text */
    char *prev_hash; /* hash of entry seq-1; 64 zeros for seq 1 */
    char *hash;      /* st_canonical_hash of the fields above */
} st_event;

/* Appends an event with the next seq, the current time and the chain hash.
 * payload must be a JSON object's text (stored byte for byte; callers pass
 * compact, key-sorted JSON so the text is reproducible). Must be called
 * inside st_tx_begin/commit: seq and prev_hash are read under the write
 * lock. *seq_out (may be NULL) receives the new seq. Returns 0,
 * TELLE_EINVAL (empty kind/actor, payload not a JSON object), TELLE_EIO. */
int st_event_append(st_db *db, int64_t *seq_out, const char *actor,
                    const char *kind, const char *subject,
                    const char *payload);

/* The same with a JSON object, serialised compact with sorted keys (the
 * stored text is therefore reproducible from the object). Does not take the
 * caller's reference. */
int st_event_append_json(st_db *db, int64_t *seq_out, const char *actor,
                         const char *kind, const char *subject,
                         const json_t *payload);

/* Calls fn for each event with seq >= from_seq, in seq order, restricted to
 * one subject when subject is not NULL. fn's event is valid only during the
 * call. A non-zero return from fn stops the walk and is returned. Returns 0
 * or TELLE_EIO. */
typedef int (*st_event_fn)(const st_event *ev, void *ctx);
int st_event_read(st_db *db, int64_t from_seq, const char *subject,
                  st_event_fn fn, void *ctx);

/* Reads one event. Caller frees with st_event_free. Returns 0, TELLE_EINVAL
 * (no such seq), TELLE_EIO, TELLE_ENOMEM. */
int st_event_get(st_event **out, st_db *db, int64_t seq);
void st_event_free(st_event *ev);

/* The chain hash: SHA-256 (lowercase hex) over the canonical form
 *   "telle-event/1\n" then, for each of seq (decimal), time, actor, kind,
 *   subject, payload, prev_hash in that order: the field's length in bytes
 *   (decimal), ':', the bytes, '\n'.
 * Length prefixes make the form unambiguous whatever the fields contain. */
void st_canonical_hash(char hex[65], int64_t seq, const char *time,
                       const char *actor, const char *kind,
                       const char *subject, const char *payload,
                       const char *prev_hash);

typedef enum {
    ST_CHAIN_OK = 0,
    ST_CHAIN_HASH_MISMATCH, /* the entry's fields do not give its hash: edited */
    ST_CHAIN_PREV_MISMATCH, /* prev_hash is not the previous entry's hash */
    ST_CHAIN_GAP,           /* seq does not follow the previous seq by one */
    ST_CHAIN_REORDERED,     /* the entry belongs at another place in the chain */
} st_chain_problem;

typedef struct {
    int64_t entries;         /* entries read */
    int64_t first_bad_seq;   /* 0 when the chain is whole */
    st_chain_problem problem;
    char head_hash[65];      /* hash of the last entry ("" when empty) */
    char message[256];       /* "seq 17: hash mismatch (payload or another
                                field was changed after it was written)" */
} st_chain_report;

/* Walks the whole log and checks every entry: seq is previous + 1 (the
 * first is 1), prev_hash equals the previous entry's hash, and the hash
 * recomputes from the fields. Stops at the first broken entry and names it.
 * An entry whose prev_hash is the hash of some other entry, or whose hash
 * recomputes under another seq, is reported as REORDERED. Returns 0 when
 * the walk completed (whole or not: see report->first_bad_seq), TELLE_EIO
 * when the database could not be read. */
int st_chain_verify(st_chain_report *report, st_db *db);

/* Stores the package's election.json text and its SHA-256, once per store,
 * with a "package_init" event. Inside or outside a transaction. Returns 0,
 * TELLE_ESTATE (a package is already stored), TELLE_EIO. */
int st_package_put(st_db *db, const char *actor, const char *election_json,
                   const char *dir);

/* Reads the stored election.json text and hash (either out may be NULL).
 * Caller frees with free(). Returns 0, TELLE_ESTATE (no package yet),
 * TELLE_EIO. */
int st_package_get(char **json_out, char **sha256_out, st_db *db);

/* The five counting categories: FO FS VO VS VB. */
bool st_category_valid(const char *category);

/* Creates a batch and logs "batch_add" (subject: the batch id). Returns 0,
 * TELLE_EINVAL (bad category, empty id), TELLE_ESTATE (id exists),
 * TELLE_EIO. Call inside a transaction together with the batch's pages and
 * records so a batch is stored whole or not at all. */
int st_batch_add(st_db *db, const char *actor, const char *id,
                 const char *election, const char *krets,
                 const char *category);

typedef struct {
    char *id, *election, *krets, *category;
} st_batch;

/* Caller frees with st_batch_free. Returns 0, TELLE_EINVAL (no such batch),
 * TELLE_EIO. */
int st_batch_get(st_batch **out, st_db *db, const char *id);
void st_batch_free(st_batch *b);

/* Every batch id in creation order; *ids is a NULL-terminated array the
 * caller frees with st_strv_free. */
int st_batch_list(char ***ids, st_db *db);
void st_strv_free(char **v);

/* Records one archived page of a sheet and logs "page_add" (subject: the
 * batch). archive_path is where the image file is, file_page the page inside
 * that file (from 1), sha256 the page's hash as the record names it.
 * Returns 0, TELLE_EINVAL (no such batch), TELLE_EIO. */
int st_page_add(st_db *db, const char *actor, const char *batch,
                const char *sheet,
                const char *side, const char *archive_path, int file_page,
                const char *sha256);

typedef struct {
    char *sheet, *side, *archive_path, *sha256;
    int file_page;
} st_page;

/* Pages of one sheet, in the order added. *pages is caller-owned; free with
 * st_pages_free(pages, n). Returns 0 or TELLE_EIO. */
int st_page_list(st_page **pages, int *n, st_db *db, const char *batch,
                 const char *sheet);
void st_pages_free(st_page *pages, int n);

/* Stores a sheet record's text byte for byte and its SHA-256 (of exactly
 * those bytes, written to sha256_out when not NULL), and logs "record_add"
 * (subject: the batch; payload: item id, sheet, sha256, outcome). *id_out
 * receives the record's id, which is also its queue item id. Returns 0,
 * TELLE_EINVAL (text is not a JSON object, no such batch), TELLE_ESTATE
 * (batch+sheet exists), TELLE_EIO. */
int st_record_add(st_db *db, int64_t *id_out, char sha256_out[65],
                  const char *actor, const char *batch, const char *sheet,
                  const char *record);

typedef struct {
    int64_t id;
    char *batch, *sheet;
    char *record;  /* the text; NULL from st_record_list without text */
    char *sha256;
    char *outcome; /* the record's "outcome" as stored at insertion:
                      approved, blank or review ("review" when the record
                      had none, so a person looks) */
} st_record;

/* One record by id; caller frees with st_record_free. TELLE_EINVAL when
 * there is none. */
int st_record_get(st_record **out, st_db *db, int64_t id);
void st_record_free(st_record *r);

/* A batch's records in id (scan) order, with their text only when
 * with_text (deriving the queue needs ids, sheets, hashes and outcomes,
 * not the text). Free with st_records_free. */
int st_record_list(st_record **out, int *n, st_db *db, const char *batch,
                   bool with_text);
void st_records_free(st_record *r, int n);

/* Checks that every stored record's text still has its stored SHA-256 and
 * that the hash equals the one its record_add event carries. Fills msg (a
 * description of the first problem, "" when none) and returns 0 when the
 * check ran; *bad counts the records that fail. TELLE_EIO on read errors. */
int st_records_verify(int64_t *bad, char msg[256], st_db *db);

typedef enum {
    ST_ROLE_OPERATOR,
    ST_ROLE_SECRETARY,
    ST_ROLE_AUDITOR,
} st_role;

const char *st_role_name(st_role r);
/* Returns 0 or TELLE_EINVAL for a name that is not a role. */
int st_role_parse(st_role *out, const char *name);

/* Creates an operator; the password is hashed with libsodium's
 * crypto_pwhash_str (Argon2id, interactive limits: about 64 MiB and 0.1 s,
 * which keeps a log-in quick while making a stolen file costly to attack).
 * An "operator_add" event records name and role (never the hash). Passwords
 * shorter than 8 bytes are refused. Returns 0, TELLE_EINVAL, TELLE_ESTATE
 * (name exists), TELLE_ENOMEM, TELLE_EIO. */
int st_operator_add(st_db *db, const char *actor, const char *name,
                    st_role role, const char *password);

/* Replaces an operator's password hash and logs "operator_passwd". Returns
 * 0, TELLE_EINVAL (no such operator, short password), TELLE_EIO. */
int st_operator_passwd(st_db *db, const char *actor, const char *name,
                       const char *password);

/* Verifies a log-in. Returns 0 and the role, or TELLE_EINVAL with the same
 * message for an unknown name and a wrong password (so a caller cannot tell
 * which names exist). */
int st_operator_check(st_role *role, st_db *db, const char *name,
                      const char *password);

/* The role of an existing operator; TELLE_EINVAL when there is none. */
int st_operator_role(st_role *role, st_db *db, const char *name);

typedef struct {
    char *name;
    st_role role;
} st_operator;

/* Every operator by name; free with st_operators_free. */
int st_operator_list(st_operator **out, int *n, st_db *db);
void st_operators_free(st_operator *ops, int n);

#endif
