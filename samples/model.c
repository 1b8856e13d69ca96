/* model.c - reading the elections part of a package for samples/:
 * smp_model_load, smp_model_free, smp_write_ins_for_seats. */
#include "samples/model.h"

#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int smp_write_ins_for_seats(int seats)
{
    int n = seats / 4;
    return n < 5 ? 5 : n > 99 ? 99 : n;
}

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Copies the string member key of obj into *dst; a missing member is an
 * error only when required. */
static int get_str(char **dst, const json_t *obj, const char *key,
                   int required, const char *file, const char *where)
{
    *dst = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(TELLE_EFORMAT, "%s: %s.%s: missing", file, where,
                           key);
        return 0;
    }
    if (!json_is_string(v))
        return err_set(TELLE_EFORMAT, "%s: %s.%s: not a string", file, where,
                       key);
    *dst = dup_str(json_string_value(v));
    if (!*dst)
        return err_set(TELLE_ENOMEM, "out of memory");
    return 0;
}

static int load_list(pkg_list *l, const json_t *jl, const char *file,
                     const char *where)
{
    char path[256];
    int rc = get_str(&l->code, jl, "code", 1, file, where);
    if (!rc)
        rc = get_str(&l->name, jl, "name", 1, file, where);
    if (rc)
        return rc;
    json_t *jc = json_object_get(jl, "candidates");
    if (!json_is_array(jc))
        return err_set(TELLE_EFORMAT, "%s: %s.candidates: not an array",
                       file, where);
    size_t n = json_array_size(jc);
    l->candidates = calloc(n ? n : 1, sizeof *l->candidates);
    if (!l->candidates)
        return err_set(TELLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(jc, i);
        pkg_candidate *pc = &l->candidates[i];
        l->n_candidates = (int)i + 1;
        snprintf(path, sizeof path, "%s.candidates[%zu]", where, i);
        if (!json_is_object(c))
            return err_set(TELLE_EFORMAT, "%s: %s: not an object", file, path);
        if ((rc = get_str(&pc->name, c, "name", 1, file, path)))
            return rc;
        json_t *no = json_object_get(c, "no");
        if (!json_is_integer(no) || json_integer_value(no) != (json_int_t)i + 1)
            return err_set(TELLE_EFORMAT,
                           "%s: %s.no: must be the position %zu on the list",
                           file, path, i + 1);
        pc->no = (int)i + 1;
        json_t *born = json_object_get(c, "born");
        pc->born = json_is_integer(born) ? (int)json_integer_value(born) : 0;
        pc->stemmetillegg = json_is_true(json_object_get(c, "stemmetillegg"));
    }
    return 0;
}

static int load_election(pkg_election *e, const json_t *je, const char *file,
                         const char *where)
{
    char path[200];
    char *type = NULL;
    int rc = get_str(&e->id, je, "id", 1, file, where);
    if (!rc)
        rc = get_str(&e->name, je, "name", 1, file, where);
    if (!rc)
        rc = get_str(&type, je, "type", 1, file, where);
    if (rc)
        goto done;
    if (strcmp(type, "kommunestyrevalg") == 0) {
        e->type = PKG_KOMMUNESTYREVALG;
    } else if (strcmp(type, "fylkestingsvalg") == 0) {
        e->type = PKG_FYLKESTINGSVALG;
    } else {
        rc = err_set(TELLE_EFORMAT, "%s: %s.type: unknown election type '%s'",
                     file, where, type);
        goto done;
    }
    /* limits far above any Norwegian council (Oslo: 59) that keep a
     * hostile file from asking for millions of rows */
    json_t *v = json_object_get(je, "seats");
    json_int_t seats = json_is_integer(v) ? json_integer_value(v) : 0;
    if (seats < 0 || seats > 999) {
        rc = err_set(TELLE_EFORMAT, "%s: %s.seats: %lld is not in 0..999",
                     file, where, (long long)seats);
        goto done;
    }
    e->seats = (int)seats;
    v = json_object_get(je, "max_write_ins");
    json_int_t wi = json_is_integer(v) ? json_integer_value(v) : 0;
    if (wi < 0 || wi > 99) {
        rc = err_set(TELLE_EFORMAT,
                     "%s: %s.max_write_ins: %lld is not in 0..99", file,
                     where, (long long)wi);
        goto done;
    }
    e->max_write_ins = (int)wi;
    if (e->type == PKG_KOMMUNESTYREVALG && e->max_write_ins <= 0)
        e->max_write_ins = smp_write_ins_for_seats(e->seats);
    if (e->type == PKG_FYLKESTINGSVALG)
        e->max_write_ins = 0;
    v = json_object_get(je, "first_divisor");
    e->first_divisor = json_is_number(v) ? json_number_value(v) : 1.4;
    json_t *jl = json_object_get(je, "lists");
    if (!json_is_array(jl)) {
        rc = err_set(TELLE_EFORMAT, "%s: %s.lists: not an array", file, where);
        goto done;
    }
    size_t n = json_array_size(jl);
    e->lists = calloc(n ? n : 1, sizeof *e->lists);
    if (!e->lists) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        e->n_lists = (int)i + 1;
        snprintf(path, sizeof path, "%s.lists[%zu]", where, i);
        if (!json_is_object(json_array_get(jl, i))) {
            rc = err_set(TELLE_EFORMAT, "%s: %s: not an object", file, path);
            goto done;
        }
        if ((rc = load_list(&e->lists[i], json_array_get(jl, i), file, path)))
            goto done;
    }
done:
    free(type);
    return rc;
}

static int load_style(pkg_style *s, const json_t *js, const char *file,
                      const char *where)
{
    char *kind = NULL;
    int rc = get_str(&s->id, js, "id", 1, file, where);
    if (!rc)
        rc = get_str(&s->election, js, "election", 1, file, where);
    if (!rc)
        rc = get_str(&kind, js, "kind", 1, file, where);
    if (!rc)
        rc = get_str(&s->list, js, "list", 0, file, where);
    if (rc)
        goto done;
    if (strcmp(kind, "list") == 0) {
        s->kind = PKG_STYLE_LIST;
    } else if (strcmp(kind, "all_lists") == 0) {
        s->kind = PKG_STYLE_ALL_LISTS;
    } else if (strcmp(kind, "blank") == 0) {
        s->kind = PKG_STYLE_BLANK;
    } else {
        rc = err_set(TELLE_EFORMAT, "%s: %s.kind: unknown kind '%s'", file,
                     where, kind);
        goto done;
    }
    if (s->kind == PKG_STYLE_LIST && !s->list) {
        rc = err_set(TELLE_EFORMAT, "%s: %s.list: missing for kind list",
                     file, where);
        goto done;
    }
    json_t *pm = json_object_get(js, "page_mm");
    s->page_w_mm = json_number_value(json_array_get(pm, 0));
    s->page_h_mm = json_number_value(json_array_get(pm, 1));
    s->dpi = json_number_value(json_object_get(js, "dpi"));
done:
    free(kind);
    return rc;
}

int smp_model_from_json(pkg_package **out, const json_t *root,
                        const char *file, const char *dir)
{
    *out = NULL;
    pkg_package *pkg = NULL;
    char where[64];
    int rc = 0;
    if (!json_is_object(root))
        return err_set(TELLE_EFORMAT, "%s: the top level is not an object",
                       file);
    pkg = calloc(1, sizeof *pkg);
    if (!pkg)
        return err_set(TELLE_ENOMEM, "out of memory");
    pkg->dir = dup_str(dir);
    if ((rc = get_str(&pkg->format, root, "format", 0, file, "$")) ||
        (rc = get_str(&pkg->event, root, "event", 0, file, "$")))
        goto done;
    json_t *area = json_object_get(root, "area");
    if (!json_is_object(area)) {
        rc = err_set(TELLE_EFORMAT, "%s: $.area: missing or not an object",
                     file);
        goto done;
    }
    if ((rc = get_str(&pkg->area_code, area, "code", 1, file, "$.area")) ||
        (rc = get_str(&pkg->area_name, area, "name", 1, file, "$.area")))
        goto done;
    json_t *je = json_object_get(root, "elections");
    if (!json_is_array(je) || json_array_size(je) == 0) {
        rc = err_set(TELLE_EFORMAT, "%s: $.elections: missing or empty", file);
        goto done;
    }
    size_t n = json_array_size(je);
    pkg->elections = calloc(n, sizeof *pkg->elections);
    if (!pkg->elections) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        pkg->n_elections = (int)i + 1;
        snprintf(where, sizeof where, "$.elections[%zu]", i);
        if (!json_is_object(json_array_get(je, i))) {
            rc = err_set(TELLE_EFORMAT, "%s: %s: not an object", file, where);
            goto done;
        }
        if ((rc = load_election(&pkg->elections[i], json_array_get(je, i),
                                file, where)))
            goto done;
        for (size_t k = 0; k < i; k++)
            if (strcmp(pkg->elections[k].id, pkg->elections[i].id) == 0) {
                rc = err_set(TELLE_EFORMAT, "%s: %s.id: '%s' twice", file,
                             where, pkg->elections[i].id);
                goto done;
            }
    }
    json_t *js = json_object_get(root, "styles");
    n = json_array_size(js);
    if (n) {
        pkg->styles = calloc(n, sizeof *pkg->styles);
        if (!pkg->styles) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            pkg->n_styles = (int)i + 1;
            snprintf(where, sizeof where, "$.styles[%zu]", i);
            if (!json_is_object(json_array_get(js, i))) {
                rc = err_set(TELLE_EFORMAT, "%s: %s: not an object", file,
                             where);
                goto done;
            }
            if ((rc = load_style(&pkg->styles[i], json_array_get(js, i), file,
                                 where)))
                goto done;
        }
    }
done:
    if (rc) {
        smp_model_free(pkg);
        return rc;
    }
    *out = pkg;
    return 0;
}

int smp_model_load(pkg_package **out, json_t **root_out, const char *path)
{
    *out = NULL;
    if (root_out)
        *root_out = NULL;
    char *file = NULL;
    json_t *root = NULL;
    int rc = 0;
    struct stat st;

    if (stat(path, &st) != 0)
        return err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        size_t n = strlen(path) + sizeof "/election.json";
        file = malloc(n);
        if (!file)
            return err_set(TELLE_ENOMEM, "out of memory");
        snprintf(file, n, "%s/election.json", path);
    } else {
        file = dup_str(path);
        if (!file)
            return err_set(TELLE_ENOMEM, "out of memory");
    }
    json_error_t jerr;
    root = json_load_file(file, 0, &jerr);
    if (!root) {
        rc = err_set(jerr.line < 0 ? TELLE_EIO : TELLE_EFORMAT,
                     "%s:%d: %s", file, jerr.line, jerr.text);
        goto done;
    }
    rc = smp_model_from_json(out, root, file, path);
done:
    free(file);
    if (rc || !root_out)
        json_decref(root);
    else
        *root_out = root;
    return rc;
}

void smp_model_free(pkg_package *pkg)
{
    /* The model fills core's structs with the same ownership; its styles
     * have no sides, which pkg_free passes over. */
    pkg_free(pkg);
}
