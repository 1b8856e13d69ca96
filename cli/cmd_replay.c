/* cmd_replay.c - `telle replay`: re-read every archived page of a count,
 * re-run recognition, and check records, decisions, tallies and the event
 * chain against the store (audit/replay.h). Prints the report; exit 0 only
 * when everything agrees, 1 when something differs, 2 for usage or when
 * the replay cannot run (store, archive or package unreadable). */
#include "cli/commands.h"

#include "audit/replay.h"
#include "core/error.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: telle replay --db FILE [--archive DIR] [--package DIR]\n"
            "                    [--threads N] [--json]\n"
            "\n"
            "Re-reads every archived page of the count in FILE: checks its SHA-256,\n"
            "re-runs recognition with the count's package, compares each record\n"
            "byte for byte, re-derives the committed tallies from records and\n"
            "decisions, and verifies the event chain. --archive DIR: the pages are\n"
            "DIR/<batch>/<file> (an audit export) instead of the stored paths.\n"
            "--package DIR: the package folder (its election.json must be the one\n"
            "the count was made with). Exit 0: everything agrees; 1: something\n"
            "differs (listed); 2: usage, or the replay could not run.\n");
}

/* Called from the replaying thread after each of its sheets; the other
 * workers move `done` on meanwhile, so print at most every 16 sheets. */
static void progress(void *ctx, int done, int total)
{
    int *last = ctx;
    if (done == total || done - *last >= 16 || done < *last) {
        fprintf(stderr, "\rtelle replay: %d/%d sheets", done, total);
        *last = done;
    }
}

static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "-";
}

static void print_finding(const au_finding *f)
{
    switch (f->kind) {
    case AU_RECORD_DIFFERS:
        printf("DIFFERS   %s %s: %s: stored %s, replay %s\n", or_dash(f->batch),
               or_dash(f->sheet), or_dash(f->field),
               f->old_value ? f->old_value : "(absent)",
               f->new_value ? f->new_value : "(absent)");
        break;
    case AU_TALLY_DIFFERS:
        printf("TALLY     %s: %s: committed %s, derived %s (commit seq %lld)%s%s\n",
               or_dash(f->batch), or_dash(f->field),
               f->old_value ? f->old_value : "(absent)",
               f->new_value ? f->new_value : "(absent)", (long long)f->seq,
               f->message ? ": " : "", f->message ? f->message : "");
        break;
    case AU_PAGE_HASH:
        printf("HASH      %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    case AU_IMAGE_MISSING:
        printf("MISSING   %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    case AU_IMAGE_UNREADABLE:
        printf("UNREAD    %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    case AU_IMAGE_EXTRA:
        printf("EXTRA     %s: %s\n", or_dash(f->batch), or_dash(f->message));
        break;
    case AU_RECORD_HASH:
        printf("RECORD    %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    case AU_DECISION_HASH:
        printf("DECISION  %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    case AU_CHAIN:
        printf("CHAIN     %s\n", or_dash(f->message));
        break;
    case AU_STORE:
        printf("STORE     %s %s: %s\n", or_dash(f->batch), or_dash(f->sheet),
               or_dash(f->message));
        break;
    }
}

static void print_text(const au_report *r)
{
    printf("package election.json sha256 %s\n", r->package_sha256);
    printf("batches %d (%d committed, %d tallies re-derived)\n", r->batches,
           r->batches_committed, r->tallies_compared);
    printf("sheets checked %d: identical %d, differing %d, not re-read %d\n",
           r->sheets_checked, r->sheets_identical, r->sheets_differing,
           r->sheets_not_reread);
    printf("pages decoded and hashed %d; decisions checked %d\n",
           r->pages_checked, r->decisions_checked);
    if (r->unnamed_non_ballot)
        printf("image files no page names that are no ballot (labels): %d\n",
               r->unnamed_non_ballot);
    printf("event chain: %lld entries, %s, head %s\n",
           (long long)r->chain.entries,
           r->chain.first_bad_seq ? "BROKEN" : "whole", r->chain.head_hash);
    printf("stored records failing their hash: %lld\n",
           (long long)r->records_bad);
    for (int i = 0; i < r->n_findings; i++)
        print_finding(&r->findings[i]);
    printf("%s: %d finding%s in %.1f s\n",
           au_report_agrees(r) ? "AGREES" : "DIFFERS", r->n_findings,
           r->n_findings == 1 ? "" : "s", r->seconds);
}

int cmd_replay(int argc, char **argv)
{
    const char *db_path = NULL;
    au_replay_options opt = AU_REPLAY_OPTIONS_INIT;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            as_json = true;
        } else if (strcmp(a, "--db") == 0 || strcmp(a, "--archive") == 0
                   || strcmp(a, "--package") == 0 || strcmp(a, "--threads") == 0) {
            if (!v) {
                fprintf(stderr, "telle replay: %s needs a value\n", a);
                return 2;
            }
            i++;
            if (strcmp(a, "--db") == 0) {
                db_path = v;
            } else if (strcmp(a, "--archive") == 0) {
                opt.archive_dir = v;
            } else if (strcmp(a, "--package") == 0) {
                opt.package_dir = v;
            } else {
                char *end = NULL;
                long n = strtol(v, &end, 10);
                if (!end || *end || n < 1 || n > 64) {
                    fprintf(stderr, "telle replay: --threads %s: give 1 to 64\n", v);
                    return 2;
                }
                opt.threads = (int)n;
            }
        } else {
            fprintf(stderr, "telle replay: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!db_path) {
        usage(stderr);
        return 2;
    }
    if (access(db_path, R_OK) != 0) {
        fprintf(stderr, "telle replay: %s: cannot read the store\n", db_path);
        return 2;
    }
    if (opt.archive_dir && access(opt.archive_dir, R_OK | X_OK) != 0) {
        fprintf(stderr, "telle replay: --archive %s: not a readable folder\n",
                opt.archive_dir);
        return 2;
    }
    bool tty = isatty(STDERR_FILENO);
    int last_shown = 0;
    if (tty) {
        opt.progress = progress;
        opt.progress_ctx = &last_shown;
    }
    st_db *db = NULL;
    au_report *r = NULL;
    int status = 2;
    if (st_db_open(&db, db_path, ST_OPEN_READONLY) != 0) {
        fprintf(stderr, "telle replay: %s\n", err_message());
        goto done;
    }
    int rc = au_replay(&r, db, &opt);
    if (tty)
        fputc('\n', stderr);
    if (rc != 0) {
        fprintf(stderr, "telle replay: %s\n", err_message());
        goto done;
    }
    if (as_json) {
        json_t *j = NULL;
        if (au_report_to_json(&j, r) != 0) {
            fprintf(stderr, "telle replay: %s\n", err_message());
            goto done;
        }
        char *text = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        if (!text) {
            fprintf(stderr, "telle replay: out of memory\n");
            goto done;
        }
        printf("%s\n", text);
        free(text);
    } else {
        print_text(r);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "telle replay: cannot write the report\n");
        goto done;
    }
    status = au_report_agrees(r) ? 0 : 1;
done:
    au_report_free(r);
    st_db_close(db);
    return status;
}
