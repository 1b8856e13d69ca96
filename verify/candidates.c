/* candidates.c - the elections' lists and candidates, read from the stored
 * election.json, and the search operators use to enter write-ins.
 *
 *   vq_candidates_load, vq_candidates_free, vq_candidates_search,
 *   vq_candidate_name
 */
#include "verify/verify_internal.h"

#include "core/error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct vq_candidates {
    json_t *root; /* the parsed election.json */
};

int vq_candidates_load(vq_candidates **out, st_db *db)
{
    char *text = NULL;
    json_error_t jerr;
    *out = NULL;
    int rc = st_package_get(&text, NULL, db);
    if (rc < 0)
        return rc;
    vq_candidates *c = calloc(1, sizeof *c);
    if (c == NULL) {
        free(text);
        return err_set(TELLE_ENOMEM, "out of memory");
    }
    c->root = json_loads(text, 0, &jerr);
    free(text);
    if (c->root == NULL || !json_is_array(json_object_get(c->root, "elections"))) {
        vq_candidates_free(c);
        return err_set(TELLE_EFORMAT, "%s: stored election.json has no "
                       "elections (%s)", st_db_path(db), jerr.text);
    }
    *out = c;
    return 0;
}

void vq_candidates_free(vq_candidates *c)
{
    if (c == NULL)
        return;
    json_decref(c->root);
    free(c);
}

static json_t *election_get(const vq_candidates *c, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c->root, "elections"), i, e) {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (eid && id && strcmp(eid, id) == 0)
            return e;
    }
    return NULL;
}

const char *vq_candidate_name(const vq_candidates *c, const char *election,
                              const char *list, int no)
{
    json_t *e = election_get(c, election);
    size_t i, j;
    json_t *l, *k;
    json_array_foreach(json_object_get(e, "lists"), i, l) {
        const char *code = json_string_value(json_object_get(l, "code"));
        if (!code || !list || strcmp(code, list) != 0)
            continue;
        json_array_foreach(json_object_get(l, "candidates"), j, k)
            if (json_integer_value(json_object_get(k, "no")) == no)
                return json_string_value(json_object_get(k, "name"));
    }
    return NULL;
}

/* Folds UTF-8 text to lower case for matching: ASCII letters, and the
 * Latin-1 capitals U+00C0..U+00DE (Æ Ø Å among them) to their small
 * letters, which in UTF-8 is C3 80..9E -> C3 A0..BE. */
static char *fold(const char *s)
{
    size_t n = strlen(s);
    char *f = malloc(n + 1);
    if (f == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0xC3 && i + 1 < n) {
            unsigned char c2 = (unsigned char)s[i + 1];
            f[i] = (char)ch;
            f[i + 1] = (char)(c2 >= 0x80 && c2 <= 0x9E && c2 != 0x97 ? c2 + 0x20 : c2);
            i++;
            continue;
        }
        f[i] = (char)tolower(ch);
    }
    return f;
}

/* "LIST" or "LIST number": *no = 0 when no number. */
static bool parse_list_query(const char *q, char code[32], int *no)
{
    size_t i = 0;
    while (q[i] && !isspace((unsigned char)q[i]) && i < 31) {
        code[i] = q[i];
        i++;
    }
    code[i] = '\0';
    if (i == 0 || (q[i] && !isspace((unsigned char)q[i])))
        return false;
    while (isspace((unsigned char)q[i]))
        i++;
    *no = 0;
    if (q[i] == '\0')
        return true;
    char *end = NULL;
    long v = strtol(q + i, &end, 10);
    while (end && isspace((unsigned char)*end))
        end++;
    if (end == q + i || *end != '\0' || v < 1 || v > 10000)
        return false;
    *no = (int)v;
    return true;
}

int vq_candidates_search(vq_match *out, int max, const vq_candidates *c,
                         const char *election, const char *own_list,
                         const char *query)
{
    json_t *e = election_get(c, election);
    if (e == NULL)
        return err_set(TELLE_EINVAL, "no election '%s' in the package",
                       election ? election : "");
    while (query && isspace((unsigned char)*query))
        query++;
    if (query == NULL || *query == '\0')
        return 0;
    char code[32];
    int no = 0;
    bool by_list = parse_list_query(query, code, &no);
    /* A list code alone only counts as one when such a list exists;
     * otherwise the word is a piece of a name. */
    bool list_exists = false;
    size_t i, j;
    json_t *l, *k;
    if (by_list)
        json_array_foreach(json_object_get(e, "lists"), i, l) {
            const char *lc = json_string_value(json_object_get(l, "code"));
            if (lc && strcasecmp(lc, code) == 0)
                list_exists = true;
        }
    by_list = by_list && list_exists;
    char *fq = fold(query);
    if (fq == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    int count = 0;
    /* Two passes: other lists first, then the ballot's own list. */
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(json_object_get(e, "lists"), i, l) {
            const char *lc = json_string_value(json_object_get(l, "code"));
            if (lc == NULL)
                continue;
            bool own = own_list && strcmp(lc, own_list) == 0;
            if (own != (pass == 1))
                continue;
            if (by_list && strcasecmp(lc, code) != 0)
                continue;
            json_array_foreach(json_object_get(l, "candidates"), j, k) {
                int cno = (int)json_integer_value(json_object_get(k, "no"));
                const char *name = json_string_value(json_object_get(k, "name"));
                if (name == NULL)
                    continue;
                bool hit;
                if (by_list) {
                    hit = no == 0 || cno == no;
                } else {
                    char *fn = fold(name);
                    if (fn == NULL) {
                        free(fq);
                        return err_set(TELLE_ENOMEM, "out of memory");
                    }
                    hit = strstr(fn, fq) != NULL;
                    free(fn);
                }
                if (!hit)
                    continue;
                if (count < max) {
                    out[count].list = lc;
                    out[count].list_name =
                        json_string_value(json_object_get(l, "name"));
                    out[count].no = cno;
                    out[count].name = name;
                    out[count].own_list = own;
                }
                count++;
            }
        }
    }
    free(fq);
    return count;
}
