/* export_csv.c - the counts as CSV (RFC 4180) for spreadsheets and
 * publication: one row per election x category x krets x list, then the
 * blank, rejected-by-ground and ballots rows of that count.
 *
 *   cnt_export_csv
 *
 * RFC 4180: fields separated by commas, records by CRLF, a header record;
 * a field containing a comma, a double quote, CR or LF is enclosed in
 * double quotes and its quotes doubled. Text is UTF-8 as in the document
 * (no BOM: a BOM would become part of the first header name for most
 * parsers). Counts are plain integers; no thousands separators. */
#include "count/export.h"
#include "count/export_internal.h"

#include "core/error.h"

#include <inttypes.h>
#include <string.h>

static const char *const HEADER =
    "status,election,category,krets,row,code,name,count,personal_votes,"
    "write_ins_given,write_ins_received,preliminary,difference,explanation";

static void put_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_int(FILE *out, json_int_t v)
{
    fprintf(out, ",%" JSON_INTEGER_FORMAT, v);
}

/* ",value" for an integer JSON value, "," (empty field) otherwise. */
static void put_opt(FILE *out, const json_t *v)
{
    if (json_is_integer(v))
        put_int(out, json_integer_value(v));
    else
        fputc(',', out);
}

static void put_text(FILE *out, const char *s)
{
    fputc(',', out);
    put_field(out, s);
}

/* The first seven fields, up to and including name. */
static void row_start(FILE *out, const char *status, const char *election,
                      const json_t *count, const char *row, const char *code,
                      const char *name)
{
    put_field(out, status);
    put_text(out, election);
    put_text(out, cnt_export_str(count, "category"));
    put_text(out, cnt_export_str(count, "krets"));
    put_text(out, row);
    put_text(out, code);
    put_text(out, name);
}

/* preliminary, difference, explanation of the differences row for code,
 * or three empty fields. */
static void row_prelim(FILE *out, const json_t *count, const char *code)
{
    const json_t *d = cnt_export_difference(count, code);
    if (!d) {
        fputs(",,,", out);
        return;
    }
    put_opt(out, json_object_get(d, "prelim"));
    put_opt(out, json_object_get(d, "difference"));
    const char *expl = json_string_value(json_object_get(d, "explanation"));
    put_text(out, expl ? expl : "");
}

static void write_count(FILE *out, const char *status, const json_t *el,
                        const json_t *count)
{
    const char *eid = cnt_export_str(el, "id");
    const json_t *lists = json_object_get(count, "lists");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = cnt_export_str(l, "code");
        const json_t *lv = json_object_get(lists, code);
        row_start(out, status, eid, count, "list", code,
                  cnt_export_str(l, "name"));
        put_int(out, cnt_export_int(lv, "approved"));
        put_int(out, cnt_export_sum(json_object_get(lv, "personal_votes")));
        put_int(out, cnt_export_int(lv, "write_ins_given"));
        put_int(out, cnt_export_sum(json_object_get(lv,
                                                    "write_ins_received")));
        row_prelim(out, count, code);
        fputs("\r\n", out);
    }
    row_start(out, status, eid, count, "blank", "blank", "");
    put_int(out, cnt_export_int(count, "blank"));
    fputs(",,,", out);
    row_prelim(out, count, "blank");
    fputs("\r\n", out);

    static const char *const grounds[4] = {"a", "b", "c", "d"};
    const json_t *rbg = json_object_get(count, "rejected_by_ground");
    for (size_t g = 0; g < 4; g++) {
        row_start(out, status, eid, count, "rejected", grounds[g], "");
        put_int(out, cnt_export_int(rbg, grounds[g]));
        fputs(",,,,,,\r\n", out);
    }
    row_start(out, status, eid, count, "ballots", "ballots", "");
    put_int(out, cnt_export_int(count, "ballots"));
    fputs(",,,,,,\r\n", out);
}

int cnt_export_csv(FILE *out, const json_t *doc, const char *election)
{
    size_t only = 0;
    if (election) {
        int rc = cnt_export_find_election(&only, doc, election);
        if (rc < 0)
            return rc;
    }
    fputs(HEADER, out);
    fputs("\r\n", out);
    size_t i;
    json_t *el;
    json_array_foreach(json_object_get(doc, "elections"), i, el) {
        if (election && i != only)
            continue;
        const char *status =
            cnt_export_election_final(el) ? "final" : "preliminary";
        size_t k;
        json_t *count;
        json_array_foreach(json_object_get(el, "counts"), k, count)
            write_count(out, status, el, count);
    }
    if (fflush(out) != 0 || ferror(out))
        return err_set(TELLE_EIO, "writing the CSV export failed");
    return 0;
}
