/* test_export.c - `telle export` run as a process ($TELLE_BIN) on counts
 * documents written here and on a real store: the JSON export read back
 * equal and byte-identical on a second run, the CSV parsed back (RFC 4180)
 * and summed, the EML 510 files checked by xmllint (well-formed) and by
 * XPath (structure, sums, escaping), refusal of counts that are not final
 * without --preliminary, refusal of a document whose sums do not add up,
 * and the library's refusals of what XML cannot carry. */
#include "count/export.h"

#include "core/error.h"
#include "testutil.h"

#include <check.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;
static char *out; /* stdout and stderr of the last run */

static void setup(void)
{
    dir = tu_tmpdir("export");
    setenv("TELLE_PASSWORD", TU_PASSWORD, 1);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_rmtree(dir), 0);
    free(dir);
}

/* Runs a shell command in dir; exit status, output in `out`. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_sh(&out, NULL, dir, "%s", cmd);
}

/* `telle ARGS` in dir (TELLE_PASSWORD set for the store commands). */
static int telle(const char *args)
{
    return tu_telle(&out, NULL, dir, "%s", args);
}

/* ---- a hand-made counts document ----------------------------------- */

/* Two elections; KS has FO/0000 and VO/0001, names with & < > " , and
 * Norwegian letters, an explained difference whose text holds a comma, a
 * quote and a newline. Sums add up (approved + blank + rejected = ballots,
 * write-ins given = received). */
static const char DOC[] =
    "{\"format\":\"telle-counts/1\",\"package_sha256\":\"00ff\","
    "\"event\":\"Kommunestyre- og fylkestingsvalet 2023\","
    "\"area\":{\"code\":\"4621\",\"name\":\"Voss herad & <B\xc3\xb8> \\\"V\\\"\"},"
    "\"elections\":["
    "{\"id\":\"KS\",\"type\":\"kommunestyrevalg\",\"name\":\"Kommunestyrevalet\","
    "\"seats\":43,\"first_divisor\":1.4,\"final\":true,\"open_batches\":[],"
    "\"lists\":[{\"code\":\"AP\",\"name\":\"Arbeidarpartiet\"},"
    "{\"code\":\"R\xc3\x98" "DT\",\"name\":\"Raudt, \\\"\xc3\x86rleg\\\" & <\xc3\xb8y> \xc3\x85s\"}],"
    "\"counts\":["
    "{\"category\":\"FO\",\"krets\":\"0000\",\"batches\":[\"0000-FO-01\"],"
    "\"ballots\":10,\"approved\":8,\"blank\":1,\"rejected\":1,"
    "\"rejected_by_ground\":{\"a\":0,\"b\":0,\"c\":1,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":5,\"personal_votes\":{\"1\":2},"
    "\"write_ins_given\":1,\"write_ins_received\":{}},"
    "\"R\xc3\x98" "DT\":{\"approved\":3,\"personal_votes\":{\"2\":1},"
    "\"write_ins_given\":0,\"write_ins_received\":{\"3\":1}}},"
    "\"write_ins_not_counted\":0,\"remarks\":[],\"prelim\":null,\"differences\":[]},"
    "{\"category\":\"VO\",\"krets\":\"0001\",\"batches\":[\"0001-VO-01\"],"
    "\"ballots\":16,\"approved\":13,\"blank\":1,\"rejected\":2,"
    "\"rejected_by_ground\":{\"a\":1,\"b\":0,\"c\":1,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":9,\"personal_votes\":{\"1\":3,\"2\":1},"
    "\"write_ins_given\":2,\"write_ins_received\":{\"1\":1}},"
    "\"R\xc3\x98" "DT\":{\"approved\":4,\"personal_votes\":{},"
    "\"write_ins_given\":1,\"write_ins_received\":{\"2\":2}}},"
    "\"write_ins_not_counted\":0,\"remarks\":[],"
    "\"prelim\":{\"lists\":{\"AP\":9,\"R\xc3\x98" "DT\":5},\"blank\":1,\"doubtful\":0,"
    "\"by\":\"kari\",\"seq\":5,\"time\":\"2023-09-11T20:00:00Z\"},"
    "\"differences\":[{\"list\":\"AP\",\"prelim\":9,\"final\":9,\"difference\":0,"
    "\"explanation\":null},{\"list\":\"R\xc3\x98" "DT\",\"prelim\":5,\"final\":4,"
    "\"difference\":-1,\"explanation\":\"Ein setel, \\\"feil\\\" lagt\\nmed\"},"
    "{\"list\":\"blank\",\"prelim\":1,\"final\":1,\"difference\":0,"
    "\"explanation\":null}]}],"
    "\"totals\":{\"ballots\":26,\"approved\":21,\"blank\":2,\"rejected\":3,"
    "\"rejected_by_ground\":{\"a\":1,\"b\":0,\"c\":2,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":14,\"personal_votes\":{\"1\":5,\"2\":1},"
    "\"write_ins_given\":3,\"write_ins_received\":{\"1\":1}},"
    "\"R\xc3\x98" "DT\":{\"approved\":7,\"personal_votes\":{\"2\":1},"
    "\"write_ins_given\":1,\"write_ins_received\":{\"2\":2,\"3\":1}}},"
    "\"write_ins_not_counted\":0},"
    "\"unexplained_differences\":0,\"spotchecks\":[]},"
    "{\"id\":\"FT\",\"type\":\"fylkestingsvalg\",\"name\":\"Fylkestingsvalet\","
    "\"seats\":47,\"first_divisor\":1.4,\"final\":true,\"open_batches\":[],"
    "\"lists\":[{\"code\":\"AP\",\"name\":\"Arbeidarpartiet\"}],"
    "\"counts\":[{\"category\":\"VO\",\"krets\":\"0001\",\"batches\":[\"0001-VO-F1\"],"
    "\"ballots\":4,\"approved\":4,\"blank\":0,\"rejected\":0,"
    "\"rejected_by_ground\":{\"a\":0,\"b\":0,\"c\":0,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":4,\"personal_votes\":{},\"write_ins_given\":0,"
    "\"write_ins_received\":{}}},\"write_ins_not_counted\":0,\"remarks\":[],"
    "\"prelim\":null,\"differences\":[]}],"
    "\"totals\":{\"ballots\":4,\"approved\":4,\"blank\":0,\"rejected\":0,"
    "\"rejected_by_ground\":{\"a\":0,\"b\":0,\"c\":0,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":4,\"personal_votes\":{},\"write_ins_given\":0,"
    "\"write_ins_received\":{}}},\"write_ins_not_counted\":0},"
    "\"unexplained_differences\":0,\"spotchecks\":[]}]}";

static const char RODT_NAME[] =
    "Raudt, \"\xc3\x86rleg\" & <\xc3\xb8y> \xc3\x85s";

static json_t *load_doc(void)
{
    json_error_t e;
    json_t *doc = json_loads(DOC, 0, &e);
    ck_assert_msg(doc != NULL, "fixture: %s at %d", e.text, e.position);
    ck_assert_msg(cnt_counts_validate(doc) == 0, "%s", err_message());
    return doc;
}

static void save_doc(const char *name, const json_t *doc)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(json_dump_file(doc, path, JSON_INDENT(1)), 0);
}

/* ---- CSV, parsed back by RFC 4180 ------------------------------------ */

enum { MAX_ROWS = 256, MAX_FIELDS = 16 };

typedef struct {
    size_t n_rows;
    size_t n_fields[MAX_ROWS];
    char *f[MAX_ROWS][MAX_FIELDS];
} csv;

/* Parses RFC 4180 strictly: records end in CRLF (a bare CR or LF outside
 * quotes fails the test), quoted fields double their quotes. */
static void csv_parse(csv *c, const char *s)
{
    memset(c, 0, sizeof *c);
    while (*s) {
        ck_assert_int_lt(c->n_rows, MAX_ROWS);
        size_t r = c->n_rows++;
        for (;;) {
            ck_assert_int_lt(c->n_fields[r], MAX_FIELDS);
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            if (*s == '"') {
                for (s++;; s++) {
                    ck_assert_msg(*s != '\0', "unterminated quoted field");
                    if (*s == '"' && s[1] == '"')
                        fputc(*s++, m);
                    else if (*s == '"')
                        break;
                    else
                        fputc(*s, m);
                }
                s++;
            } else {
                for (; *s && *s != ',' && *s != '\r'; s++) {
                    ck_assert_msg(*s != '\n' && *s != '"',
                                  "bare LF or quote in an unquoted field");
                    fputc(*s, m);
                }
            }
            fclose(m);
            c->f[r][c->n_fields[r]++] = buf;
            if (*s == ',') {
                s++;
                continue;
            }
            ck_assert_msg(s[0] == '\r' && s[1] == '\n',
                          "record %zu does not end in CRLF", r);
            s += 2;
            break;
        }
    }
}

static void csv_free(csv *c)
{
    for (size_t r = 0; r < c->n_rows; r++)
        for (size_t i = 0; i < c->n_fields[r]; i++)
            free(c->f[r][i]);
}

/* Sum of column `col` over rows with election, category, krets and row
 * kind as given. */
static long csv_sum(const csv *c, const char *el, const char *cat,
                    const char *krets, const char *kind, size_t col)
{
    long sum = 0;
    for (size_t r = 1; r < c->n_rows; r++)
        if (strcmp(c->f[r][1], el) == 0 && strcmp(c->f[r][2], cat) == 0 &&
            strcmp(c->f[r][3], krets) == 0 && strcmp(c->f[r][4], kind) == 0)
            sum += atol(c->f[r][col]);
    return sum;
}

/* ---- XPath through xmllint ------------------------------------------- */

static char *xpath(const char *file, const char *expr)
{
    ck_assert_int_eq(sh("xmllint --xpath \"%s\" '%s'", expr, file), 0);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    return strdup(out);
}

static long xpath_num(const char *file, const char *expr)
{
    char *s = xpath(file, expr);
    long v = atol(s);
    free(s);
    return v;
}

#define E(name) "*[local-name()='" name "']"

/* ---- tests ------------------------------------------------------------ */

START_TEST(json_export_is_the_document_reproducibly)
{
    json_t *doc = load_doc();
    save_doc("c.json", doc);
    ck_assert_msg(telle("export --counts c.json --format json --out a.json") == 0,
                  "%s", out);
    ck_assert_msg(telle("export --counts c.json --format json --out b.json") == 0,
                  "%s", out);
    char *a = tu_file_read(NULL, "%s/a.json", dir);
    char *b = tu_file_read(NULL, "%s/b.json", dir);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "\"first_divisor\": 1.4,"));
    ck_assert_int_eq(a[strlen(a) - 1], '\n');
    json_t *back = json_loads(a, 0, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, doc));
    /* keys sorted: "area" before "elections" before "event" */
    ck_assert(strstr(a, "\"area\"") < strstr(a, "\"elections\""));
    ck_assert(strstr(a, "\"elections\"") < strstr(a, "\"event\""));
    json_decref(back);
    free(a);
    free(b);

    ck_assert_int_eq(telle("export --counts c.json --format json --election FT "
                           "--out ft.json"), 0);
    char *ft = tu_file_read(NULL, "%s/ft.json", dir);
    back = json_loads(ft, 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(back, "elections")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
        json_array_get(json_object_get(back, "elections"), 0), "id")), "FT");
    json_decref(back);
    free(ft);
    ck_assert_int_eq(telle("export --counts c.json --format json --election XX "
                           "--out x.json"), 1);
    ck_assert_ptr_nonnull(strstr(out, "election 'XX' is not in the counts (KS, FT)"));
    json_decref(doc);
}
END_TEST

START_TEST(csv_export_parses_back_and_sums)
{
    json_t *doc = load_doc();
    save_doc("c.json", doc);
    ck_assert_msg(telle("export --counts c.json --format csv --out c.csv") == 0,
                  "%s", out);
    char *text = tu_file_read(NULL, "%s/c.csv", dir);
    ck_assert_msg(strncmp(text, "\xef\xbb\xbf", 3) != 0, "no BOM");
    csv c;
    csv_parse(&c, text);
    ck_assert_str_eq(c.f[0][0], "status");
    ck_assert_str_eq(c.f[0][13], "explanation");
    /* per count: 2 or 1 list rows + blank + 4 rejected + ballots */
    ck_assert_int_eq(c.n_rows, 1 + 2 * (2 + 6) + (1 + 6));
    for (size_t r = 0; r < c.n_rows; r++)
        ck_assert_int_eq(c.n_fields[r], 14);

    size_t i;
    json_t *el;
    json_array_foreach(json_object_get(doc, "elections"), i, el) {
        const char *eid = json_string_value(json_object_get(el, "id"));
        size_t k;
        json_t *cn;
        json_array_foreach(json_object_get(el, "counts"), k, cn) {
            const char *cat = json_string_value(json_object_get(cn, "category"));
            const char *kr = json_string_value(json_object_get(cn, "krets"));
            long approved = csv_sum(&c, eid, cat, kr, "list", 7);
            long blank = csv_sum(&c, eid, cat, kr, "blank", 7);
            long rejected = csv_sum(&c, eid, cat, kr, "rejected", 7);
            long ballots = csv_sum(&c, eid, cat, kr, "ballots", 7);
            ck_assert_int_eq(approved, json_integer_value(json_object_get(cn, "approved")));
            ck_assert_int_eq(blank, json_integer_value(json_object_get(cn, "blank")));
            ck_assert_int_eq(rejected, json_integer_value(json_object_get(cn, "rejected")));
            ck_assert_int_eq(approved + blank + rejected, ballots);
            ck_assert_int_eq(csv_sum(&c, eid, cat, kr, "list", 9),
                             csv_sum(&c, eid, cat, kr, "list", 10));
        }
    }
    /* KS VO 0001 RØDT: name and explanation come back exactly. */
    bool seen = false;
    for (size_t r = 1; r < c.n_rows; r++)
        if (strcmp(c.f[r][2], "VO") == 0 && strcmp(c.f[r][1], "KS") == 0 &&
            strcmp(c.f[r][5], "R\xc3\x98" "DT") == 0) {
            seen = true;
            ck_assert_str_eq(c.f[r][0], "final");
            ck_assert_str_eq(c.f[r][6], RODT_NAME);
            ck_assert_str_eq(c.f[r][7], "4");
            ck_assert_str_eq(c.f[r][10], "2");
            ck_assert_str_eq(c.f[r][11], "5");
            ck_assert_str_eq(c.f[r][12], "-1");
            ck_assert_str_eq(c.f[r][13], "Ein setel, \"feil\" lagt\nmed");
        }
    ck_assert(seen);
    /* KS personal votes: 2+1 (FO) + 4 (VO) */
    long pv = 0;
    for (size_t r = 1; r < c.n_rows; r++)
        if (strcmp(c.f[r][1], "KS") == 0 && strcmp(c.f[r][4], "list") == 0)
            pv += atol(c.f[r][8]);
    ck_assert_int_eq(pv, 7);
    /* No preliminary count: the three fields are empty. */
    for (size_t r = 1; r < c.n_rows; r++)
        if (strcmp(c.f[r][2], "FO") == 0)
            ck_assert_str_eq(c.f[r][11], "");
    csv_free(&c);
    free(text);
    json_decref(doc);
}
END_TEST

START_TEST(eml_export_has_the_structure_evas_importer_reads)
{
    json_t *doc = load_doc();
    save_doc("c.json", doc);
    ck_assert_msg(telle("export --counts c.json --format eml --out eml "
                        "--eva-event 202301") == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "3 EML 510 Count files in eml"));
    const char *files[3] = {"eml/Count-KS-FO-0000.xml", "eml/Count-KS-VO-0001.xml",
                            "eml/Count-FT-VO-0001.xml"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(sh("xmllint --noout '%s'", files[i]) == 0, "%s: %s",
                      files[i], out);
        char *ns = xpath(files[i], "namespace-uri(/*)");
        ck_assert_str_eq(ns, "urn:oasis:names:tc:evs:schema:eml");
        free(ns);
        ck_assert_int_eq(xpath_num(files[i], "string(/" E("EML") "/@Id)"), 510);
        ck_assert_int_eq(xpath_num(files[i], "string(/" E("EML") "/"
                                   E("TransactionId") ")"), (long)i + 1);
        char *ev = xpath(files[i], "string(//" E("EventIdentifier") "/@Id)");
        ck_assert_str_eq(ev, "202301");
        free(ev);
        char *auth = xpath(files[i], "string(/" E("EML") "/" E("ManagingAuthority")
                           "/" E("AuthorityIdentifier") "/@Id)");
        ck_assert_str_eq(auth, "4621");
        free(auth);
        /* One Contest, one ReportingUnitVotes per file (the importer reads
         * only the first). */
        ck_assert_int_eq(xpath_num(files[i], "count(//" E("Contest") ")"), 1);
        ck_assert_int_eq(xpath_num(files[i], "count(//" E("ReportingUnitVotes") ")"), 1);
    }
    json_t *ks = json_array_get(json_object_get(doc, "elections"), 0);
    for (size_t k = 0; k < 2; k++) {
        const json_t *cn = json_array_get(json_object_get(ks, "counts"), k);
        const char *f = files[k];
        json_int_t ballots = json_integer_value(json_object_get(cn, "ballots"));
        json_int_t approved = json_integer_value(json_object_get(cn, "approved"));
        json_int_t blank = json_integer_value(json_object_get(cn, "blank"));
        json_int_t rejected = json_integer_value(json_object_get(cn, "rejected"));
        ck_assert_int_eq(xpath_num(f, "string(//" E("TotalCounted") ")"), ballots);
        ck_assert_int_eq(xpath_num(f, "sum(//" E("Selection") "/" E("ValidVotes") ")"),
                         approved + blank);
        ck_assert_int_eq(xpath_num(f, "string(//" E("Selection") "[" E("AffiliationIdentifier")
                                   "/@Id='BLANK']/" E("ValidVotes") ")"), blank);
        ck_assert_int_eq(xpath_num(f, "sum(//" E("RejectedVotes") ")"), rejected);
        ck_assert_int_eq(xpath_num(f, "count(//" E("RejectedVotes") ")"), 4);
        char *cat = xpath(f, "string(//" E("ReportingUnitVotes") "/" E("CountMetric")
                          "[@Type='vote_count_category']/@Id)");
        ck_assert_str_eq(cat, json_string_value(json_object_get(cn, "category")));
        free(cat);
        char *fin = xpath(f, "string(//" E("CountQualifier") "/" E("Final") ")");
        ck_assert_str_eq(fin, "yes");
        free(fin);
    }
    /* Advance votes get F reason codes, election-day votes V. */
    ck_assert_int_eq(xpath_num(files[0], "string(//" E("RejectedVotes") "[@ReasonCode='FC'])"), 1);
    ck_assert_int_eq(xpath_num(files[1], "string(//" E("RejectedVotes") "[@ReasonCode='VA'])"), 1);
    char *q = xpath(files[1], "string(//" E("EventQualifier") "/@Id)");
    ck_assert_str_eq(q, "47.46.4621.462100.0001");
    free(q);
    char *ru = xpath(files[1], "string(//" E("ReportingUnitIndicator") "/@Id)");
    ck_assert_str_eq(ru, "01-47.46.4621");
    free(ru);
    /* Escaping: & < > " and Norwegian letters come back as written. */
    char *name = xpath(files[1], "string(//" E("AffiliationIdentifier")
                       "[@Id='R\xc3\x98" "DT']/" E("RegisteredName") ")");
    ck_assert_str_eq(name, RODT_NAME);
    free(name);
    char *area = xpath(files[1], "string(//" E("AuthorityIdentifier") ")");
    ck_assert_str_eq(area, "Voss herad & <B\xc3\xb8> \"V\"");
    free(area);
    char *raw = tu_file_read(NULL, "%s/%s", dir, files[1]);
    ck_assert_ptr_nonnull(strstr(raw, "&amp; &lt;\xc3\xb8y&gt;"));
    ck_assert_ptr_null(strstr(raw, "<\xc3\xb8y>"));
    ck_assert_ptr_null(strstr(raw, "PRELIMINARY"));
    free(raw);

    /* Same counts, same bytes; and a folder in use is refused. */
    ck_assert_int_eq(telle("export --counts c.json --format eml --out eml2 "
                           "--eva-event 202301"), 0);
    ck_assert_int_eq(sh("cmp eml/Count-KS-VO-0001.xml eml2/Count-KS-VO-0001.xml"), 0);
    ck_assert_int_eq(telle("export --counts c.json --format eml --out eml"), 1);
    ck_assert_ptr_nonnull(strstr(out, "not empty"));
    json_decref(doc);
}
END_TEST

START_TEST(not_final_is_refused_without_preliminary)
{
    json_t *doc = load_doc();
    json_t *ks = json_array_get(json_object_get(doc, "elections"), 0);
    json_object_set_new(ks, "final", json_false());
    json_array_append_new(json_object_get(ks, "open_batches"),
                          json_string("0001-VO-02"));
    save_doc("open.json", doc);
    const char *formats[3] = {"json", "csv", "eml"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(sh("'%s' export --counts open.json --format %s --out x.%s",
                            tu_env("TELLE_BIN"), formats[i], formats[i]), 1);
        ck_assert_ptr_nonnull(strstr(out, "KS: batches not committed: 0001-VO-02"));
        ck_assert_ptr_nonnull(strstr(out, "--preliminary"));
        char name[16];
        snprintf(name, sizeof name, "x.%s", formats[i]);
        ck_assert(!tu_file_exists("%s/%s", dir, name));
    }
    /* FT alone is final: exported without --preliminary. */
    ck_assert_int_eq(telle("export --counts open.json --format csv --election FT "
                           "--out ft.csv"), 0);
    ck_assert_int_eq(telle("export --counts open.json --format csv --preliminary "
                           "--out p.csv"), 0);
    ck_assert_ptr_nonnull(strstr(out, "PRELIMINARY export"));
    char *text = tu_file_read(NULL, "%s/p.csv", dir);
    csv c;
    csv_parse(&c, text);
    for (size_t r = 1; r < c.n_rows; r++)
        ck_assert_str_eq(c.f[r][0], strcmp(c.f[r][1], "KS") == 0 ? "preliminary"
                                                                 : "final");
    csv_free(&c);
    free(text);
    ck_assert_int_eq(telle("export --counts open.json --format eml --preliminary "
                           "--out e"), 0);
    char *x = tu_file_read(NULL, "%s/e/Count-KS-VO-0001.xml", dir);
    ck_assert_ptr_nonnull(strstr(x, "<!-- PRELIMINARY EXPORT"));
    ck_assert_ptr_nonnull(strstr(x, "0001-VO-02"));
    free(x);
    ck_assert_int_eq(sh("xmllint --noout e/Count-KS-VO-0001.xml"), 0);
    char *partial = xpath("e/Count-KS-VO-0001.xml",
                          "string(//" E("CountQualifier") "/" E("Partial") ")");
    ck_assert_str_eq(partial, "yes");
    free(partial);
    char *ft = tu_file_read(NULL, "%s/e/Count-FT-VO-0001.xml", dir);
    ck_assert_ptr_null(strstr(ft, "PRELIMINARY"));
    free(ft);

    /* Every batch committed, but a difference without explanation. */
    json_object_set_new(ks, "final", json_true());
    json_array_clear(json_object_get(ks, "open_batches"));
    json_object_set_new(ks, "unexplained_differences", json_integer(1));
    save_doc("unexplained.json", doc);
    ck_assert_int_eq(telle("export --counts unexplained.json --format json --out u.json"), 1);
    ck_assert_ptr_nonnull(strstr(out, "KS: 1 difference from the preliminary count "
                                      "without explanation"));
    ck_assert(!tu_file_exists("%s/u.json", dir));
    json_decref(doc);
}
END_TEST

START_TEST(a_document_whose_sums_disagree_is_refused)
{
    json_t *doc = load_doc();
    json_t *cn = json_array_get(json_object_get(json_array_get(
        json_object_get(doc, "elections"), 0), "counts"), 1);
    json_object_set_new(cn, "ballots", json_integer(17));
    save_doc("bad.json", doc);
    ck_assert_int_eq(telle("export --counts bad.json --format csv --out b.csv"), 1);
    ck_assert_msg(strstr(out, "bad.json: $.elections[0].counts[1].ballots: 17 != "
                              "approved 13 + blank 1 + rejected 2") != NULL, "%s", out);
    ck_assert(!tu_file_exists("%s/b.csv", dir));

    json_object_set_new(cn, "ballots", json_integer(16));
    json_t *rodt = json_object_get(json_object_get(cn, "lists"), "R\xc3\x98" "DT");
    json_object_set_new(rodt, "write_ins_given", json_integer(2));
    save_doc("bad2.json", doc);
    ck_assert_int_eq(telle("export --counts bad2.json --format json --out b.json"), 1);
    ck_assert_msg(strstr(out, "$.elections[0].counts[1].lists: write-ins given 4 != "
                              "write-ins received 3") != NULL, "%s", out);
    tu_file_write("{\"format\": ", "%s/notjson.json", dir);
    ck_assert_int_eq(telle("export --counts notjson.json --format json --out b.json"), 1);
    ck_assert_ptr_nonnull(strstr(out, "notjson.json: line"));
    ck_assert_int_eq(telle("export --counts c.json --format xml --out b.xml"), 2);
    ck_assert_int_eq(telle("export --format json --out b.json"), 2);
    json_decref(doc);
}
END_TEST

START_TEST(the_library_refuses_what_xml_cannot_carry)
{
    json_t *doc = load_doc();
    char *xml = NULL;
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 1, 7, NULL), 0);
    ck_assert_ptr_nonnull(strstr(xml, "<TransactionId>7</TransactionId>"));
    free(xml);
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 2, 1, NULL), TELLE_EINVAL);
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 0, 0, NULL), TELLE_EINVAL);

    json_t *list0 = json_array_get(json_object_get(json_array_get(
        json_object_get(doc, "elections"), 0), "lists"), 0);
    json_object_set_new(list0, "name", json_string("Arbeidar\x01partiet"));
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 0, 1, NULL), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "list name: control character 0x01"));
    ck_assert_ptr_null(xml);
    json_object_set_new(list0, "name", json_string("Arbeidarpartiet"));

    cnt_eml_options opt = CNT_EML_OPTIONS_INIT;
    opt.event_id = "a b";
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 0, 1, &opt), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "EML event id: 'a b' has ' '"));

    json_object_set_new(json_object_get(doc, "area"), "code", json_string("99"));
    ck_assert_int_eq(cnt_export_eml_count(&xml, doc, 0, 0, 1, NULL), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "4-digit kommunenummer"));

    /* Not final: the reasons, one a line. */
    json_t *ks = json_array_get(json_object_get(doc, "elections"), 0);
    char *why = NULL;
    ck_assert_int_eq(cnt_counts_not_final(&why, doc, NULL), 0);
    ck_assert_ptr_null(why);
    json_object_set_new(ks, "final", json_false());
    ck_assert_int_eq(cnt_counts_not_final(&why, doc, NULL), 0);
    ck_assert_str_eq(why, "KS: no committed batch\n");
    free(why);
    ck_assert_int_eq(cnt_counts_not_final(&why, doc, "FT"), 0);
    ck_assert_ptr_null(why);
    json_decref(doc);
}
END_TEST

/* ---- from a real store ------------------------------------------------ */

static const char RECORDS[] =
    "{\"sheet\":\"a.tif#1\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-AP\",\"list\":\"AP\",\"outcome\":\"approved\","
    "\"reasons\":[],\"personal_votes\":[2],\"marks\":[],\"write_ins\":{\"in_field\":0,"
    "\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"a.tif#2\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-H\",\"list\":\"H\",\"outcome\":\"review\","
    "\"reasons\":[\"writing_in_field\"],\"personal_votes\":[1],\"marks\":[],\"write_ins\":"
    "{\"in_field\":1,\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"a.tif#3\",\"batch\":\"0007-FO-01\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-SP\",\"list\":\"SP\",\"outcome\":\"review\","
    "\"reasons\":[\"missing_stamp\"],\"personal_votes\":[],\"marks\":[],\"write_ins\":"
    "{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":false}\n";

/* A second box of the same krets, one approved ballot, nothing to review. */
static const char RECORDS2[] =
    "{\"sheet\":\"b.tif#1\",\"batch\":\"0007-FO-02\",\"krets\":\"0007\",\"category\":\"FO\","
    "\"pages\":[],\"election\":\"KS\",\"style\":\"KS-AP\",\"list\":\"AP\",\"outcome\":\"approved\","
    "\"reasons\":[],\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,"
    "\"outside_field\":0},\"writing\":[],\"stamp\":true}\n";

START_TEST(end_to_end_from_a_store)
{
    tu_store_init(dir, "c.db", "kari:operator", "ola:secretary", NULL);
    tu_file_write(RECORDS, "%s/r.jsonl", dir);
    tu_file_write(RECORDS2, "%s/r2.jsonl", dir);
    tu_telle_ok(&out, dir, "review load --db c.db r.jsonl");
    tu_telle_ok(&out, dir, "review load --db c.db r2.jsonl");
    ck_assert_ptr_nonnull(strstr(out, "0007-FO-02"));
    /* An H ballot with a write-in of SP 3 (ballots of another list), and
     * a rejection confirmed by a second person. */
    ck_assert_msg(telle("review decide 2 --db c.db --as kari --write-in 'Nils R'") == 0,
                  "%s", out);
    ck_assert_int_eq(telle("review decide 3 --db c.db --as kari --reject a"), 0);
    ck_assert_int_eq(telle("review decide 3 --db c.db --as ola --confirm-reject"), 0);
    ck_assert_msg(telle("review commit 0007-FO-01 --db c.db --as ola") == 0, "%s", out);

    /* 0007-FO-02 is still open: refused, then preliminary. */
    ck_assert_int_eq(telle("export --db c.db --format json --out a.json"), 1);
    ck_assert_msg(strstr(out, "KS: batches not committed: 0007-FO-02") != NULL, "%s", out);
    ck_assert_int_eq(telle("export --db c.db --format csv --preliminary --out p.csv"), 0);
    char *p = tu_file_read(NULL, "%s/p.csv", dir);
    ck_assert_ptr_nonnull(strstr(p, "\r\npreliminary,KS,FO,0007,ballots,ballots,,3,"));
    free(p);

    ck_assert_msg(telle("review commit 0007-FO-02 --db c.db --as ola") == 0, "%s", out);
    ck_assert_msg(telle("export --db c.db --format json --election KS --out a.json") == 0, "%s", out);
    char *text = tu_file_read(NULL, "%s/a.json", dir);
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    free(text);
    json_t *ks = NULL;
    size_t i;
    json_t *el;
    json_array_foreach(json_object_get(doc, "elections"), i, el)
        if (strcmp(json_string_value(json_object_get(el, "id")), "KS") == 0)
            ks = el;
    ck_assert_ptr_nonnull(ks);
    ck_assert(json_is_true(json_object_get(ks, "final")));
    const json_t *t = json_object_get(ks, "totals");
    json_int_t ballots = json_integer_value(json_object_get(t, "ballots"));
    json_int_t approved = json_integer_value(json_object_get(t, "approved"));
    json_int_t blank = json_integer_value(json_object_get(t, "blank"));
    json_int_t rejected = json_integer_value(json_object_get(t, "rejected"));
    ck_assert_int_eq(ballots, 4);
    ck_assert_int_eq(approved + blank + rejected, ballots);
    ck_assert_int_eq(rejected, 1);
    json_int_t given = 0, received = 0;
    const char *code;
    json_t *lv;
    json_object_foreach(json_object_get(t, "lists"), code, lv) {
        given += json_integer_value(json_object_get(lv, "write_ins_given"));
        const char *no;
        json_t *v;
        json_object_foreach(json_object_get(lv, "write_ins_received"), no, v)
            received += json_integer_value(v);
    }
    ck_assert_int_eq(given, 1);
    ck_assert_int_eq(given, received);
    json_decref(doc);

    /* The same store as EML: one file for KS FO 0007 that sums up. */
    ck_assert_msg(telle("export --db c.db --format eml --election KS --out eml") == 0,
                  "%s", out);
    const char *f = "eml/Count-KS-FO-0007.xml";
    ck_assert_int_eq(sh("xmllint --noout %s", f), 0);
    ck_assert_int_eq(xpath_num(f, "string(//" E("TotalCounted") ")"), 4);
    ck_assert_int_eq(xpath_num(f, "sum(//" E("Selection") "/" E("ValidVotes") ")")
                     + xpath_num(f, "sum(//" E("RejectedVotes") ")"), 4);
    ck_assert_int_eq(xpath_num(f, "string(//" E("RejectedVotes") "[@ReasonCode='FA'])"), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("count_export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, json_export_is_the_document_reproducibly);
    tcase_add_test(tc, csv_export_parses_back_and_sums);
    tcase_add_test(tc, eml_export_has_the_structure_evas_importer_reads);
    tcase_add_test(tc, not_final_is_refused_without_preliminary);
    tcase_add_test(tc, a_document_whose_sums_disagree_is_refused);
    tcase_add_test(tc, the_library_refuses_what_xml_cannot_carry);
    tcase_add_test(tc, end_to_end_from_a_store);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
