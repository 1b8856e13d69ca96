/* test_counts.c - the counts document (count/counts.c) built from
 * hand-made inputs: sums per category and krets in the right order, every
 * list present with zeros, open batches left out, preliminary counts with
 * their differences and explanations, the unexplained count, spot checks,
 * and the refusal of inputs that do not add up. */
#include "core/error.h"
#include "count/counts.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Two elections; KS has two lists with three candidates each. */
static const char PACKAGE[] =
    "{\"format\":\"telle-election/1\",\"event\":\"Valet 2023\","
    "\"area\":{\"code\":\"0099\",\"name\":\"Fjordvik\"},\"elections\":["
    "{\"id\":\"KS\",\"type\":\"kommunestyrevalg\",\"name\":\"Kommunestyrevalet\","
    "\"seats\":27,\"max_write_ins\":6,\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeidarpartiet\",\"candidates\":[{\"no\":1,\"name\":\"A1\"},"
    "{\"no\":2,\"name\":\"A2\"},{\"no\":3,\"name\":\"A3\"}]},"
    "{\"code\":\"H\",\"name\":\"H\xc3\xb8gre\",\"candidates\":[{\"no\":1,\"name\":\"H1\"},"
    "{\"no\":2,\"name\":\"H2\"},{\"no\":3,\"name\":\"H3\"}]}]},"
    "{\"id\":\"FT\",\"type\":\"fylkestingsvalg\",\"name\":\"Fylkestingsvalet\","
    "\"seats\":35,\"max_write_ins\":0,\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeidarpartiet\",\"candidates\":[{\"no\":1,\"name\":\"F1\"}]},"
    "{\"code\":\"SV\",\"name\":\"SV\",\"candidates\":[{\"no\":1,\"name\":\"S1\"}]}]}],"
    "\"styles\":[]}";

#define SHA "ab12000000000000000000000000000000000000000000000000000000000000"

/* Batches in creation order: two committed VO 0001 batches, a committed FO
 * 0002 batch created after them, an open VO 0001 batch, and a committed FT
 * batch without ballots. */
static const char BATCHES[] =
    "[{\"batch\":\"0001-VO-01\",\"election\":\"KS\",\"krets\":\"0001\",\"category\":\"VO\","
    "\"committed\":true,\"tallies\":{\"batch\":\"0001-VO-01\",\"election\":\"KS\","
    "\"krets\":\"0001\",\"category\":\"VO\",\"ballots\":5,\"approved\":4,\"blank\":0,"
    "\"rejected\":1,\"pending\":0,\"rejected_by_ground\":{\"a\":0,\"b\":1,\"c\":0,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":3,\"personal_votes\":{\"1\":2},\"write_ins_given\":1,"
    "\"write_ins_received\":{}},\"H\":{\"approved\":1,\"personal_votes\":{},"
    "\"write_ins_given\":0,\"write_ins_received\":{\"2\":1}}},\"write_ins_not_counted\":1,"
    "\"remarks\":[{\"sheet\":\"a.tif#3\",\"by\":\"kari\",\"text\":\"torn\"}]}},"
    "{\"batch\":\"0001-VO-02\",\"election\":\"KS\",\"krets\":\"0001\",\"category\":\"VO\","
    "\"committed\":true,\"tallies\":{\"batch\":\"0001-VO-02\",\"election\":\"KS\","
    "\"krets\":\"0001\",\"category\":\"VO\",\"ballots\":3,\"approved\":2,\"blank\":1,"
    "\"rejected\":0,\"rejected_by_ground\":{\"a\":0,\"b\":0,\"c\":0,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":1,\"personal_votes\":{\"1\":1,\"3\":1},"
    "\"write_ins_given\":0,\"write_ins_received\":{\"2\":1}},\"H\":{\"approved\":1,"
    "\"personal_votes\":{},\"write_ins_given\":1,\"write_ins_received\":{}}},"
    "\"write_ins_not_counted\":0,\"remarks\":[]}},"
    "{\"batch\":\"0002-FO-01\",\"election\":\"KS\",\"krets\":\"0002\",\"category\":\"FO\","
    "\"committed\":true,\"tallies\":{\"batch\":\"0002-FO-01\",\"election\":\"KS\","
    "\"krets\":\"0002\",\"category\":\"FO\",\"ballots\":2,\"approved\":2,\"blank\":0,"
    "\"rejected\":0,\"rejected_by_ground\":{\"a\":0,\"b\":0,\"c\":0,\"d\":0},"
    "\"lists\":{\"AP\":{\"approved\":2,\"personal_votes\":{},\"write_ins_given\":0,"
    "\"write_ins_received\":{}}},\"write_ins_not_counted\":0,\"remarks\":[]}},"
    "{\"batch\":\"0001-VO-03\",\"election\":\"KS\",\"krets\":\"0001\",\"category\":\"VO\","
    "\"committed\":false,\"tallies\":null},"
    "{\"batch\":\"0001-VO-F1\",\"election\":\"FT\",\"krets\":\"0001\",\"category\":\"VO\","
    "\"committed\":true,\"tallies\":{\"batch\":\"0001-VO-F1\",\"election\":\"FT\","
    "\"krets\":\"0001\",\"category\":\"VO\",\"ballots\":0,\"approved\":0,\"blank\":0,"
    "\"rejected\":0,\"rejected_by_ground\":{},\"lists\":{},\"remarks\":[]}}]";

/* Two preliminary counts of KS VO 0001 (the later replaces the earlier),
 * one of KS VS 0003 where nothing is committed, an explanation of AP in VO
 * 0001, and a spot check. */
static const char EVENTS[] =
    "[{\"seq\":40,\"time\":\"t40\",\"actor\":\"kari\",\"kind\":\"prelim\",\"payload\":"
    "{\"election\":\"KS\",\"category\":\"VO\",\"krets\":\"0001\",\"lists\":{\"AP\":4,\"H\":2},"
    "\"blank\":1,\"doubtful\":0}},"
    "{\"seq\":41,\"time\":\"t41\",\"actor\":\"ola\",\"kind\":\"prelim\",\"payload\":"
    "{\"election\":\"KS\",\"category\":\"VO\",\"krets\":\"0001\",\"lists\":{\"AP\":5,\"H\":2},"
    "\"blank\":0,\"doubtful\":1}},"
    "{\"seq\":42,\"time\":\"t42\",\"actor\":\"ola\",\"kind\":\"prelim\",\"payload\":"
    "{\"election\":\"KS\",\"category\":\"VS\",\"krets\":\"0003\",\"lists\":{\"AP\":1,\"H\":0},"
    "\"blank\":0,\"doubtful\":0}},"
    "{\"seq\":43,\"time\":\"t43\",\"actor\":\"ola\",\"kind\":\"difference_explanation\","
    "\"payload\":{\"election\":\"KS\",\"category\":\"VO\",\"krets\":\"0001\",\"list\":\"AP\","
    "\"text\":\"first try\"}},"
    "{\"seq\":44,\"time\":\"t44\",\"actor\":\"ola\",\"kind\":\"difference_explanation\","
    "\"payload\":{\"election\":\"KS\",\"category\":\"VO\",\"krets\":\"0001\",\"list\":\"AP\","
    "\"text\":\"a doubtful ballot was rejected\"}},"
    "{\"seq\":45,\"time\":\"t45\",\"actor\":\"kari\",\"kind\":\"spotcheck_record\","
    "\"payload\":{\"batch\":\"0001-VO-01\",\"election\":\"KS\",\"category\":\"VO\","
    "\"krets\":\"0001\",\"ballots_checked\":5,\"differences\":[],\"explanation\":null}}]";

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(j != NULL, "test input: %s", jerr.text);
    return j;
}

static json_t *build_ok(const json_t *batches, const json_t *events)
{
    json_t *doc = NULL;
    int rc = cnt_counts_build(&doc, PACKAGE, SHA, batches, events);
    ck_assert_msg(rc == 0, "%s", err_message());
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static json_int_t ival(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", k);
    return json_integer_value(v);
}

static json_t *election(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "elections"), i);
}

/* The identities of the counts document (count/README.md). */
static void assert_identities(const json_t *t)
{
    ck_assert_int_eq(ival(t, "approved") + ival(t, "blank") + ival(t, "rejected"),
                     ival(t, "ballots"));
    const json_t *g = json_object_get(t, "rejected_by_ground");
    ck_assert_int_eq(ival(g, "a") + ival(g, "b") + ival(g, "c") + ival(g, "d"),
                     ival(t, "rejected"));
    json_int_t approved = 0, given = 0, received = 0;
    const char *code, *k;
    json_t *l, *v;
    json_object_foreach(json_object_get(t, "lists"), code, l) {
        approved += ival(l, "approved");
        given += ival(l, "write_ins_given");
        json_object_foreach(json_object_get(l, "write_ins_received"), k, v)
            received += json_integer_value(v);
    }
    ck_assert_int_eq(approved, ival(t, "approved"));
    ck_assert_int_eq(given, received);
}

START_TEST(sums_order_and_zeros)
{
    json_t *b = parse(BATCHES), *e = json_array();
    json_t *doc = build_ok(b, e);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "format")), "telle-counts/1");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "package_sha256")), SHA);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "event")), "Valet 2023");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "area"), "name")),
                     "Fjordvik");
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "elections")), 2);

    json_t *ks = election(doc, 0);
    ck_assert_str_eq(json_string_value(json_object_get(ks, "id")), "KS");
    ck_assert_str_eq(json_string_value(json_object_get(ks, "type")), "kommunestyrevalg");
    ck_assert_int_eq(ival(ks, "seats"), 27);
    ck_assert(json_real_value(json_object_get(ks, "first_divisor")) == 1.4);
    ck_assert(json_is_false(json_object_get(ks, "final")));
    json_t *open = json_object_get(ks, "open_batches");
    ck_assert_uint_eq(json_array_size(open), 1);
    ck_assert_str_eq(json_string_value(json_array_get(open, 0)), "0001-VO-03");
    json_t *lists = json_object_get(ks, "lists");
    ck_assert_uint_eq(json_array_size(lists), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(lists, 1), "name")),
                     "H\xc3\xb8gre");

    /* FO before VO, although the FO batch came later. */
    json_t *counts = json_object_get(ks, "counts");
    ck_assert_uint_eq(json_array_size(counts), 2);
    json_t *fo = json_array_get(counts, 0), *vo = json_array_get(counts, 1);
    ck_assert_str_eq(json_string_value(json_object_get(fo, "category")), "FO");
    ck_assert_str_eq(json_string_value(json_object_get(fo, "krets")), "0002");
    ck_assert_str_eq(json_string_value(json_object_get(vo, "category")), "VO");

    /* VO 0001: the two committed batches, not the open one. */
    json_t *vb = json_object_get(vo, "batches");
    ck_assert_uint_eq(json_array_size(vb), 2);
    ck_assert_str_eq(json_string_value(json_array_get(vb, 0)), "0001-VO-01");
    ck_assert_str_eq(json_string_value(json_array_get(vb, 1)), "0001-VO-02");
    ck_assert_int_eq(ival(vo, "ballots"), 8);
    ck_assert_int_eq(ival(vo, "approved"), 6);
    ck_assert_int_eq(ival(vo, "blank"), 1);
    ck_assert_int_eq(ival(vo, "rejected"), 1);
    ck_assert_int_eq(ival(json_object_get(vo, "rejected_by_ground"), "b"), 1);
    ck_assert_int_eq(ival(vo, "write_ins_not_counted"), 1);
    json_t *ap = json_object_get(json_object_get(vo, "lists"), "AP");
    json_t *h = json_object_get(json_object_get(vo, "lists"), "H");
    ck_assert_int_eq(ival(ap, "approved"), 4);
    ck_assert_int_eq(ival(json_object_get(ap, "personal_votes"), "1"), 3);
    ck_assert_int_eq(ival(json_object_get(ap, "personal_votes"), "3"), 1);
    ck_assert_int_eq(ival(ap, "write_ins_given"), 1);
    ck_assert_int_eq(ival(json_object_get(ap, "write_ins_received"), "2"), 1);
    ck_assert_int_eq(ival(h, "approved"), 2);
    ck_assert_int_eq(ival(json_object_get(h, "write_ins_received"), "2"), 1);
    json_t *rm = json_array_get(json_object_get(vo, "remarks"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rm, "batch")), "0001-VO-01");
    ck_assert_str_eq(json_string_value(json_object_get(rm, "by")), "kari");
    ck_assert_str_eq(json_string_value(json_object_get(rm, "text")), "torn");
    ck_assert(json_is_null(json_object_get(vo, "prelim")));
    ck_assert_uint_eq(json_array_size(json_object_get(vo, "differences")), 0);

    /* A list without ballots in FO 0002 is there with zeros. */
    json_t *fh = json_object_get(json_object_get(fo, "lists"), "H");
    ck_assert_ptr_nonnull(fh);
    ck_assert_int_eq(ival(fh, "approved"), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(fh, "personal_votes")), 0);

    json_t *tot = json_object_get(ks, "totals");
    ck_assert_int_eq(ival(tot, "ballots"), 10);
    ck_assert_int_eq(ival(json_object_get(json_object_get(tot, "lists"), "AP"), "approved"), 6);
    ck_assert_int_eq(ival(ks, "unexplained_differences"), 0);
    assert_identities(fo);
    assert_identities(vo);
    assert_identities(tot);

    /* FT: its one batch is committed, so it is final, with zeros. */
    json_t *ft = election(doc, 1);
    ck_assert(json_is_true(json_object_get(ft, "final")));
    ck_assert_uint_eq(json_array_size(json_object_get(ft, "counts")), 1);
    json_t *ftt = json_object_get(ft, "totals");
    ck_assert_int_eq(ival(json_object_get(json_object_get(ftt, "lists"), "SV"), "approved"), 0);
    ck_assert_int_eq(ival(json_object_get(ftt, "rejected_by_ground"), "d"), 0);
    assert_identities(ftt);

    json_decref(doc);
    json_decref(b);
    json_decref(e);
}
END_TEST

START_TEST(prelim_differences_and_explanations)
{
    json_t *b = parse(BATCHES), *e = parse(EVENTS);
    json_t *doc = build_ok(b, e);
    json_t *ks = election(doc, 0);
    json_t *counts = json_object_get(ks, "counts");
    /* FO 0002, VO 0001, and VS 0003 made by its prelim alone. */
    ck_assert_uint_eq(json_array_size(counts), 3);
    json_t *vo = json_array_get(counts, 1), *vs = json_array_get(counts, 2);
    ck_assert_str_eq(json_string_value(json_object_get(vs, "category")), "VS");

    json_t *pre = json_object_get(vo, "prelim");
    ck_assert(json_is_object(pre));
    ck_assert_int_eq(ival(pre, "seq"), 41); /* the later one */
    ck_assert_str_eq(json_string_value(json_object_get(pre, "by")), "ola");
    ck_assert_str_eq(json_string_value(json_object_get(pre, "time")), "t41");
    ck_assert_int_eq(ival(json_object_get(pre, "lists"), "AP"), 5);
    ck_assert_int_eq(ival(pre, "doubtful"), 1);
    ck_assert_ptr_null(json_object_get(pre, "category"));

    json_t *d = json_object_get(vo, "differences");
    ck_assert_uint_eq(json_array_size(d), 3); /* AP, H, blank */
    json_t *dap = json_array_get(d, 0), *dh = json_array_get(d, 1), *db = json_array_get(d, 2);
    ck_assert_str_eq(json_string_value(json_object_get(dap, "list")), "AP");
    ck_assert_int_eq(ival(dap, "prelim"), 5);
    ck_assert_int_eq(ival(dap, "final"), 4);
    ck_assert_int_eq(ival(dap, "difference"), -1);
    ck_assert_str_eq(json_string_value(json_object_get(dap, "explanation")),
                     "a doubtful ballot was rejected");
    ck_assert_int_eq(ival(dh, "difference"), 0);
    ck_assert(json_is_null(json_object_get(dh, "explanation")));
    ck_assert_str_eq(json_string_value(json_object_get(db, "list")), "blank");
    ck_assert_int_eq(ival(db, "prelim"), 0);
    ck_assert_int_eq(ival(db, "final"), 1);
    ck_assert_int_eq(ival(db, "difference"), 1);
    ck_assert(json_is_null(json_object_get(db, "explanation")));

    /* VS 0003: nothing committed, so the whole prelim is a difference. */
    ck_assert_uint_eq(json_array_size(json_object_get(vs, "batches")), 0);
    ck_assert_int_eq(ival(vs, "ballots"), 0);
    json_t *vsd = json_array_get(json_object_get(vs, "differences"), 0);
    ck_assert_int_eq(ival(vsd, "difference"), -1);
    assert_identities(vs);

    /* Unexplained: blank in VO 0001 and AP in VS 0003. */
    ck_assert_int_eq(ival(ks, "unexplained_differences"), 2);
    ck_assert_int_eq(ival(election(doc, 1), "unexplained_differences"), 0);
    ck_assert_int_eq(ival(json_object_get(ks, "totals"), "ballots"), 10);

    json_t *sp = json_object_get(ks, "spotchecks");
    ck_assert_uint_eq(json_array_size(sp), 1);
    ck_assert_int_eq(ival(json_array_get(sp, 0), "ballots_checked"), 5);
    ck_assert_uint_eq(json_array_size(json_object_get(election(doc, 1), "spotchecks")), 0);

    /* Explaining the blank row leaves one. */
    json_array_append_new(e, parse("{\"seq\":46,\"time\":\"t\",\"actor\":\"ola\","
                                   "\"kind\":\"difference_explanation\",\"payload\":"
                                   "{\"election\":\"KS\",\"category\":\"VO\","
                                   "\"krets\":\"0001\",\"list\":\"blank\",\"text\":\"x\"}}"));
    json_t *doc2 = build_ok(b, e);
    ck_assert_int_eq(ival(election(doc2, 0), "unexplained_differences"), 1);
    json_decref(doc2);
    json_decref(doc);
    json_decref(b);
    json_decref(e);
}
END_TEST

START_TEST(text_is_reproducible)
{
    json_t *b = parse(BATCHES), *e = parse(EVENTS);
    json_t *d1 = build_ok(b, e), *d2 = build_ok(b, e);
    char *t1 = cnt_counts_dumps(d1), *t2 = cnt_counts_dumps(d2);
    ck_assert_str_eq(t1, t2);
    ck_assert_ptr_nonnull(strstr(t1, "\"first_divisor\": 1.4,"));
    ck_assert(t1[strlen(t1) - 1] == '\n');
    /* Sorted keys: "area" before "elections" before "event". */
    ck_assert(strstr(t1, "\"area\"") < strstr(t1, "\"elections\""));
    ck_assert(strstr(t1, "\"elections\"") < strstr(t1, "\"event\":"));
    json_t *back = json_loads(t1, 0, NULL);
    ck_assert(json_equal(back, d1));
    json_decref(back);
    free(t1);
    free(t2);
    json_decref(d1);
    json_decref(d2);
    json_decref(b);
    json_decref(e);
}
END_TEST

/* Sets the value at a /-separated path of objects and array indexes. */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL, *tok = strtok_r(buf, "/", &save);
    while (tok != NULL) {
        char *next = strtok_r(NULL, "/", &save);
        if (next == NULL) {
            if (json_is_array(cur))
                json_array_set_new(cur, (size_t)atoi(tok), value);
            else
                json_object_set_new(cur, tok, value);
            return;
        }
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
        ck_assert_msg(cur != NULL, "no %s in %s", tok, path);
        tok = next;
    }
}

typedef struct {
    const char *path;  /* "b/..." in the batches, "e/..." in the events */
    const char *value; /* JSON text; NULL deletes (sets to nothing) */
    const char *message;
} bad_case;

static const bad_case BAD[] = {
    {"b/0/tallies/ballots", "6", "batch 0001-VO-01: tallies: approved 4 + blank 0 + rejected 1 != ballots 6"},
    {"b/0/tallies/lists/AP/approved", "2", "the lists' approved sum to 3, approved is 4"},
    {"b/0/tallies/lists/FRP", "{\"approved\":0}", "tallies: lists: FRP is not a list of KS"},
    {"b/0/tallies/lists/AP/personal_votes/7", "1", "\"7\" is not a candidate number of list AP"},
    {"b/0/tallies/lists/AP/personal_votes/1", "-2", "-2 is outside 0.."},
    {"b/0/tallies/lists/H/write_ins_received/2", "2", "write-ins given (1) != write-ins received (2)"},
    {"b/0/tallies/rejected_by_ground/e", "0", "\"e\" is not a ground a-d"},
    {"b/0/tallies/rejected_by_ground/b", "0", "rejected_by_ground sums to 0, rejected is 1"},
    {"b/0/tallies/pending", "2", "2 ballots still pending"},
    {"b/0/tallies/krets", "\"0002\"", "krets is \"0002\", the batch's is 0001"},
    {"b/0/tallies/approved", "\"4\"", "tallies: approved: not an integer"},
    {"b/0/tallies", "null", "batch 0001-VO-01: committed without tallies"},
    {"b/0/election", "\"XX\"", "batch 0001-VO-01: election XX is not in the package"},
    {"b/0/category", "\"VX\"", "category VX is not one of FO FS VO VS VB"},
    {"b/1/batch", "\"0001-VO-01\"", "batch 0001-VO-01: listed twice"},
    {"b/0/committed", "1", "committed: not true or false"},
    {"e/1/payload/lists/FRP", "3", "event 41 (prelim): lists: FRP is not a list of KS"},
    {"e/1/payload/lists/H", "null", "event 41 (prelim): lists: H: not an integer"},
    {"e/0/payload/blank", "-1", "event 40 (prelim): blank: -1 is outside"},
    {"e/1/payload/election", "\"XX\"", "event 41 (prelim): election XX is not in the package"},
    {"e/3/payload/list", "\"FRP\"", "event 43 (difference_explanation): list: FRP is not a list of KS"},
    {"e/3/payload/text", "\"\"", "text: missing or empty"},
    {"e/5/payload/batch", "\"9999-VO-01\"", "batch 9999-VO-01 is not a batch of this count"},
    {"e/5/payload/election", "\"FT\"", "batch 0001-VO-01 is of election KS, not FT"},
    {"e/2/kind", "\"decide\"", "event 42 (decide): not an event kind the counts use"},
    {"e/2/payload/krets", "\"\"", "krets: missing or not a krets number"},
};

START_TEST(bad_input_is_refused)
{
    const bad_case *c = &BAD[_i];
    json_t *b = parse(BATCHES), *e = parse(EVENTS), *doc = (json_t *)1;
    set_path(c->path[0] == 'b' ? b : e, c->path + 2, parse(c->value));
    err_clear();
    int rc = cnt_counts_build(&doc, PACKAGE, SHA, b, e);
    ck_assert_msg(rc == TELLE_EFORMAT, "%s: rc %d", c->path, rc);
    ck_assert_ptr_null(doc);
    ck_assert_msg(strstr(err_message(), c->message) != NULL, "%s: message \"%s\"", c->path,
                  err_message());
    json_decref(b);
    json_decref(e);
}
END_TEST

START_TEST(bad_package_is_refused)
{
    json_t *b = json_array(), *e = json_array(), *doc = NULL;
    ck_assert_int_eq(cnt_counts_build(&doc, "{\"elections\":", SHA, b, e), TELLE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err_message(), "election.json: line 1"));
    ck_assert_int_eq(cnt_counts_build(&doc, "{\"elections\":[]}", SHA, b, e), TELLE_EFORMAT);
    ck_assert_int_eq(cnt_counts_build(&doc, "{\"elections\":[{\"id\":\"KS\",\"seats\":1,"
                                            "\"first_divisor\":1.4,\"lists\":[{\"code\":"
                                            "\"blank\",\"candidates\":[]}]}]}",
                                      SHA, b, e),
                     TELLE_EFORMAT);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(cnt_counts_build(&doc, PACKAGE, SHA, NULL, e), TELLE_EINVAL);
    /* No batches at all: every election there, nothing final. */
    ck_assert_int_eq(cnt_counts_build(&doc, PACKAGE, SHA, b, e), 0);
    ck_assert(json_is_false(json_object_get(election(doc, 0), "final")));
    ck_assert_uint_eq(json_array_size(json_object_get(election(doc, 0), "counts")), 0);
    assert_identities(json_object_get(election(doc, 1), "totals"));
    json_decref(doc);
    json_decref(b);
    json_decref(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("count_counts");
    TCase *tc = tcase_create("counts");
    tcase_add_test(tc, sums_order_and_zeros);
    tcase_add_test(tc, prelim_differences_and_explanations);
    tcase_add_test(tc, text_is_reproducible);
    tcase_add_loop_test(tc, bad_input_is_refused, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, bad_package_is_refused);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
