/* testdeck.c - the test deck: a simulated batch of known content with its
 * expectation (expected.json), and the comparison of sheet records with it.
 *
 *   smp_testdeck_make         write the batch, truth.jsonl and expected.json
 *   smp_testdeck_check        compare sheet records with expected.json
 *   smp_testdeck_lines_free   free the lines smp_testdeck_check returns
 */
#include "samples/testdeck.h"

#include "core/error.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A list key for counts: approved sheets without a list (which a record
 * may claim) are counted under this name. */
#define NO_LIST "(none)"

static const char *format_word(smp_scan_format f)
{
    return f == SMP_SCAN_RGB ? "rgb" : f == SMP_SCAN_GRAY ? "gray" : "g4";
}

/* Adds sign times one sheet of outcome/list/personal votes to counts
 * {"approved": {L: n}, "blank": n, "review": n, "personal_votes": {L: {C: n}}}.
 * Unknown outcomes count as review: they are not a vote. */
static void counts_add(json_t *counts, const char *outcome, const char *list,
                       json_t *pv, int sign)
{
    if (!outcome || (strcmp(outcome, "approved") != 0 &&
                     strcmp(outcome, "blank") != 0))
        outcome = "review";
    if (strcmp(outcome, "approved") != 0) {
        json_int_t n = json_integer_value(json_object_get(counts, outcome));
        json_object_set_new(counts, outcome, json_integer(n + sign));
        return;
    }
    const char *l = list ? list : NO_LIST;
    json_t *ap = json_object_get(counts, "approved");
    json_object_set_new(ap, l,
                        json_integer(json_integer_value(json_object_get(ap, l)) + sign));
    json_t *pvs = json_object_get(counts, "personal_votes");
    json_t *per = json_object_get(pvs, l);
    if (!per && json_array_size(pv) > 0) {
        per = json_object();
        json_object_set_new(pvs, l, per);
    }
    size_t i;
    json_t *v;
    json_array_foreach(pv, i, v) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(v));
        json_object_set_new(per, key,
                            json_integer(json_integer_value(json_object_get(per, key)) + sign));
    }
}

static json_t *counts_new(void)
{
    return json_pack("{s:{}, s:i, s:i, s:{}}", "approved", "blank", 0, "review", 0,
                     "personal_votes");
}

/* Counts as a flat object: "approved AP", "blank", "review",
 * "personal_votes AP 6" -> n, zeros left out, so two counts compare key by
 * key whatever their shape. */
static json_t *counts_flat(json_t *counts)
{
    json_t *flat = json_object();
    const char *k;
    json_t *v;
    char key[512];
    json_object_foreach(json_object_get(counts, "approved"), k, v) {
        snprintf(key, sizeof key, "approved %s", k);
        if (json_integer_value(v))
            json_object_set(flat, key, v);
    }
    if (json_integer_value(json_object_get(counts, "blank")))
        json_object_set(flat, "blank", json_object_get(counts, "blank"));
    if (json_integer_value(json_object_get(counts, "review")))
        json_object_set(flat, "review", json_object_get(counts, "review"));
    json_object_foreach(json_object_get(counts, "personal_votes"), k, v) {
        const char *c;
        json_t *n;
        json_object_foreach(v, c, n) {
            snprintf(key, sizeof key, "personal_votes %s %s", k, c);
            if (json_integer_value(n))
                json_object_set(flat, key, n);
        }
    }
    return flat;
}

static const char *str_or_empty(json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) {
        err_set(TELLE_ENOMEM, "out of memory");
        return NULL;
    }
    if (bad) {
        free(buf);
        err_set(TELLE_EIO, "%s: read failed", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int smp_testdeck_make(int *n_sheets, const char *package_dir,
                      const char *out_dir, const smp_sim_opts *opts)
{
    if (n_sheets)
        *n_sheets = 0;
    smp_sim_opts o = SMP_SIM_OPTS_INIT;
    if (opts)
        o = *opts;
    o.batches = 1;
    o.voter.p_light = 0;
    if (o.sheets < 1)
        return err_set(TELLE_EINVAL, "testdeck: a deck needs at least one ballot");
    int n = 0, rc;
    if ((rc = smp_simulate(package_dir, out_dir, &o, &n)))
        return rc;

    json_t *root = NULL, *sheets = json_array(), *counts = counts_new();
    char *truth = NULL, *text = NULL;
    size_t plen = strlen(out_dir) + 64;
    char *path = malloc(plen);
    if (!sheets || !counts || !path) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(path, plen, "%s/truth.jsonl", out_dir);
    if (!(truth = read_text(path))) {
        rc = err_code();
        goto done;
    }
    char batch[128] = "", file[160] = "", election[64] = "";
    int line_no = 0;
    for (char *line = truth; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        line_no++;
        json_error_t je;
        json_t *t = json_loadb(line, len, 0, &je);
        if (!t) {
            rc = err_set(TELLE_EFORMAT, "%s line %d: %s", path, line_no, je.text);
            goto done;
        }
        const char *sheet = json_string_value(json_object_get(t, "sheet"));
        const char *expected = json_string_value(json_object_get(t, "expected"));
        const char *hash = sheet ? strrchr(sheet, '#') : NULL;
        if (!hash || !expected) {
            json_decref(t);
            rc = err_set(TELLE_EFORMAT, "%s line %d: no sheet or expected outcome",
                         path, line_no);
            goto done;
        }
        if (line_no == 1) {
            snprintf(batch, sizeof batch, "%s", str_or_empty(json_object_get(t, "batch")));
            snprintf(file, sizeof file, "%.*s", (int)(hash - sheet), sheet);
            snprintf(election, sizeof election, "%s",
                     str_or_empty(json_object_get(t, "election")));
        }
        json_t *list = json_object_get(t, "list");
        json_t *pv = json_object_get(t, "personal_votes");
        json_t *s = json_pack(
            "{s:i, s:s, s:O?, s:O?, s:O?, s:s, s:O?, s:O?, s:O?, s:O?}", "index",
            atoi(hash + 1), "sheet", sheet, "election", json_object_get(t, "election"),
            "style", json_object_get(t, "style"), "kind", json_object_get(t, "kind"),
            "expected", expected, "acceptable", json_object_get(t, "acceptable"),
            "list", list, "personal_votes", pv, "reasons",
            json_object_get(t, "must_review"));
        if (s)
            json_object_set(s, "cases", json_object_get(t, "cases"));
        int bad = !s || json_array_append_new(sheets, s) != 0;
        if (!bad)
            counts_add(counts, expected, json_string_value(list), pv, 1);
        json_decref(t);
        if (bad) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        line = end ? end + 1 : line + len;
    }
    if (line_no != n) {
        rc = err_set(TELLE_EFORMAT, "%s: %d lines for %d ballots", path, line_no, n);
        goto done;
    }
    double dpi = o.dpi > 0 ? o.dpi : o.format == SMP_SCAN_RGB ? 300 : 200;
    root = json_pack("{s:{s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:f, s:b}, s:O, s:O}",
                     "deck", "election", election, "batch", batch, "file", file,
                     "package", package_dir, "seed", (json_int_t)o.seed, "ballots",
                     n, "format", format_word(o.format), "dpi", dpi, "label",
                     o.label, "sheets", sheets, "counts", counts);
    if (!root || !(text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER))) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(path, plen, "%s/expected.json", out_dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        rc = err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    if (bad) {
        rc = err_set(TELLE_EIO, "%s: write failed", path);
        goto done;
    }
    if (n_sheets)
        *n_sheets = n;
done:
    free(text);
    free(truth);
    free(path);
    json_decref(root);
    json_decref(sheets);
    json_decref(counts);
    return rc;
}

typedef struct {
    char **v;
    size_t n, cap;
    int nomem;
} line_list;

static void say(line_list *l, const char *fmt, ...)
{
    if (l->nomem)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) {
            l->nomem = 1;
            return;
        }
        l->v = nv;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!s) {
        l->nomem = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    l->v[l->n++] = s;
}

/* JSON text of v (null for NULL), for messages; caller frees. */
static char *show(json_t *v)
{
    char *s = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
    return s ? s : strdup("?");
}

static int in_strings(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    return 0;
}

/* Personal votes compared as sets of candidate numbers. */
static int same_votes(json_t *a, json_t *b)
{
    if (json_array_size(a) != json_array_size(b))
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        int found = 0;
        for (size_t j = 0; j < json_array_size(b) && !found; j++)
            found = json_integer_value(json_array_get(b, j)) == json_integer_value(v);
        if (!found)
            return 0;
    }
    return 1;
}

static void say_field(line_list *l, json_t *exp_sheet, const char *field,
                      json_t *expected, json_t *found)
{
    char *e = show(expected), *f = show(found);
    say(l, "sheet %d (%s): %s: expected %s, found %s",
        (int)json_integer_value(json_object_get(exp_sheet, "index")),
        json_string_value(json_object_get(exp_sheet, "sheet")), field, e, f);
    free(e);
    free(f);
}

/* Compares one sheet's record with its expectation; 1 when a difference
 * was listed. */
static int compare_sheet(line_list *l, json_t *e, json_t *r)
{
    json_t *outcome = json_object_get(r, "outcome");
    const char *out = json_string_value(outcome);
    json_t *reasons = json_object_get(e, "reasons");
    if (json_array_size(reasons) > 0) {
        if (out && strcmp(out, "review") == 0)
            return 0;
        char *rs = show(reasons), *f = show(outcome);
        say(l, "sheet %d (%s): outcome: expected \"review\" (reasons %s), found %s",
            (int)json_integer_value(json_object_get(e, "index")),
            json_string_value(json_object_get(e, "sheet")), rs, f);
        free(rs);
        free(f);
        return 1;
    }
    json_t *acc = json_object_get(e, "acceptable");
    if (!out || !in_strings(acc, out)) {
        json_t *want = json_array_size(acc) == 1 ? json_array_get(acc, 0)
                                                 : json_object_get(e, "expected");
        say_field(l, e, "outcome", want, outcome);
        return 1;
    }
    if (strcmp(out, "approved") != 0)
        return 0;
    int diff = 0;
    if (!json_equal(json_object_get(e, "list"), json_object_get(r, "list"))) {
        say_field(l, e, "list", json_object_get(e, "list"), json_object_get(r, "list"));
        diff = 1;
    }
    if (!same_votes(json_object_get(e, "personal_votes"),
                    json_object_get(r, "personal_votes"))) {
        say_field(l, e, "personal_votes", json_object_get(e, "personal_votes"),
                  json_object_get(r, "personal_votes"));
        diff = 1;
    }
    return diff;
}

static void add_record(json_t *counts, json_t *r, int sign)
{
    counts_add(counts, json_string_value(json_object_get(r, "outcome")),
               json_string_value(json_object_get(r, "list")),
               json_object_get(r, "personal_votes"), sign);
}

static void add_expected(json_t *counts, json_t *e, int sign)
{
    counts_add(counts, json_string_value(json_object_get(e, "expected")),
               json_string_value(json_object_get(e, "list")),
               json_object_get(e, "personal_votes"), sign);
}

int smp_testdeck_check(char ***lines, size_t *n_lines, const char *deck_dir,
                       const char *records_path)
{
    *lines = NULL;
    *n_lines = 0;
    line_list l = {0}, extra = {0}; /* extra: records without a sheet, listed after the sheets */
    json_t *deck = NULL, *by_index = NULL, *found = counts_new(), *explained = NULL;
    json_t *flat_f = NULL, *flat_x = NULL, *flat_e = NULL;
    char *text = NULL;
    int rc = 0;
    size_t plen = strlen(deck_dir) + 32;
    char *path = malloc(plen);
    if (!path || !found) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(path, plen, "%s/expected.json", deck_dir);
    json_error_t je;
    deck = json_load_file(path, 0, &je);
    if (!deck) {
        rc = err_set(errno == ENOENT ? TELLE_EIO : TELLE_EFORMAT, "%s: %s", path, je.text);
        goto done;
    }
    json_t *sheets = json_object_get(deck, "sheets");
    json_t *exp_counts = json_object_get(deck, "counts");
    if (!json_is_array(sheets) || !json_is_object(exp_counts) ||
        !json_is_object(json_object_get(exp_counts, "approved")) ||
        !json_is_object(json_object_get(exp_counts, "personal_votes"))) {
        rc = err_set(TELLE_EFORMAT, "%s: not a test deck's expectation (no sheets or counts)",
                     path);
        goto done;
    }
    size_t n = json_array_size(sheets);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(sheets, i);
        if (json_integer_value(json_object_get(e, "index")) != (json_int_t)(i + 1) ||
            !json_is_string(json_object_get(e, "expected"))) {
            rc = err_set(TELLE_EFORMAT, "%s: sheet %zu is not sheet #%zu of the deck", path,
                         i + 1, i + 1);
            goto done;
        }
    }
    /* The counts the listed differences explain: the expected counts with
     * each differing sheet's expected part replaced by its record's. */
    explained = json_deep_copy(exp_counts);
    json_t **rec = calloc(n + 1, sizeof *rec);
    by_index = json_array(); /* owns the records */
    if (!explained || !rec || !by_index) {
        free(rec);
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if (!(text = read_text(records_path))) {
        free(rec);
        rc = err_code();
        goto done;
    }
    int line_no = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *next = end ? end + 1 : line + len;
        line_no++;
        if (len == 0 || (len == 1 && line[0] == '\r')) {
            line = next;
            continue;
        }
        json_t *r = json_loadb(line, len, 0, &je);
        const char *sheet = r ? json_string_value(json_object_get(r, "sheet")) : NULL;
        const char *hash = sheet ? strrchr(sheet, '#') : NULL;
        char *stop = NULL;
        long idx = hash ? strtol(hash + 1, &stop, 10) : 0;
        if (!hash || stop == hash + 1 || *stop != '\0' || idx < 1) {
            say(&extra, "record line %d: sheet: expected \"FILE#N\", found %s", line_no,
                r ? "no sheet index" : "no JSON object");
            json_decref(r);
            line = next;
            continue;
        }
        json_array_append_new(by_index, r);
        add_record(found, r, 1);
        if ((size_t)idx > n) {
            say(&extra, "sheet %ld: record: expected none (the deck has %zu sheets), found \"%s\"",
                idx, n, sheet);
            add_record(explained, r, 1);
        } else if (rec[idx]) {
            say(&extra, "sheet %ld (%s): record: expected one, found a second \"%s\"", idx,
                json_string_value(json_object_get(json_array_get(sheets, (size_t)idx - 1),
                                                  "sheet")),
                sheet);
            add_record(explained, r, 1);
        } else {
            rec[idx] = r;
        }
        line = next;
    }
    for (size_t i = 1; i <= n; i++) {
        json_t *e = json_array_get(sheets, i - 1);
        if (!rec[i]) {
            say(&l, "sheet %zu (%s): record: expected one, found none", i,
                json_string_value(json_object_get(e, "sheet")));
            add_expected(explained, e, -1);
        } else if (compare_sheet(&l, e, rec[i])) {
            add_expected(explained, e, -1);
            add_record(explained, rec[i], 1);
        }
    }
    free(rec);
    for (size_t i = 0; i < extra.n; i++)
        say(&l, "%s", extra.v[i]);
    l.nomem |= extra.nomem;
    flat_f = counts_flat(found);
    flat_x = counts_flat(explained);
    flat_e = counts_flat(exp_counts);
    /* Every key of either side, expected first, in a stable order. */
    json_t *keys = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(flat_x, k, v)
        json_object_set_new(keys, k, json_true());
    json_object_foreach(flat_f, k, v)
        json_object_set_new(keys, k, json_true());
    json_object_foreach(keys, k, v) {
        json_int_t x = json_integer_value(json_object_get(flat_x, k));
        json_int_t f = json_integer_value(json_object_get(flat_f, k));
        if (x != f)
            say(&l, "counts: %s: expected %lld, found %lld", k,
                (long long)json_integer_value(json_object_get(flat_e, k)), (long long)f);
    }
    json_decref(keys);
    if (l.nomem) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    *lines = l.v;
    *n_lines = l.n;
    l.v = NULL;
    l.n = 0;
done:
    smp_testdeck_lines_free(l.v, l.n);
    smp_testdeck_lines_free(extra.v, extra.n);
    json_decref(flat_f);
    json_decref(flat_x);
    json_decref(flat_e);
    json_decref(found);
    json_decref(explained);
    json_decref(by_index);
    json_decref(deck);
    free(text);
    free(path);
    return rc;
}

void smp_testdeck_lines_free(char **lines, size_t n_lines)
{
    for (size_t i = 0; i < n_lines; i++)
        free(lines[i]);
    free(lines);
}
