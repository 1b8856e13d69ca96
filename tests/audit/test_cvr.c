/* test_cvr.c - NIST SP 1500-103 cast vote records from a real store: the
 * report validates against NIST's JSON schema (audit/schema/, checked with
 * Debian's python3-jsonschema, and a broken copy is refused by the same
 * check), one CVR per sheet, every vote box a position with its score,
 * marginal marks "unknown", a "modified" snapshot after a decision (and
 * none after an undo or while a rejection waits), write-ins as the
 * operator read them, rejections, every reference defined, and
 * `telle audit cvr`. */
#include "audit/cvr.h"
#include "core/error.h"
#include "store/store.h"
#include "verify/decision.h"
#include "verify/queue.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PW "korrekt hest"

static const char PACKAGE[] =
    "{\"format\":\"telle-election/1\",\"event\":\"Test\","
    "\"area\":{\"code\":\"0099\",\"name\":\"Fjordvik\"},"
    "\"elections\":[{\"id\":\"KS\",\"type\":\"kommunestyrevalg\","
    "\"name\":\"Kommunestyrevalget\",\"seats\":27,\"max_write_ins\":2,"
    "\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeiderpartiet\",\"candidates\":["
    " {\"no\":1,\"name\":\"Maja R\\u00f8nneberg\"},{\"no\":2,\"name\":\"Tiril Teigen\"},"
    " {\"no\":3,\"name\":\"\\u00c5se \\u00d8deg\\u00e5rd\"}]},"
    "{\"code\":\"H\",\"name\":\"H\\u00f8yre\",\"candidates\":["
    " {\"no\":1,\"name\":\"Erik Berg\"},{\"no\":2,\"name\":\"Anne \\u00c6s\\u00f8y\"}]},"
    "{\"code\":\"SP\",\"name\":\"Senterpartiet\",\"candidates\":["
    " {\"no\":1,\"name\":\"Kari Nordmann\"},{\"no\":2,\"name\":\"Per Berge\"}]}]},"
    "{\"id\":\"FT\",\"type\":\"fylkestingsvalg\",\"name\":\"Fylkestingsvalget\",\"seats\":35,"
    "\"max_write_ins\":0,\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeiderpartiet\",\"candidates\":[{\"no\":1,\"name\":\"D\"}]}]}],"
    "\"styles\":[]}";

#define R(sheet, style, list, outcome, reasons, votes, marks, in_field, stamp)                 \
    "{\"sheet\":\"" sheet "\",\"pages\":[{\"file\":\"/scan/b1.tif\",\"page\":1,\"side\":"     \
    "\"inside\",\"rotated\":0,\"sha256\":\"aa11\"}],\"election\":\"KS\",\"style\":\"" style   \
    "\",\"list\":" list ",\"outcome\":\"" outcome "\",\"reasons\":" reasons                      \
    ",\"personal_votes\":" votes ",\"marks\":" marks ",\"write_ins\":{\"in_field\":" in_field \
    ",\"outside_field\":0},\"writing\":[],\"stamp\":" stamp "}\n"

static const char RECORDS[] =
    /* 1: approved AP with two personal votes */
    R("b1.tif#1", "KS-AP", "\"AP\"", "approved", "[]", "[1,3]",
      "[{\"candidate\":1,\"score\":0.9,\"state\":\"marked\"},"
      "{\"candidate\":2,\"score\":0.0,\"state\":\"empty\"},"
      "{\"candidate\":3,\"score\":0.4,\"state\":\"marked\"}]", "0", "true")
    /* 2: H with a marginal mark; decided: a vote for 2 */
    R("b1.tif#2", "KS-H", "\"H\"", "review", "[\"marginal_mark\"]", "[]",
      "[{\"candidate\":1,\"score\":0.005,\"state\":\"empty\"},"
      "{\"candidate\":2,\"score\":0.03,\"state\":\"marginal\"}]", "0", "true")
    /* 3: blank */
    R("b1.tif#3", "KS-BLANK", "null", "blank", "[]", "[]", "[]", "0", "true")
    /* 4: all-lists ballot, AP ticked and H touched; decided AP */
    R("b1.tif#4", "KS-ALLE", "null", "review", "[\"multiple_lists\"]", "[]",
      "[{\"list\":\"AP\",\"score\":0.5,\"state\":\"marked\"},"
      "{\"list\":\"H\",\"score\":0.02,\"state\":\"marginal\"},"
      "{\"list\":\"SP\",\"score\":0.0,\"state\":\"empty\"}]", "0", "true")
    /* 5: SP with two write-ins; decided: AP 1 counts, a name that is no
     * candidate does not */
    R("b1.tif#5", "KS-SP", "\"SP\"", "review", "[\"writing_in_field\"]", "[]",
      "[{\"candidate\":1,\"score\":0.0,\"state\":\"empty\"},"
      "{\"candidate\":2,\"score\":0.0,\"state\":\"empty\"}]", "2", "true")
    /* 6: no stamp: rejected by kari, confirmed by ola */
    R("b1.tif#6", "KS-AP", "\"AP\"", "review", "[\"missing_stamp\"]", "[]", "[]", "0", "false")
    /* 7: no stamp: rejection proposed only */
    R("b1.tif#7", "KS-AP", "\"AP\"", "review", "[\"missing_stamp\"]", "[]", "[]", "0", "false")
    /* 8: marginal, decided and undone */
    R("b1.tif#8", "KS-H", "\"H\"", "review", "[\"marginal_mark\"]", "[]",
      "[{\"candidate\":1,\"score\":0.02,\"state\":\"marginal\"},"
      "{\"candidate\":2,\"score\":0.0,\"state\":\"empty\"}]", "0", "true");

static char dir[256], db_path[300];
static json_t *report;

#define REQUIRE(c)                                                              \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "fixture: %s failed: %s\n", #c, err_message());     \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static void make_store(void)
{
    snprintf(dir, sizeof dir, "/tmp/telle-cvr-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof db_path, "%s/c.db", dir);
    st_db *db = NULL;
    REQUIRE(st_db_open(&db, db_path, ST_OPEN_CREATE) == 0);
    REQUIRE(st_package_put(db, "system", PACKAGE, NULL) == 0);
    REQUIRE(st_operator_add(db, "system", "kari", ST_ROLE_OPERATOR, PW) == 0);
    REQUIRE(st_operator_add(db, "system", "ola", ST_ROLE_OPERATOR, PW) == 0);
    vq_batch_info info = {"0001-VO-01", "KS", "0001", "VO", NULL};
    REQUIRE(vq_batch_load(NULL, NULL, db, "kari", &info, RECORDS, "r.jsonl") == 0);
    int v2[] = {2};
    vq_decision d = VQ_DECISION_INIT;
    d.votes_from_record = false;
    d.votes = v2;
    d.n_votes = 1;
    d.remark = "a clear tick in box 2";
    REQUIRE(vq_item_decide(NULL, db, "kari", 2, &d) == 0);
    vq_decision a = VQ_DECISION_INIT;
    a.list = "AP";
    REQUIRE(vq_item_decide(NULL, db, "kari", 4, &a) == 0);
    vq_write_in wi[] = {{"AP", 1, "MAJA RØNNEBERG"}, {NULL, 0, "OLA NORDMANN"}};
    vq_decision w = VQ_DECISION_INIT;
    w.write_ins = wi;
    w.n_write_ins = 2;
    REQUIRE(vq_item_decide(NULL, db, "ola", 5, &w) == 0);
    vq_decision r = VQ_DECISION_INIT;
    r.action = VQ_REJECT;
    r.ground = 'a';
    REQUIRE(vq_item_decide(NULL, db, "kari", 6, &r) == 0);
    REQUIRE(vq_reject_confirm(NULL, db, "ola", 6) == 0);
    REQUIRE(vq_item_decide(NULL, db, "kari", 7, &r) == 0);
    vq_decision e = VQ_DECISION_INIT;
    REQUIRE(vq_item_decide(NULL, db, "kari", 8, &e) == 0);
    REQUIRE(vq_decision_undo(db, "ola", 8, "the mark is a smudge; look again") == 0);
    REQUIRE(au_cvr_report(&report, db, "2026-11-22T12:00:00Z") == 0);
    st_db_close(db);
}

static json_t *cvr_of(int k) { return json_array_get(json_object_get(report, "CVR"), (size_t)k - 1); }

static json_t *snapshot(json_t *cvr, const char *type)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(cvr, "CVRSnapshot"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "Type")), type) == 0)
            return s;
    return NULL;
}

static json_t *contest_in(json_t *snap, const char *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(snap, "CVRContest"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "ContestId")), id) == 0)
            return c;
    return NULL;
}

/* The first SelectionPosition of selection sel in contest cid. */
static json_t *pos_in(json_t *snap, const char *cid, const char *sel)
{
    json_t *c = contest_in(snap, cid);
    ck_assert_msg(c != NULL, "no contest %s", cid);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(c, "CVRContestSelection"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "ContestSelectionId")), sel) == 0)
            return json_array_get(json_object_get(s, "SelectionPosition"), 0);
    return NULL;
}

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const char *metric(json_t *pos)
{
    return json_string_value(json_array_get(json_object_get(pos, "MarkMetricValue"), 0));
}

/* Validates file with NIST's schema; returns the validator's exit status
 * and its output in msg. */
static int validate(const char *file, char *msg, size_t size)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    ck_assert_ptr_nonnull(src);
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import json, sys, jsonschema\n"
             "s = json.load(open(sys.argv[1]))\n"
             "d = json.load(open(sys.argv[2]))\n"
             "v = jsonschema.Draft4Validator(s, format_checker=jsonschema.draft4_format_checker)\n"
             "errs = list(v.iter_errors(d))\n"
             "for e in errs[:5]: print(list(e.path), e.message[:300])\n"
             "sys.exit(1 if errs else 0)' '%s/audit/schema/NIST_V0_cast_vote_records.json' "
             "'%s' 2>&1", py, src, file);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(msg, 1, size - 1, p);
    msg[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(the_report_validates_against_nists_schema)
{
    char file[400], msg[8192];
    snprintf(file, sizeof file, "%s/cvr.json", dir);
    ck_assert_int_eq(json_dump_file(report, file, JSON_INDENT(1)), 0);
    ck_assert_msg(validate(file, msg, sizeof msg) == 0, "%s", msg);
    /* The check can fail: an indication the schema does not know. */
    json_t *bad = json_deep_copy(report);
    json_t *pos = pos_in(snapshot(json_array_get(json_object_get(bad, "CVR"), 0), "original"),
                         "contest-KS-AP-personal", "sel-KS-AP-personal-1");
    json_object_set_new(pos, "HasIndication", json_string("maybe"));
    ck_assert_int_eq(json_dump_file(bad, file, JSON_INDENT(1)), 0);
    json_decref(bad);
    ck_assert_int_eq(validate(file, msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "maybe"));
}
END_TEST

START_TEST(one_cvr_per_sheet_with_its_place)
{
    ck_assert_str_eq(str(report, "@type"), "CVR.CastVoteRecordReport");
    ck_assert_str_eq(str(report, "Version"), "1.0.0");
    ck_assert_str_eq(str(report, "GeneratedDate"), "2026-11-22T12:00:00Z");
    json_t *cvrs = json_object_get(report, "CVR");
    ck_assert_int_eq(json_array_size(cvrs), 8);
    for (int k = 1; k <= 8; k++) {
        json_t *c = cvr_of(k);
        char audit[64];
        snprintf(audit, sizeof audit, "0001-VO-01/b1.tif#%d", k);
        ck_assert_str_eq(str(c, "BallotAuditId"), audit);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "BatchSequenceId")), k);
        ck_assert_str_eq(str(c, "BatchId"), "0001-VO-01");
        ck_assert_str_eq(str(c, "ElectionId"), "election-KS");
        ck_assert_str_eq(str(c, "BallotStyleUnitId"), "krets-0001");
        ck_assert_ptr_nonnull(snapshot(c, "original"));
        json_t *img = json_array_get(json_object_get(c, "BallotImage"), 0);
        ck_assert_str_eq(str(img, "Location"), "file:archive/0001-VO-01/b1.tif");
        ck_assert_str_eq(str(json_object_get(img, "Hash"), "Value"), "aa11");
    }
}
END_TEST

START_TEST(every_box_a_position_with_its_score)
{
    json_t *o = snapshot(cvr_of(1), "original");
    const char *cid = "contest-KS-AP-personal";
    json_t *p1 = pos_in(o, cid, "sel-KS-AP-personal-1");
    json_t *p2 = pos_in(o, cid, "sel-KS-AP-personal-2");
    json_t *p3 = pos_in(o, cid, "sel-KS-AP-personal-3");
    ck_assert_str_eq(str(p1, "HasIndication"), "yes");
    ck_assert_str_eq(str(p2, "HasIndication"), "no");
    ck_assert_str_eq(str(p3, "HasIndication"), "yes");
    ck_assert_str_eq(metric(p1), "0.9");
    ck_assert_str_eq(metric(p2), "0");
    ck_assert_str_eq(metric(p3), "0.4");
    ck_assert_int_eq(json_integer_value(json_object_get(p1, "NumberVotes")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(p2, "NumberVotes")), 0);
    ck_assert_str_eq(str(p1, "IsAllocable"), "yes");
    ck_assert_str_eq(str(p2, "IsAllocable"), "no");
    /* The printed list of a list ballot: generated, counted. */
    json_t *l = pos_in(o, "contest-KS-list", "sel-KS-list-AP");
    ck_assert(json_is_true(json_object_get(l, "IsGenerated")));
    ck_assert_str_eq(str(l, "IsAllocable"), "yes");
    ck_assert_str_eq(str(cvr_of(1), "CurrentSnapshotId"), str(o, "@id"));
    ck_assert_int_eq(json_array_size(json_object_get(cvr_of(1), "CVRSnapshot")), 1);
    /* A blank ballot: the list contest not indicated. */
    json_t *b = contest_in(snapshot(cvr_of(3), "original"), "contest-KS-list");
    ck_assert_int_eq(json_array_size(json_object_get(b, "CVRContestSelection")), 0);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(b, "Status"), 0)),
                     "not-indicated");
}
END_TEST

START_TEST(marginal_is_unknown_and_a_decision_is_modified)
{
    json_t *c = cvr_of(2);
    json_t *o = snapshot(c, "original");
    json_t *p = pos_in(o, "contest-KS-H-personal", "sel-KS-H-personal-2");
    ck_assert_str_eq(str(p, "HasIndication"), "unknown");
    ck_assert_str_eq(str(p, "IsAllocable"), "unknown");
    ck_assert_str_eq(metric(p), "0.03");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "Status"), 0)),
                     "needs-adjudication");
    ck_assert_ptr_nonnull(strstr(str(o, "OtherStatus"), "marginal_mark"));
    json_t *m = snapshot(c, "modified");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(str(c, "CurrentSnapshotId"), str(m, "@id"));
    json_t *q = pos_in(m, "contest-KS-H-personal", "sel-KS-H-personal-2");
    ck_assert_str_eq(str(q, "HasIndication"), "yes");
    ck_assert_int_eq(json_integer_value(json_object_get(q, "NumberVotes")), 1);
    ck_assert_str_eq(str(q, "IsAllocable"), "yes");
    ck_assert_str_eq(metric(q), "0.03");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(q, "Status"), 0)),
                     "adjudicated");
    json_t *q1 = pos_in(m, "contest-KS-H-personal", "sel-KS-H-personal-1");
    ck_assert_str_eq(str(q1, "HasIndication"), "no");
    ck_assert_ptr_null(json_object_get(q1, "Status")); /* unchanged by the person */
    json_t *ann = json_array_get(json_object_get(m, "Annotation"), 0);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ann, "AdjudicatorName"), 0)),
                     "kari");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ann, "Message"), 1)),
                     "a clear tick in box 2");
    ck_assert_ptr_nonnull(str(ann, "TimeStamp"));

    /* The all-lists ballot: every list box with its score; decided AP. */
    json_t *c4 = cvr_of(4);
    json_t *o4 = snapshot(c4, "original");
    ck_assert_str_eq(str(pos_in(o4, "contest-KS-list", "sel-KS-list-H"), "HasIndication"),
                     "unknown");
    ck_assert_str_eq(metric(pos_in(o4, "contest-KS-list", "sel-KS-list-AP")), "0.5");
    json_t *m4 = snapshot(c4, "modified");
    ck_assert_str_eq(str(pos_in(m4, "contest-KS-list", "sel-KS-list-AP"), "HasIndication"),
                     "yes");
    ck_assert_str_eq(str(pos_in(m4, "contest-KS-list", "sel-KS-list-H"), "HasIndication"), "no");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c4, "PartyIds"), 0)),
                     "party-KS-AP");

    /* Undone: back to the machine's snapshot alone; proposed rejection
     * not confirmed: likewise. */
    for (int k = 7; k <= 8; k++) {
        ck_assert_int_eq(json_array_size(json_object_get(cvr_of(k), "CVRSnapshot")), 1);
        ck_assert_ptr_null(snapshot(cvr_of(k), "modified"));
    }
}
END_TEST

START_TEST(write_ins_and_rejections)
{
    json_t *c = cvr_of(5);
    json_t *wc = contest_in(snapshot(c, "original"), "contest-KS-writein");
    ck_assert_int_eq(json_integer_value(json_object_get(wc, "WriteIns")), 2);
    json_t *m = snapshot(c, "modified");
    json_t *yes = pos_in(m, "contest-KS-writein", "sel-KS-writein-AP-1");
    ck_assert_int_eq(json_integer_value(json_object_get(yes, "NumberVotes")), 1);
    ck_assert_str_eq(str(yes, "IsAllocable"), "yes");
    ck_assert_str_eq(str(json_object_get(yes, "CVRWriteIn"), "Text"), "MAJA RØNNEBERG");
    json_t *no = pos_in(m, "contest-KS-writein", "sel-KS-writein-none");
    ck_assert_int_eq(json_integer_value(json_object_get(no, "NumberVotes")), 0);
    ck_assert_str_eq(str(no, "IsAllocable"), "no");
    ck_assert_str_eq(str(json_object_get(no, "CVRWriteIn"), "Text"), "OLA NORDMANN");
    ck_assert_ptr_nonnull(str(no, "OtherStatus"));

    json_t *r = snapshot(cvr_of(6), "modified");
    json_t *lc = contest_in(r, "contest-KS-list");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(lc, "Status"), 0)),
                     "invalidated-rules");
    json_t *names = json_object_get(json_array_get(json_object_get(r, "Annotation"), 0),
                                    "AdjudicatorName");
    ck_assert_str_eq(json_string_value(json_array_get(names, 0)), "kari");
    ck_assert_str_eq(json_string_value(json_array_get(names, 1)), "ola");
    ck_assert_ptr_nonnull(strstr(str(r, "OtherStatus"), "rejected"));
}
END_TEST

/* Adds every "@id" under j to ids; fails on a duplicate. */
static void collect_ids(json_t *j, json_t *ids)
{
    if (json_is_object(j)) {
        const char *id = str(j, "@id");
        if (id) {
            ck_assert_msg(json_object_get(ids, id) == NULL, "@id %s twice", id);
            json_object_set_new(ids, id, json_string(str(j, "@type")));
        }
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
            collect_ids(v, ids);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
            collect_ids(v, ids);
    }
}

static void expect_ref(json_t *ids, const char *ref, const char *type)
{
    ck_assert_msg(ref != NULL, "a reference is missing");
    const char *t = str(ids, ref);
    ck_assert_msg(t != NULL, "%s refers to nothing", ref);
    ck_assert_msg(strstr(t, type) != NULL, "%s is a %s, not a %s", ref, t, type);
}

START_TEST(every_reference_is_defined)
{
    json_t *ids = json_object();
    collect_ids(report, ids);
    expect_ref(ids, json_string_value(json_array_get(json_object_get(report,
                                                                     "ReportGeneratingDeviceIds"),
                                                     0)), "CVR.ReportingDevice");
    size_t i, j, k, l;
    json_t *e, *c, *s, *ct, *sel;
    json_array_foreach(json_object_get(report, "Election"), i, e) {
        expect_ref(ids, str(e, "ElectionScopeId"), "CVR.GpUnit");
        json_array_foreach(json_object_get(e, "Candidate"), j, c)
            expect_ref(ids, str(c, "PartyId"), "CVR.Party");
    }
    json_array_foreach(json_object_get(report, "CVR"), i, c) {
        expect_ref(ids, str(c, "ElectionId"), "CVR.Election");
        expect_ref(ids, str(c, "BallotStyleUnitId"), "CVR.GpUnit");
        expect_ref(ids, str(c, "CurrentSnapshotId"), "CVR.CVRSnapshot");
        expect_ref(ids, str(c, "CreatingDeviceId"), "CVR.ReportingDevice");
        json_array_foreach(json_object_get(c, "PartyIds"), j, s)
            expect_ref(ids, json_string_value(s), "CVR.Party");
        json_array_foreach(json_object_get(c, "CVRSnapshot"), j, s)
            json_array_foreach(json_object_get(s, "CVRContest"), k, ct) {
                expect_ref(ids, str(ct, "ContestId"), "Contest");
                json_array_foreach(json_object_get(ct, "CVRContestSelection"), l, sel)
                    expect_ref(ids, str(sel, "ContestSelectionId"), "Selection");
            }
    }
    json_decref(ids);
}
END_TEST

START_TEST(telle_audit_cvr)
{
    const char *bin = getenv("TELLE_BIN");
    ck_assert_ptr_nonnull(bin);
    char cmd[1024], file[400];
    snprintf(file, sizeof file, "%s/cli.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' audit cvr --db '%s' --out '%s'", bin, db_path, file);
    ck_assert_int_eq(system(cmd), 0);
    json_error_t je;
    json_t *r = json_load_file(file, 0, &je);
    ck_assert_msg(r != NULL, "%s", je.text);
    ck_assert_int_eq(json_array_size(json_object_get(r, "CVR")), 8);
    /* Only the date differs from the library's report. */
    json_object_set(r, "GeneratedDate", json_object_get(report, "GeneratedDate"));
    ck_assert(json_equal(r, report));
    json_decref(r);
    snprintf(cmd, sizeof cmd, "'%s' audit cvr --db '%s/none.db' 2>/dev/null", bin, dir);
    ck_assert_int_ne(system(cmd), 0);
}
END_TEST

int main(void)
{
    make_store();
    Suite *s = suite_create("audit_cvr");
    TCase *tc = tcase_create("cvr");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_report_validates_against_nists_schema);
    tcase_add_test(tc, one_cvr_per_sheet_with_its_place);
    tcase_add_test(tc, every_box_a_position_with_its_score);
    tcase_add_test(tc, marginal_is_unknown_and_a_decision_is_modified);
    tcase_add_test(tc, write_ins_and_rejections);
    tcase_add_test(tc, every_reference_is_defined);
    tcase_add_test(tc, telle_audit_cvr);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_decref(report);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        failed++;
    return failed == 0 ? 0 : 1;
}
