/* protocol.c - the protocol (valgstyrets møtebok, chapters D and E) as
 * JSON, from a counts document (see protocol.h for the structure and the
 * not-final rule).
 *
 *   cnt_protocol_build, cnt_ground_text, cnt_category_name
 */
#include "count/protocol.h"

#include "core/error.h"
#include "count/settle_input.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* valgloven § 10-3 (1) a-d, as the møtebok words the grounds. */
static const char *const GROUNDS[4] = {
    "Stemmeseddelen mangler offentlig stempel",
    "Det fremgår ikke hvilket valg stemmeseddelen gjelder",
    "Det fremgår ikke hvilket parti eller hvilken gruppe stemmeseddelen "
    "gjelder",
    "Partiet eller gruppen stiller ikke liste i valgdistriktet",
};

const char *cnt_ground_text(char ground)
{
    return ground >= 'a' && ground <= 'd' ? GROUNDS[ground - 'a'] : NULL;
}

static const struct {
    const char *code, *name;
} CATEGORIES[] = {
    {"FO", "Ordinære forhåndsstemmer"},
    {"FS", "Sent innkomne og særskilt behandlede forhåndsstemmer"},
    {"VO", "Ordinære valgtingsstemmer"},
    {"VS", "Valgtingsstemmer i særskilt omslag"},
    {"VB", "Valgtingsstemmer i beredskapskonvolutt"},
};

const char *cnt_category_name(const char *category)
{
    for (size_t i = 0; category && i < sizeof CATEGORIES / sizeof *CATEGORIES;
         i++)
        if (strcmp(CATEGORIES[i].code, category) == 0)
            return CATEGORIES[i].name;
    return NULL;
}

/* The two chapters of D and their section titles (as in the møtebok). */
typedef struct {
    const char *id, *title;
    const char *categories[3];
    const char *counted, *rejected, *approved, *differences, *remarks;
} chapter_def;

static const chapter_def CHAPTERS[2] = {
    {"D1", "Forhåndsstemmer", {"FO", "FS", NULL},
     "D1.1 Opptalte forhåndsstemmesedler",
     "D1.2 Forkastede forhåndsstemmesedler",
     "D1.3 Godkjente forhåndsstemmesedler fordelt på parti",
     "D1.4 Avvik mellom foreløpig og endelig opptelling av "
     "forhåndsstemmesedler",
     "D1.5 Merknader"},
    {"D2", "Valgtingsstemmer", {"VO", "VS", "VB"},
     "D2.1 Opptalte valgtingsstemmesedler",
     "D2.2 Forkastede valgtingsstemmesedler",
     "D2.3 Godkjente valgtingsstemmesedler fordelt på parti",
     "D2.4 Avvik mellom foreløpig og endelig opptelling av "
     "valgtingsstemmesedler",
     "D2.5 Merknader"},
};

enum { MAX_SHOWN_OPEN = 6 };

typedef struct {
    json_t *el;       /* the counts document's election */
    json_t *lists;    /* its lists [{code, name}] */
    char path[64];    /* "elections[i]" */
    int64_t unexplained;
} build_ctx;

static bool in_chapter(const chapter_def *ch, const char *category)
{
    for (size_t i = 0; i < 3 && ch->categories[i]; i++)
        if (category && strcmp(ch->categories[i], category) == 0)
            return true;
    return false;
}

/* obj[key] as a count >= 0; path names obj in messages. */
static int get_n(int64_t *out, json_t *obj, const char *path, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return err_set(TELLE_EFORMAT, "%s.%s: %s", path, key,
                       v ? "expected a whole number >= 0" : "missing");
    *out = json_integer_value(v);
    return 0;
}

static int set_n(json_t *obj, const char *key, int64_t n)
{
    return json_object_set_new(obj, key, json_integer(n)) < 0
               ? err_set(TELLE_ENOMEM, "out of memory")
               : 0;
}

static json_t *section(const char *title)
{
    return json_pack("{s:s, s:[]}", "title", title, "rows");
}

/* D.1 and D.2 rows of one count, and their totals. */
static int add_counted(json_t *counted, json_t *rejected, json_t *c,
                       const char *cat, const char *krets, const char *path,
                       int64_t tot[9])
{
    static const char *const keys[4] = {"ballots", "approved", "blank",
                                        "rejected"};
    static const char *const grounds[4] = {"a", "b", "c", "d"};
    int64_t v[4], g[4];
    int rc;
    char gpath[128];
    json_t *rg = json_object_get(c, "rejected_by_ground");
    snprintf(gpath, sizeof gpath, "%s.rejected_by_ground", path);
    for (int i = 0; i < 4; i++)
        if ((rc = get_n(&v[i], c, path, keys[i])) < 0 ||
            (rc = get_n(&g[i], rg, gpath, grounds[i])) < 0)
            return rc;
    json_t *batches = json_object_get(c, "batches");
    json_t *row = json_pack("{s:s, s:s, s:O}", "category", cat, "krets", krets,
                            "batches", batches ? batches : json_null());
    json_t *rrow = json_pack("{s:s, s:s}", "category", cat, "krets", krets);
    if (!row || !rrow) {
        json_decref(row);
        json_decref(rrow);
        return err_set(TELLE_ENOMEM, "out of memory");
    }
    json_array_append_new(json_object_get(counted, "rows"), row);
    json_array_append_new(json_object_get(rejected, "rows"), rrow);
    for (int i = 0; i < 4; i++) {
        if ((rc = set_n(row, keys[i], v[i])) < 0 ||
            (rc = set_n(rrow, grounds[i], g[i])) < 0)
            return rc;
        tot[i] += v[i];
        tot[4 + i] += g[i];
    }
    return set_n(rrow, "total", g[0] + g[1] + g[2] + g[3]);
}

static const char *list_name(const build_ctx *b, const char *code)
{
    size_t i;
    json_t *l;
    json_array_foreach(b->lists, i, l) {
        const char *c = json_string_value(json_object_get(l, "code"));
        if (c && code && strcmp(c, code) == 0)
            return json_string_value(json_object_get(l, "name"));
    }
    if (code && strcmp(code, "blank") == 0)
        return "Blanke stemmesedler";
    return NULL;
}

/* D.4 for one count: the document's rows with the list's name and the
 * unexplained flag. */
static int add_differences(build_ctx *b, json_t *sec, json_t *c,
                           const char *cat, const char *krets,
                           const char *path)
{
    json_t *prelim = json_object_get(c, "prelim");
    json_t *diffs = json_object_get(c, "differences");
    json_t *rows = json_array();
    json_t *o = json_pack("{s:s, s:s, s:O, s:o}", "category", cat, "krets",
                          krets, "prelim", prelim ? prelim : json_null(),
                          "rows", rows);
    if (!o)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_array_append_new(json_object_get(sec, "counts"), o);
    if (diffs && !json_is_array(diffs))
        return err_set(TELLE_EFORMAT, "%s.differences: expected an array",
                       path);
    size_t i;
    json_t *d;
    json_array_foreach(diffs, i, d) {
        char dpath[160];
        snprintf(dpath, sizeof dpath, "%s.differences[%zu]", path, i);
        const char *list = json_string_value(json_object_get(d, "list"));
        json_t *pv = json_object_get(d, "prelim"), *fv = json_object_get(d,
                                                                    "final");
        json_t *dv = json_object_get(d, "difference");
        json_t *ex = json_object_get(d, "explanation");
        if (!list || !json_is_integer(pv) || !json_is_integer(fv) ||
            !json_is_integer(dv))
            return err_set(TELLE_EFORMAT, "%s: needs list, prelim, final and "
                           "difference", dpath);
        bool explained = json_is_string(ex) && json_string_length(ex) > 0;
        bool unexplained = json_integer_value(dv) != 0 && !explained;
        if (unexplained)
            b->unexplained++;
        const char *name = list_name(b, list);
        json_t *r = json_pack("{s:s, s:s?, s:O, s:O, s:O, s:s?, s:b}", "list",
                              list, "name", name, "prelim", pv, "final", fv,
                              "difference", dv, "explanation",
                              explained ? json_string_value(ex) : NULL,
                              "unexplained", unexplained);
        if (!r)
            return err_set(TELLE_ENOMEM, "out of memory");
        json_array_append_new(rows, r);
    }
    return 0;
}

static int add_remarks(json_t *sec, json_t *c, const char *cat,
                       const char *krets)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(c, "remarks"), i, r) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "category", cat, "krets",
            krets, "batch", json_string_value(json_object_get(r, "batch")),
            "sheet", json_string_value(json_object_get(r, "sheet")), "by",
            json_string_value(json_object_get(r, "by")), "text",
            json_string_value(json_object_get(r, "text")));
        if (!o)
            return err_set(TELLE_ENOMEM, "out of memory");
        json_array_append_new(json_object_get(sec, "rows"), o);
    }
    return 0;
}

/* D.3: one column per count, one row per list. */
static int build_approved(build_ctx *b, json_t *sec, json_t *columns,
                          json_t *counts_of_chapter)
{
    size_t nl = json_array_size(b->lists), nc = json_array_size(columns);
    json_t *total_counts = json_array();
    int64_t grand = 0;
    if (!total_counts)
        return err_set(TELLE_ENOMEM, "out of memory");
    json_object_set_new(sec, "total", json_pack("{s:o}", "counts",
                                                total_counts));
    for (size_t k = 0; k < nc; k++)
        json_array_append_new(total_counts, json_integer(0));
    for (size_t i = 0; i < nl; i++) {
        json_t *l = json_array_get(b->lists, i);
        const char *code = json_string_value(json_object_get(l, "code"));
        json_t *cs = json_array();
        json_t *row = json_pack("{s:s?, s:s?, s:o}", "list", code, "name",
                                json_string_value(json_object_get(l, "name")),
                                "counts", cs);
        if (!row)
            return err_set(TELLE_ENOMEM, "out of memory");
        json_array_append_new(json_object_get(sec, "rows"), row);
        int64_t sum = 0;
        for (size_t k = 0; k < nc; k++) {
            json_t *c = json_array_get(counts_of_chapter, k);
            char path[160];
            snprintf(path, sizeof path, "%s.counts.lists.%s", b->path,
                     code ? code : "?");
            json_t *cl = json_object_get(json_object_get(c, "lists"),
                                         code ? code : "");
            int64_t n;
            int rc = get_n(&n, cl, path, "approved");
            if (rc < 0)
                return rc;
            json_array_append_new(cs, json_integer(n));
            sum += n;
            json_int_t t = json_integer_value(json_array_get(total_counts, k));
            json_array_set_new(total_counts, k, json_integer(t + n));
        }
        if (set_n(row, "total", sum) < 0)
            return TELLE_ENOMEM;
        grand += sum;
    }
    return set_n(json_object_get(sec, "total"), "total", grand);
}

static json_t *totals_json(const int64_t *v, const char *const *keys,
                           size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, keys[i], json_integer(v[i]));
    return o;
}

static int build_chapter(json_t **out, build_ctx *b, const chapter_def *ch)
{
    static const char *const ckeys[4] = {"ballots", "approved", "blank",
                                         "rejected"};
    static const char *const gkeys[5] = {"a", "b", "c", "d", "total"};
    int rc = TELLE_ENOMEM;
    int64_t tot[9] = {0};
    json_t *chap = json_object(), *cats = json_array();
    json_t *counted = section(ch->counted), *rejected = section(ch->rejected);
    json_t *approved = section(ch->approved), *remarks = section(ch->remarks);
    json_t *differences = json_pack("{s:s, s:[]}", "title", ch->differences,
                                    "counts");
    json_t *columns = json_array(), *mine = json_array(), *grounds = json_array();
    *out = NULL;
    if (!chap || !cats || !counted || !rejected || !approved || !remarks ||
        !differences || !columns || !mine || !grounds) {
        json_decref(cats);
        json_decref(counted);
        json_decref(rejected);
        json_decref(approved);
        json_decref(remarks);
        json_decref(differences);
        json_decref(columns);
        json_decref(grounds);
        goto fail;
    }
    for (size_t i = 0; i < 3 && ch->categories[i]; i++)
        json_array_append_new(cats, json_string(ch->categories[i]));
    for (char g = 'a'; g <= 'd'; g++) {
        char s[2] = {g, 0};
        json_array_append_new(grounds, json_pack("{s:s, s:s}", "ground", s,
                                                 "text", cnt_ground_text(g)));
    }
    json_object_set_new(rejected, "grounds", grounds);
    json_object_set_new(approved, "columns", columns);
    json_object_set_new(chap, "id", json_string(ch->id));
    json_object_set_new(chap, "title", json_string(ch->title));
    json_object_set_new(chap, "categories", cats);
    json_object_set_new(chap, "counted", counted);
    json_object_set_new(chap, "rejected", rejected);
    json_object_set_new(chap, "approved", approved);
    json_object_set_new(chap, "differences", differences);
    json_object_set_new(chap, "remarks", remarks);

    json_t *counts = json_object_get(b->el, "counts");
    if (!json_is_array(counts)) {
        rc = err_set(TELLE_EFORMAT, "%s.counts: expected an array", b->path);
        goto fail;
    }
    size_t i;
    json_t *c;
    json_array_foreach(counts, i, c) {
        const char *cat = json_string_value(json_object_get(c, "category"));
        const char *krets = json_string_value(json_object_get(c, "krets"));
        char path[96];
        snprintf(path, sizeof path, "%s.counts[%zu]", b->path, i);
        if (!cat || !krets) {
            rc = err_set(TELLE_EFORMAT, "%s: needs category and krets", path);
            goto fail;
        }
        if (!in_chapter(ch, cat))
            continue;
        json_array_append(mine, c);
        json_array_append_new(columns, json_pack("{s:s, s:s}", "category",
                                                 cat, "krets", krets));
        if ((rc = add_counted(counted, rejected, c, cat, krets, path, tot)) <
                0 ||
            (rc = add_differences(b, differences, c, cat, krets, path)) < 0 ||
            (rc = add_remarks(remarks, c, cat, krets)) < 0)
            goto fail;
    }
    tot[8] = tot[4] + tot[5] + tot[6] + tot[7];
    json_object_set_new(counted, "total", totals_json(tot, ckeys, 4));
    json_object_set_new(rejected, "total", totals_json(tot + 4, gkeys, 5));
    if ((rc = build_approved(b, approved, columns, mine)) < 0)
        goto fail;
    json_decref(mine);
    *out = chap;
    return 0;

fail:
    json_decref(mine);
    json_decref(chap);
    return rc == TELLE_ENOMEM && err_code() != TELLE_ENOMEM
               ? err_set(TELLE_ENOMEM, "out of memory")
               : rc;
}

/* Chapter E for a municipal election. */
static int build_e(json_t **out, json_t *counts, const char *election,
                   json_t *package, uint64_t seed)
{
    cnt_settle_input *in = NULL;
    cnt_settlement *st = NULL;
    json_t *e = NULL;
    *out = NULL;
    int rc = cnt_settle_input_from_counts(&in, counts, election, package);
    if (rc < 0)
        return rc;
    if (cnt_settle_compute(&st, in, seed) < 0) {
        if (err_code() == TELLE_ENOMEM) {
            rc = TELLE_ENOMEM;
            goto done;
        }
        e = json_pack("{s:s, s:I, s:s}", "title", "E Valgoppgjør", "seed",
                      (json_int_t)seed, "error", err_message());
    } else {
        e = cnt_settle_json(in, st);
        if (e)
            json_object_set_new(e, "title", json_string("E Valgoppgjør"));
    }
    json_t *missing = json_array();
    if (!e || !missing) {
        json_decref(missing);
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < in->votes.n_lists; i++)
        if (!in->has_candidates[i])
            json_array_append_new(missing, json_string(in->lists[i].code));
    json_object_set_new(e, "candidates_missing", missing);
    *out = e;
    e = NULL;
    rc = 0;
done:
    json_decref(e);
    cnt_settlement_free(st);
    cnt_settle_input_free(in);
    return rc;
}

static char *not_final_open(json_t *open)
{
    size_t n = json_array_size(open);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    fprintf(m, "%zu %s ikke godkjent (", n, n == 1 ? "bunke" : "bunker");
    for (size_t i = 0; i < n && i < MAX_SHOWN_OPEN; i++)
        fprintf(m, "%s%s", i ? ", " : "",
                json_string_value(json_array_get(open, i)));
    fprintf(m, "%s)", n > MAX_SHOWN_OPEN ? ", …" : "");
    fclose(m);
    return buf;
}

int cnt_protocol_build(json_t **out, json_t *counts, const char *election,
                       json_t *package, uint64_t seed)
{
    *out = NULL;
    build_ctx b = {0};
    json_t *p = NULL, *chapters = NULL, *reasons = NULL;
    int rc;
    const char *fmt = json_string_value(json_object_get(counts, "format"));
    if (!fmt || strcmp(fmt, "telle-counts/1") != 0)
        return err_set(TELLE_EFORMAT, "format: expected \"telle-counts/1\"");
    json_t *els = json_object_get(counts, "elections");
    size_t i;
    json_t *el = NULL;
    json_array_foreach(els, i, el) {
        const char *id = json_string_value(json_object_get(el, "id"));
        if (id && strcmp(id, election) == 0)
            break;
    }
    if (i >= json_array_size(els))
        return err_set(TELLE_EINVAL, "elections: no election %s", election);
    b.el = el;
    b.lists = json_object_get(el, "lists");
    snprintf(b.path, sizeof b.path, "elections[%zu]", i);
    if (!json_is_array(b.lists))
        return err_set(TELLE_EFORMAT, "%s.lists: expected an array", b.path);

    p = json_object();
    chapters = json_array();
    reasons = json_array();
    if (!p || !chapters || !reasons) {
        json_decref(chapters);
        json_decref(reasons);
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    json_object_set_new(p, "chapters", chapters);
    json_object_set_new(p, "not_final", reasons);
    json_object_set_new(p, "format", json_string(CNT_PROTOCOL_FORMAT));
    json_t *v;
    if ((v = json_object_get(counts, "event")))
        json_object_set(p, "event", v);
    if ((v = json_object_get(counts, "area")))
        json_object_set(p, "area", v);
    if ((v = json_object_get(counts, "package_sha256")))
        json_object_set(p, "package_sha256", v);
    json_t *eo = json_object();
    if (!eo) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto fail;
    }
    json_object_set_new(p, "election", eo);
    static const char *const ekeys[] = {"id", "type", "name", "seats",
                                        "first_divisor"};
    for (size_t k = 0; k < sizeof ekeys / sizeof *ekeys; k++)
        if ((v = json_object_get(el, ekeys[k])))
            json_object_set(eo, ekeys[k], v);
    json_object_set_new(p, "seed", json_integer((json_int_t)seed));
    json_object_set(p, "lists", b.lists);
    json_t *open = json_object_get(el, "open_batches");
    json_object_set_new(p, "open_batches",
                        json_is_array(open) ? json_deep_copy(open)
                                            : json_array());

    for (size_t k = 0; k < 2; k++) {
        json_t *chap;
        if ((rc = build_chapter(&chap, &b, &CHAPTERS[k])) < 0)
            goto fail;
        json_array_append_new(chapters, chap);
    }
    json_t *spot = json_object_get(el, "spotchecks");
    json_object_set_new(p, "spotchecks",
                        json_pack("{s:s, s:o}", "title", "Stikkprøvekontroll",
                                  "rows", json_is_array(spot)
                                              ? json_deep_copy(spot)
                                              : json_array()));

    const char *type = json_string_value(json_object_get(el, "type"));
    if (type && strcmp(type, "kommunestyrevalg") == 0) {
        json_t *e;
        if ((rc = build_e(&e, counts, election, package, seed)) < 0)
            goto fail;
        json_object_set_new(p, "E", e);
    } else {
        json_object_set_new(p, "E", json_null());
    }

    /* The not-final rule (protocol.h). */
    bool committed = json_is_true(json_object_get(el, "final"));
    size_t n_open = json_array_size(open);
    if (n_open > 0) {
        char *t = not_final_open(open);
        if (!t) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto fail;
        }
        json_array_append_new(reasons, json_string(t));
        free(t);
    } else if (!committed) {
        json_array_append_new(reasons, json_string("ingen bunker er talt"));
    }
    if (b.unexplained > 0) {
        char t[64];
        snprintf(t, sizeof t, "%" PRId64 " avvik uten forklaring",
                 b.unexplained);
        json_array_append_new(reasons, json_string(t));
    }
    json_object_set_new(p, "unexplained_differences",
                        json_integer(b.unexplained));
    json_object_set_new(p, "final", json_boolean(committed && n_open == 0 &&
                                                 b.unexplained == 0));
    *out = p;
    return 0;

fail:
    json_decref(p);
    return rc;
}
