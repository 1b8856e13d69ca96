/* cmd_review.c - `telle review ...`: the verification queue on the command
 * line, for scripts, tests and a demo without a browser. Every command that
 * decides takes `--as NAME` and checks the operator's password
 * ($TELLE_PASSWORD, or asked for on the terminal).
 *
 *   telle review load    store a batch's sheet records (JSON Lines)
 *   telle review list    batches with counts, or the items of one batch
 *   telle review show    one item: record, reasons, decision, history
 *   telle review search  candidates by name or "LIST number"
 *   telle review claim / release / decide / undo / remark / commit
 *   telle review tallies the batch's derived counts as JSON
 *   telle review verify  the event chain and every record's hash
 *
 *   cmd_review
 */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include "cli/commands.h"
#include "cli/password.h"

#include "core/error.h"
#include "store/store.h"
#include "verify/decision.h"
#include "verify/queue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_WRITE_INS = 64, MAX_VOTES = 256 };

/* Results of the command functions beside the library's TELLE_E* codes:
 * a usage error, and an error that has been printed already. */
enum { R_USAGE = -100, R_QUIET = -101 };

static void usage(FILE *to)
{
    fprintf(to,
        "usage: telle review COMMAND [--db FILE] ...\n"
        "  load [--batch ID --election E --krets K --category C] [--archive DIR] RECORDS.jsonl\n"
        "       (batch fields default to the first record's batch, krets, category, election)\n"
        "  list [--batch ID]\n"
        "  show ITEM\n"
        "  search --election E [--own LIST] QUERY\n"
        "  claim ITEM --as NAME          release ITEM --as NAME\n"
        "  decide ITEM --as NAME [--confirm] [--list L] [--votes 1,3|none]\n"
        "         [--write-in 'LIST NO'|NAME]... [--write-in-text TEXT]...\n"
        "         [--blank | --reject a|b|c|d | --confirm-reject] [--remark TEXT]\n"
        "  undo ITEM --as NAME --reason TEXT\n"
        "  remark ITEM --as NAME TEXT\n"
        "  commit BATCH --as NAME\n"
        "  tallies BATCH\n"
        "  verify\n"
        "The password for --as comes from $TELLE_PASSWORD or the terminal.\n");
}

static char *slurp(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f == NULL) {
        err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                err_set(TELLE_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 65536, f);
        len += n;
        if (n < 65536)
            break;
    }
    if (buf)
        buf[len] = '\0';
    if (f != stdin)
        fclose(f);
    return buf;
}

struct opts {
    const char *db, *as, *batch, *election, *krets, *category, *archive;
    const char *list, *votes, *reject, *remark, *reason, *own;
    bool confirm, blank, confirm_reject;
    const char *write_in[MAX_WRITE_INS];
    int n_write_in;
    const char *write_in_text[MAX_WRITE_INS];
    int n_write_in_text;
    const char *pos[4];
    int n_pos;
};

static int parse(struct opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->db = "telle.db";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
#define OPT(flag, field) \
        if (strcmp(a, flag) == 0 && has) { o->field = argv[++i]; continue; }
        OPT("--db", db) OPT("--as", as) OPT("--batch", batch)
        OPT("--election", election) OPT("--krets", krets)
        OPT("--category", category) OPT("--archive", archive)
        OPT("--list", list) OPT("--votes", votes) OPT("--reject", reject)
        OPT("--remark", remark) OPT("--reason", reason) OPT("--own", own)
#undef OPT
        if (strcmp(a, "--confirm") == 0) { o->confirm = true; continue; }
        if (strcmp(a, "--blank") == 0) { o->blank = true; continue; }
        if (strcmp(a, "--confirm-reject") == 0) { o->confirm_reject = true; continue; }
        if (strcmp(a, "--write-in") == 0 && has && o->n_write_in < MAX_WRITE_INS) {
            o->write_in[o->n_write_in++] = argv[++i];
            continue;
        }
        if (strcmp(a, "--write-in-text") == 0 && has &&
            o->n_write_in_text < MAX_WRITE_INS) {
            o->write_in_text[o->n_write_in_text++] = argv[++i];
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "telle review: unknown or incomplete option '%s'\n", a);
            return -1;
        }
        if (o->n_pos >= 4) {
            fprintf(stderr, "telle review: too many arguments\n");
            return -1;
        }
        o->pos[o->n_pos++] = a;
    }
    return 0;
}

static int item_arg(int64_t *item, const struct opts *o)
{
    char *end = NULL;
    if (o->n_pos < 1 || (*item = strtoll(o->pos[0], &end, 10)) <= 0 || *end) {
        fprintf(stderr, "telle review: give an item number\n");
        return -1;
    }
    return 0;
}

/* Checks --as and the password. */
static int login(st_db *db, const struct opts *o)
{
    return cli_login(NULL, db, o->as, "telle review");
}

static void print_json_compact(const char *label, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%s%s\n", label, s ? s : "null");
    free(s);
}

static int cmd_list(st_db *db, const struct opts *o)
{
    char **ids = NULL;
    if (o->batch == NULL) {
        if (st_batch_list(&ids, db) < 0)
            return -1;
        printf("%-16s %-4s %-6s %-3s %-9s %6s %6s %7s\n", "batch", "el.", "krets",
               "cat", "state", "sheets", "review", "pending");
        for (char **p = ids; *p; p++) {
            vq_batch_state *s = NULL;
            if (vq_batch_state_get(&s, db, *p, vq_now_ms()) < 0) {
                st_strv_free(ids);
                return -1;
            }
            printf("%-16s %-4s %-6s %-3s %-9s %6d %6d %7d\n", s->batch,
                   s->election, s->krets, s->category,
                   s->committed ? "committed" : "open", s->n_items, s->n_review,
                   s->n_pending);
            vq_batch_state_free(s);
        }
        st_strv_free(ids);
        return 0;
    }
    vq_batch_state *s = NULL;
    if (vq_batch_state_get(&s, db, o->batch, vq_now_ms()) < 0)
        return -1;
    printf("batch %s (%s, krets %s, %s): %s, %d sheets, %d for review, %d "
           "pending\n", s->batch, s->election, s->krets, s->category,
           s->committed ? "committed" : "open", s->n_items, s->n_review,
           s->n_pending);
    for (int i = 0; i < s->n_items; i++) {
        vq_item *it = &s->items[i];
        if (it->state == VQ_ITEM_MACHINE)
            continue;
        if (vq_item_record_load(db, it) < 0) {
            vq_batch_state_free(s);
            return -1;
        }
        char *reasons = json_dumps(json_object_get(it->record, "reasons"),
                                   JSON_COMPACT | JSON_ENCODE_ANY);
        printf("%6" PRId64 "  %-20s %-16s %s%s%s\n", it->id, it->sheet,
               vq_item_state_name(it->state), reasons ? reasons : "[]",
               it->claim_by ? "  claimed by " : "",
               it->claim_by ? it->claim_by : "");
        free(reasons);
    }
    vq_batch_state_free(s);
    return 0;
}

static int cmd_show(st_db *db, const struct opts *o)
{
    int64_t item;
    char *batch = NULL;
    vq_batch_state *s = NULL;
    if (item_arg(&item, o) < 0)
        return R_USAGE;
    if (vq_item_batch(&batch, db, item) < 0 ||
        vq_batch_state_get(&s, db, batch, vq_now_ms()) < 0) {
        free(batch);
        return -1;
    }
    vq_item *it = vq_batch_item_find(s, item);
    if (vq_item_record_load(db, it) < 0) {
        vq_batch_state_free(s);
        free(batch);
        return -1;
    }
    printf("item %" PRId64 ": %s in batch %s\n", it->id, it->sheet, batch);
    printf("state: %s", vq_item_state_name(it->state));
    if (it->claim_by)
        printf(" (claimed by %s)", it->claim_by);
    printf("\nmachine: %s, list %s\n", it->outcome,
           json_string_value(json_object_get(it->record, "list"))
               ? json_string_value(json_object_get(it->record, "list")) : "none");
    print_json_compact("reasons: ", json_object_get(it->record, "reasons"));
    print_json_compact("personal votes: ", json_object_get(it->record, "personal_votes"));
    print_json_compact("writing: ", json_object_get(it->record, "writing"));
    printf("record sha256: %s\n", it->record_sha256);
    st_page *pages = NULL;
    int n = 0;
    if (st_page_list(&pages, &n, db, batch, it->sheet) == 0) {
        for (int i = 0; i < n; i++)
            printf("page: %s %s#%d sha256 %s\n", pages[i].side ? pages[i].side : "?",
                   pages[i].archive_path, pages[i].file_page, pages[i].sha256);
        st_pages_free(pages, n);
    }
    if (it->decision) {
        printf("decision (event %" PRId64 " by %s%s%s): ", it->decision_seq,
               it->decided_by, it->confirmed_by ? ", confirmed by " : "",
               it->confirmed_by ? it->confirmed_by : "");
        print_json_compact("", it->decision);
    }
    size_t i;
    json_t *h;
    json_array_foreach(it->history, i, h) {
        printf("  #%" JSON_INTEGER_FORMAT " %s %s %s ",
               json_integer_value(json_object_get(h, "seq")),
               json_string_value(json_object_get(h, "time")),
               json_string_value(json_object_get(h, "actor")),
               json_string_value(json_object_get(h, "kind")));
        print_json_compact("", json_object_get(h, "payload"));
    }
    vq_batch_state_free(s);
    free(batch);
    return 0;
}

static int cmd_search(st_db *db, const struct opts *o)
{
    vq_candidates *c = NULL;
    vq_match m[50];
    if (o->election == NULL || o->n_pos < 1) {
        fprintf(stderr, "telle review search: give --election and a query\n");
        return R_USAGE;
    }
    if (vq_candidates_load(&c, db) < 0)
        return -1;
    int n = vq_candidates_search(m, 50, c, o->election, o->own, o->pos[0]);
    if (n < 0) {
        vq_candidates_free(c);
        return -1;
    }
    for (int i = 0; i < n && i < 50; i++)
        printf("%-6s %3d  %s (%s)%s\n", m[i].list, m[i].no, m[i].name,
               m[i].list_name ? m[i].list_name : "",
               m[i].own_list ? "  [the ballot's own list: would not count]" : "");
    vq_candidates_free(c);
    return 0;
}

/* Resolves --write-in values ("LIST NO" or a name piece with one match). */
static int resolve_write_ins(vq_write_in *w, st_db *db, const char *batch,
                             const struct opts *o)
{
    vq_candidates *c = NULL;
    st_batch *b = NULL;
    int rc = 0;
    if (o->n_write_in == 0)
        return 0;
    if (vq_candidates_load(&c, db) < 0 || st_batch_get(&b, db, batch) < 0) {
        vq_candidates_free(c);
        return -1;
    }
    for (int i = 0; i < o->n_write_in && rc == 0; i++) {
        vq_match m[8];
        int n = vq_candidates_search(m, 8, c, b->election, NULL, o->write_in[i]);
        if (n != 1) {
            fprintf(stderr, "telle review: write-in '%s' matches %d candidates%s\n",
                    o->write_in[i], n < 0 ? 0 : n,
                    n > 1 ? "; use 'LIST NO' (see telle review search)" : "");
            rc = R_QUIET;
            break;
        }
        /* The strings live in c, which is freed below: keep copies. */
        w[i].list = strdup(m[0].list);
        w[i].candidate = m[0].no;
        w[i].text = o->write_in[i];
        if (w[i].list == NULL)
            rc = -1;
    }
    vq_candidates_free(c);
    st_batch_free(b);
    return rc;
}

static int cmd_decide(st_db *db, const struct opts *o)
{
    int64_t item, seq = 0;
    char *batch = NULL;
    int votes[MAX_VOTES], n_votes = 0, rc = 0;
    vq_write_in w[2 * MAX_WRITE_INS];
    memset(w, 0, sizeof w);
    if (item_arg(&item, o) < 0)
        return R_USAGE;
    if (login(db, o) < 0)
        return R_QUIET;
    if (vq_item_batch(&batch, db, item) < 0)
        return -1;
    if (o->confirm_reject) {
        rc = vq_reject_confirm(&seq, db, o->as, item);
        goto done;
    }
    vq_decision d = VQ_DECISION_INIT;
    d.remark = o->remark;
    if (o->blank) {
        d.action = VQ_BLANK;
    } else if (o->reject) {
        d.action = VQ_REJECT;
        d.ground = o->reject[1] == '\0' ? o->reject[0] : '?';
    } else {
        d.list = o->list;
        if (o->votes) {
            d.votes_from_record = false;
            if (strcmp(o->votes, "none") != 0 && o->votes[0] != '\0') {
                const char *p = o->votes;
                while (*p && n_votes < MAX_VOTES) {
                    char *end = NULL;
                    long v = strtol(p, &end, 10);
                    if (end == p || v < 1 || v > 100000) {
                        fprintf(stderr, "telle review: --votes '%s' is not a "
                                        "list of numbers\n", o->votes);
                        rc = R_USAGE;
                        goto done;
                    }
                    votes[n_votes++] = (int)v;
                    p = *end == ',' ? end + 1 : end;
                }
            }
            d.votes = votes;
            d.n_votes = n_votes;
        }
        if ((rc = resolve_write_ins(w, db, batch, o)) < 0)
            goto done;
        for (int i = 0; i < o->n_write_in_text; i++)
            w[o->n_write_in + i].text = o->write_in_text[i];
        d.write_ins = w;
        d.n_write_ins = o->n_write_in + o->n_write_in_text;
    }
    rc = vq_item_decide(&seq, db, o->as, item, &d);
done:
    for (int i = 0; i < o->n_write_in; i++)
        free((char *)w[i].list);
    free(batch);
    if (rc == 0)
        printf("item %" PRId64 ": recorded as event %" PRId64 "\n", item, seq);
    return rc;
}

static int cmd_verify(st_db *db)
{
    st_chain_report r;
    int64_t bad = 0;
    char msg[256];
    if (st_chain_verify(&r, db) < 0 || st_records_verify(&bad, msg, db) < 0)
        return -1;
    printf("events: %" PRId64 " read, %s\n", r.entries,
           r.first_bad_seq ? r.message : "chain whole");
    if (r.first_bad_seq == 0)
        printf("chain head: %s\n", r.head_hash);
    printf("records: %s%s\n", bad ? "" : "all match their hashes", bad ? msg : "");
    return r.first_bad_seq || bad ? R_QUIET : 0;
}

int cmd_review(int argc, char **argv)
{
    struct opts o;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (parse(&o, argc, argv) < 0) {
        usage(stderr);
        return 2;
    }
    st_db *db = NULL;
    int rc = 0;
    if (st_db_open(&db, o.db, 0) < 0) {
        fprintf(stderr, "telle review: %s\n", err_message());
        return 1;
    }
    int64_t item = 0;
    if (strcmp(sub, "load") == 0) {
        char *text = o.n_pos == 1 ? slurp(o.pos[0]) : NULL;
        json_t *first = NULL;
        if (text != NULL) {
            /* Batch, krets, category and election default to what the
             * first record says (recognition copies them from the label). */
            size_t len = strcspn(text, "\n");
            first = json_loadb(text, len, 0, NULL);
#define FROM_RECORD(field, key)                                                \
            if (o.field == NULL)                                               \
                o.field = json_string_value(json_object_get(first, key));
            FROM_RECORD(batch, "batch") FROM_RECORD(krets, "krets")
            FROM_RECORD(category, "category") FROM_RECORD(election, "election")
#undef FROM_RECORD
        }
        if (o.n_pos != 1) {
            rc = R_USAGE;
        } else if (text == NULL) {
            rc = -1;
        } else if (!o.batch || !o.election || !o.krets || !o.category) {
            fprintf(stderr, "telle review load: the records do not name the "
                            "batch, krets, category and election; give "
                            "--batch, --krets, --category and --election\n");
            rc = R_QUIET;
        } else {
            int n = 0, r = 0;
            /* Archive paths are stored absolute, so `telle serve` finds the
             * images from any working directory. */
            char *archive = o.archive ? realpath(o.archive, NULL) : NULL;
            if (o.archive && archive == NULL) {
                fprintf(stderr, "telle review load: --archive %s: %s\n", o.archive,
                        strerror(errno));
                rc = R_QUIET;
                goto loaded;
            }
            vq_batch_info info = {o.batch, o.election, o.krets, o.category, archive};
            rc = vq_batch_load(&n, &r, db, o.as ? o.as : "system", &info, text,
                               o.pos[0]);
            free(archive);
            if (rc == 0)
                printf("batch %s (%s, krets %s, %s): %d sheets, %d for review\n",
                       o.batch, o.election, o.krets, o.category, n, r);
        }
    loaded:
        json_decref(first);
        free(text);
    } else if (strcmp(sub, "list") == 0) {
        rc = cmd_list(db, &o);
    } else if (strcmp(sub, "show") == 0) {
        rc = cmd_show(db, &o);
    } else if (strcmp(sub, "search") == 0) {
        rc = cmd_search(db, &o);
    } else if (strcmp(sub, "claim") == 0 || strcmp(sub, "release") == 0) {
        if ((rc = item_arg(&item, &o) < 0 ? R_USAGE : 0) == 0 &&
            (rc = login(db, &o) < 0 ? R_QUIET : 0) == 0)
            rc = sub[0] == 'c' ? vq_item_claim(db, o.as, item, 0)
                               : vq_item_release(db, o.as, item);
    } else if (strcmp(sub, "decide") == 0) {
        rc = cmd_decide(db, &o);
    } else if (strcmp(sub, "undo") == 0 || strcmp(sub, "remark") == 0) {
        if ((rc = item_arg(&item, &o) < 0 ? R_USAGE : 0) == 0 &&
            (rc = login(db, &o) < 0 ? R_QUIET : 0) == 0) {
            if (sub[0] == 'u')
                rc = vq_decision_undo(db, o.as, item, o.reason);
            else
                rc = vq_item_remark(db, o.as, item, o.n_pos > 1 ? o.pos[1] : NULL);
        }
    } else if (strcmp(sub, "commit") == 0) {
        int64_t seq = 0;
        if (o.n_pos < 1) {
            rc = R_USAGE;
        } else if ((rc = login(db, &o) < 0 ? R_QUIET : 0) == 0 &&
                   (rc = vq_batch_commit(&seq, db, o.as, o.pos[0])) == 0) {
            printf("batch %s committed (event %" PRId64 ")\n", o.pos[0], seq);
        }
    } else if (strcmp(sub, "tallies") == 0) {
        json_t *t = NULL;
        if (o.n_pos < 1) {
            rc = R_USAGE;
        } else if ((rc = vq_batch_tallies(&t, db, o.pos[0])) == 0) {
            char *s = json_dumps(t, JSON_INDENT(2) | JSON_SORT_KEYS);
            printf("%s\n", s ? s : "");
            free(s);
            json_decref(t);
        }
    } else if (strcmp(sub, "verify") == 0) {
        rc = cmd_verify(db);
    } else {
        fprintf(stderr, "telle review: unknown command '%s'\n", sub);
        rc = R_USAGE;
    }
    st_db_close(db);
    if (rc == R_USAGE) {
        usage(stderr);
        return 2;
    }
    if (rc == R_QUIET)
        return 1;
    if (rc < 0) {
        fprintf(stderr, "telle review %s: %s\n", sub, err_message());
        return 1;
    }
    return 0;
}
