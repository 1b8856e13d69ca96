/* test_spotcheck.c - spot checks on a real store (SQLite file): the draw is
 * the documented splitmix64 + Fisher-Yates over the committed batches (an
 * independent implementation here agrees), the same seed gives the same
 * boxes and other seeds others, open batches are never drawn; a hand count
 * is compared with the machine's count of the same first sheets, decisions
 * included, with and without differences and explanations; too few
 * ballots are refused unless they are the whole box; the events and
 * `telle spotcheck` on the command line. */
#include "audit/spotcheck.h"
#include "core/error.h"
#include "store/store.h"
#include "verify/decision.h"
#include "verify/queue.h"

#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PW "korrekt hest"
#define BIG "0001-VO-01"
enum { BIG_SHEETS = 80, SMALL = 12, SMALL_SHEETS = 3 };

static const char PACKAGE[] =
    "{\"format\":\"telle-election/1\",\"event\":\"Test\","
    "\"area\":{\"code\":\"0099\",\"name\":\"Fjordvik\"},"
    "\"elections\":[{\"id\":\"KS\",\"type\":\"kommunestyrevalg\","
    "\"name\":\"Kommunestyrevalget\",\"seats\":27,\"max_write_ins\":2,"
    "\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeiderpartiet\",\"candidates\":[{\"no\":1,\"name\":\"A\"}]},"
    "{\"code\":\"H\",\"name\":\"H\\u00f8yre\",\"candidates\":[{\"no\":1,\"name\":\"B\"}]},"
    "{\"code\":\"SP\",\"name\":\"Senterpartiet\",\"candidates\":[{\"no\":1,\"name\":\"C\"}]}]},"
    "{\"id\":\"FT\",\"type\":\"fylkestingsvalg\",\"name\":\"Fylkestingsvalget\",\"seats\":35,"
    "\"max_write_ins\":0,\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeiderpartiet\",\"candidates\":[{\"no\":1,\"name\":\"D\"}]}]}],"
    "\"styles\":[]}";

static const char *const LISTS[] = {"AP", "H", "SP"};

static char template_path[300], copy_dir[300], copy_path[400];

/* The machine's reading of sheet i (from 1) of the big batch: the first
 * three go to review; every tenth is blank; the others rotate the lists. */
static const char *big_list(int i) { return LISTS[i % 3]; }
static bool big_blank(int i) { return i > 3 && i % 10 == 0; }

static char *records(const char *batch, int n, bool big)
{
    size_t cap = (size_t)n * 400 + 1;
    char *s = malloc(cap), *p = s;
    for (int i = 1; i <= n; i++) {
        bool review = big && i <= 3;
        bool blank = big && big_blank(i);
        const char *list = big ? big_list(i) : LISTS[i % 3];
        char lq[8];
        snprintf(lq, sizeof lq, "\"%s\"", list);
        p += snprintf(p, cap - (size_t)(p - s),
                      "{\"sheet\":\"%s.tif#%d\",\"pages\":[],\"election\":\"KS\","
                      "\"style\":\"%s\",\"list\":%s,\"outcome\":\"%s\",\"reasons\":%s,"
                      "\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,"
                      "\"outside_field\":0},\"writing\":[],\"stamp\":%s}\n",
                      batch, i, blank ? "KS-BLANK" : "KS-X", blank ? "null" : lq,
                      review ? "review" : blank ? "blank" : "approved",
                      review ? "[\"missing_stamp\"]" : "[]", review ? "false" : "true");
    }
    return s;
}

#define REQUIRE(c)                                                              \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "template: %s failed: %s\n", #c, err_message());    \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static void load(st_db *db, const char *batch, const char *krets, int n, bool big)
{
    vq_batch_info info = {batch, "KS", krets, "VO", NULL};
    char *text = records(batch, n, big);
    REQUIRE(vq_batch_load(NULL, NULL, db, "kari", &info, text, batch) == 0);
    free(text);
}

static void make_template(void)
{
    char dir[] = "/tmp/telle-spot-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(template_path, sizeof template_path, "%s/t.db", dir);
    st_db *db = NULL;
    REQUIRE(st_db_open(&db, template_path, ST_OPEN_CREATE) == 0);
    REQUIRE(st_package_put(db, "system", PACKAGE, NULL) == 0);
    REQUIRE(st_operator_add(db, "system", "kari", ST_ROLE_OPERATOR, PW) == 0);
    REQUIRE(st_operator_add(db, "system", "ola", ST_ROLE_OPERATOR, PW) == 0);
    REQUIRE(st_operator_add(db, "system", "revisor", ST_ROLE_AUDITOR, PW) == 0);
    load(db, BIG, "0001", BIG_SHEETS, true);
    /* Sheet 1 (read H): a person says SP; 2: blank; 3: rejected (a). */
    vq_decision d = VQ_DECISION_INIT;
    d.list = "SP";
    REQUIRE(vq_item_decide(NULL, db, "kari", 1, &d) == 0);
    vq_decision b = VQ_DECISION_INIT;
    b.action = VQ_BLANK;
    REQUIRE(vq_item_decide(NULL, db, "kari", 2, &b) == 0);
    vq_decision r = VQ_DECISION_INIT;
    r.action = VQ_REJECT;
    r.ground = 'a';
    REQUIRE(vq_item_decide(NULL, db, "kari", 3, &r) == 0);
    REQUIRE(vq_reject_confirm(NULL, db, "ola", 3) == 0);
    REQUIRE(vq_batch_commit(NULL, db, "ola", BIG) == 0);
    for (int k = 1; k <= SMALL; k++) {
        char id[32];
        snprintf(id, sizeof id, "0002-VO-%02d", k);
        load(db, id, "0002", SMALL_SHEETS, false);
        REQUIRE(vq_batch_commit(NULL, db, "ola", id) == 0);
    }
    load(db, "0003-VO-01", "0003", SMALL_SHEETS, false); /* left open */
    st_db_close(db);
}

static st_db *open_copy(void)
{
    char cmd[1000];
    snprintf(copy_dir, sizeof copy_dir, "/tmp/telle-spotc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(copy_dir));
    snprintf(copy_path, sizeof copy_path, "%s/c.db", copy_dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", template_path, copy_path);
    ck_assert_int_eq(system(cmd), 0);
    st_db *db = NULL;
    ck_assert_msg(st_db_open(&db, copy_path, 0) == 0, "%s", err_message());
    return db;
}

static void remove_copy(st_db *db)
{
    char cmd[400];
    st_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The draw as AU_SPOTCHECK_METHOD describes it, written again from the
 * words: splitmix64, rejection sampling, Fisher-Yates from the top. */
static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n; /* accept x <= limit */
    for (;;) {
        uint64_t x = sm64(s);
        if (x <= limit)
            return x % n;
    }
}

static const char *candidate(int i)
{
    static char buf[32];
    if (i == 0)
        return BIG;
    snprintf(buf, sizeof buf, "0002-VO-%02d", i);
    return buf;
}

START_TEST(seed_texts_map_as_documented)
{
    uint64_t s;
    ck_assert_int_eq(au_seed_state(&s, "12345"), 0);
    ck_assert_uint_eq(s, 12345);
    ck_assert_int_eq(au_seed_state(&s, "18446744073709551615"), 0);
    ck_assert_uint_eq(s, UINT64_MAX);
    /* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223... (FIPS 180-2). */
    ck_assert_int_eq(au_seed_state(&s, "abc"), 0);
    ck_assert_uint_eq(s, 0xba7816bf8f01cfeaULL);
    /* One more than fits: hashed like any text, so not 0 or a wrap. */
    ck_assert_int_eq(au_seed_state(&s, "18446744073709551616"), 0);
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)"18446744073709551616", 20);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = (want << 8) | h[i];
    ck_assert_uint_eq(s, want);
    ck_assert_int_eq(au_seed_state(&s, ""), TELLE_EINVAL);
}
END_TEST

START_TEST(the_draw_is_the_documented_one_and_repeats)
{
    st_db *db = open_copy();
    json_t *a = NULL, *b = NULL, *c = NULL;
    int64_t seq = 0;
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "20230911", 4, NULL), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "candidates")), 1 + SMALL);
    /* The independent implementation over the committed batches in
     * creation order. */
    size_t order[1 + SMALL];
    for (size_t i = 0; i < 1 + SMALL; i++)
        order[i] = i;
    uint64_t st = 20230911;
    for (size_t i = 1 + SMALL; i > 1; i--) {
        size_t j = (size_t)below(&st, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    json_t *got = json_object_get(a, "batches");
    ck_assert_int_eq(json_array_size(got), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(json_string_value(json_array_get(got, i)), candidate((int)order[i]));

    /* The same seed again, now logged by an auditor: the same boxes. */
    ck_assert_int_eq(au_spotcheck_draw(&b, &seq, db, "revisor", "20230911", 4, NULL), 0);
    ck_assert_int_gt(seq, 0);
    ck_assert(json_equal(json_object_get(a, "batches"), json_object_get(b, "batches")));
    st_event *ev = NULL;
    ck_assert_int_eq(st_event_get(&ev, db, seq), 0);
    ck_assert_str_eq(ev->kind, "spotcheck_draw");
    ck_assert_str_eq(ev->subject, "spotcheck");
    ck_assert_str_eq(ev->actor, "revisor");
    json_t *p = json_loads(ev->payload, 0, NULL);
    ck_assert(json_equal(p, b));
    ck_assert_str_eq(json_string_value(json_object_get(p, "seed")), "20230911");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "method")), "splitmix64"));
    json_decref(p);
    st_event_free(ev);

    /* Other seeds give other boxes. */
    const char *seeds[] = {"1", "2", "terningkast 6-3-1-4", "20230912"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(au_spotcheck_draw(&c, NULL, db, NULL, seeds[i], 4, NULL), 0);
        ck_assert_msg(!json_equal(json_object_get(a, "batches"), json_object_get(c, "batches")),
                      "seed %s drew the same boxes", seeds[i]);
        json_decref(c);
        c = NULL;
    }
    json_decref(a);
    json_decref(b);
    remove_copy(db);
}
END_TEST

START_TEST(open_batches_are_never_drawn)
{
    st_db *db = open_copy();
    json_t *a = NULL;
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "7", 1 + SMALL, "KS"), 0);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(a, "batches"), i, v)
        ck_assert_str_ne(json_string_value(v), "0003-VO-01");
    json_decref(a);
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "7", 2 + SMALL, NULL), TELLE_ESTATE);
    ck_assert_ptr_nonnull(strstr(err_message(), "only 13 batches"));
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "7", 1, "FT"), TELLE_ESTATE);
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "7", 1, "XX"), TELLE_EINVAL);
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, NULL, "7", 0, NULL), TELLE_EINVAL);
    ck_assert_int_eq(au_spotcheck_draw(&a, NULL, db, "nobody", "7", 1, NULL), TELLE_EINVAL);
    remove_copy(db);
}
END_TEST

/* The machine count of the big batch's first n sheets, from the pattern. */
static void expected(int n, int lists[3], int *blank, int *rejected)
{
    lists[0] = lists[1] = lists[2] = 0;
    *blank = 0;
    *rejected = 1;  /* sheet 3 */
    *blank += 1;    /* sheet 2 */
    lists[2] += 1;  /* sheet 1: decided SP */
    for (int i = 4; i <= n; i++) {
        if (big_blank(i))
            (*blank)++;
        else
            lists[i % 3]++;
    }
}

START_TEST(a_hand_count_against_the_same_ballots)
{
    st_db *db = open_copy();
    json_t *m = NULL, *p = NULL;
    int want[3], blank, rejected;
    expected(70, want, &blank, &rejected);
    ck_assert_int_eq(au_spotcheck_machine(&m, db, BIG, 70), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "lists"),
                                                            LISTS[i])), want[i]);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "blank")), blank);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "rejected")), rejected);
    ck_assert_str_eq(json_string_value(json_object_get(m, "first_sheet")), BIG ".tif#1");
    ck_assert_str_eq(json_string_value(json_object_get(m, "last_sheet")), BIG ".tif#70");
    json_decref(m);

    /* Agreeing hand count: no differences. */
    au_hand_count hc = {BIG, LISTS, want, 3, blank, rejected, -1, NULL};
    int64_t seq = 0;
    ck_assert_msg(au_spotcheck_record(&p, &seq, db, "revisor", &hc) == 0, "%s", err_message());
    ck_assert_int_eq(json_integer_value(json_object_get(p, "ballots_checked")), 70);
    ck_assert_int_eq(json_array_size(json_object_get(p, "differences")), 0);
    ck_assert(json_is_null(json_object_get(p, "explanation")));
    ck_assert_str_eq(json_string_value(json_object_get(p, "krets")), "0001");
    ck_assert_str_eq(json_string_value(json_object_get(p, "category")), "VO");
    ck_assert_str_eq(json_string_value(json_object_get(p, "election")), "KS");
    ck_assert(json_equal(json_object_get(p, "hand"), json_object_get(p, "machine")));
    st_event *ev = NULL;
    ck_assert_int_eq(st_event_get(&ev, db, seq), 0);
    ck_assert_str_eq(ev->kind, "spotcheck_record");
    ck_assert_str_eq(ev->subject, BIG);
    json_t *stored = json_loads(ev->payload, 0, NULL);
    ck_assert(json_equal(stored, p));
    json_decref(stored);
    st_event_free(ev);
    json_decref(p);

    /* One AP ballot counted as SP by hand, 75 ballots, explained. */
    expected(75, want, &blank, &rejected);
    int hand[3] = {want[0] - 1, want[1], want[2] + 1};
    au_hand_count d = {BIG, LISTS, hand, 3, blank, rejected, 75,
                       "one AP ballot was in the SP pile; recounted"};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &d), 0);
    json_t *diffs = json_object_get(p, "differences");
    ck_assert_int_eq(json_array_size(diffs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 0), "what")), "AP");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(diffs, 0), "hand")),
                     want[0] - 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(diffs, 0), "machine")),
                     want[0]);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 1), "what")), "SP");
    ck_assert_str_eq(json_string_value(json_object_get(p, "explanation")),
                     "one AP ballot was in the SP pile; recounted");
    json_decref(p);

    /* The whole box, a blank too many and no explanation: recorded, with
     * the difference and a null explanation. */
    expected(BIG_SHEETS, want, &blank, &rejected);
    au_hand_count u = {BIG, LISTS, want, 3, blank + 1, rejected - 1, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "ola", &u), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "ballots_checked")), BIG_SHEETS);
    diffs = json_object_get(p, "differences");
    ck_assert_int_eq(json_array_size(diffs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 0), "what")),
                     "blank");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 1), "what")),
                     "rejected");
    ck_assert(json_is_null(json_object_get(p, "explanation")));
    json_decref(p);

    json_t *log = NULL;
    ck_assert_int_eq(au_spotcheck_log(&log, db), 0);
    ck_assert_int_eq(json_array_size(log), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(log, 2), "actor")), "ola");
    json_decref(log);
    remove_copy(db);
}
END_TEST

START_TEST(too_few_ballots_and_other_refusals)
{
    st_db *db = open_copy();
    json_t *p = NULL;
    int want[3], blank, rejected;
    expected(69, want, &blank, &rejected);
    au_hand_count few = {BIG, LISTS, want, 3, blank, rejected, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &few), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "at least 70"));
    /* A box of 3 is counted whole: 3 is enough, 2 is not. */
    int small[3] = {1, 1, 1};
    au_hand_count whole = {"0002-VO-01", LISTS, small, 3, 0, 0, -1, NULL};
    ck_assert_msg(au_spotcheck_record(&p, NULL, db, "kari", &whole) == 0, "%s", err_message());
    ck_assert_int_eq(json_array_size(json_object_get(p, "differences")), 0);
    json_decref(p);
    int two[3] = {1, 1, 0};
    au_hand_count part = {"0002-VO-01", LISTS, two, 3, 0, 0, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &part), TELLE_EINVAL);
    /* More than the box holds; a sum that does not add up; an unknown
     * list; an open batch; an unknown batch; not an operator. */
    expected(BIG_SHEETS, want, &blank, &rejected);
    au_hand_count more = {BIG, LISTS, want, 3, blank + 1, rejected, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &more), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "holds 80"));
    au_hand_count sum = {BIG, LISTS, want, 3, blank, rejected, 79, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &sum), TELLE_EINVAL);
    const char *frp[] = {"FRP"};
    int one[] = {70};
    au_hand_count bad = {BIG, frp, one, 1, 0, 0, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &bad), TELLE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err_message(), "FRP"));
    au_hand_count open = {"0003-VO-01", LISTS, small, 3, 0, 0, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &open), TELLE_ESTATE);
    au_hand_count none = {"9999-VO-01", LISTS, small, 3, 0, 0, -1, NULL};
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "kari", &none), TELLE_EINVAL);
    ck_assert_int_eq(au_spotcheck_record(&p, NULL, db, "nobody", &whole), TELLE_EINVAL);
    /* Nothing of that was logged but the one good count. */
    json_t *log = NULL;
    ck_assert_int_eq(au_spotcheck_log(&log, db), 0);
    ck_assert_int_eq(json_array_size(log), 1);
    json_decref(log);
    remove_copy(db);
}
END_TEST

static char out[65536];

static int telle(const char *pw, const char *args)
{
    char cmd[4096];
    const char *bin = getenv("TELLE_BIN");
    ck_assert_ptr_nonnull(bin);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s%s%s '%s' %s 2>&1 </dev/null", copy_dir,
             pw ? "TELLE_PASSWORD='" : "env -u TELLE_PASSWORD", pw ? pw : "", pw ? "'" : "",
             bin, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(the_command_line)
{
    st_db *db = open_copy();
    st_db_close(db);
    ck_assert_int_eq(telle(PW, "spotcheck draw --db c.db --boxes 3"), 2);
    ck_assert_int_eq(telle("wrong password", "spotcheck draw --db c.db --as revisor "
                                             "--boxes 3 --seed 42"), 1);
    ck_assert_msg(telle(PW, "spotcheck draw --db c.db --as revisor --boxes 3 --seed 42") == 0,
                  "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "splitmix64"));
    static char first[sizeof out];
    memcpy(first, out, sizeof out);
    ck_assert_int_eq(telle(PW, "spotcheck draw --db c.db --as kari --boxes 3 --seed 42"), 0);
    /* The same boxes, in the same order (the lines up to the method). */
    ck_assert_int_eq(strncmp(first, out, (size_t)(strstr(first, "method") - first)), 0);

    int want[3], blank, rejected;
    expected(70, want, &blank, &rejected);
    char args[512];
    snprintf(args, sizeof args, "spotcheck record --db c.db --as revisor --batch " BIG
             " --list AP=%d --list H=%d --list SP=%d --blank %d --rejected %d",
             want[0] - 1, want[1], want[2] + 1, blank, rejected);
    ck_assert_msg(telle(PW, args) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "UNEXPLAINED"));
    ck_assert_ptr_nonnull(strstr(out, "difference SP"));
    snprintf(args, sizeof args, "spotcheck record --db c.db --as revisor --batch " BIG
             " --list AP=%d --list H=%d --list SP=%d --blank %d --rejected %d "
             "--explain 'counted twice'", want[0] - 1, want[1], want[2] + 1, blank, rejected);
    ck_assert_int_eq(telle(PW, args), 0);
    ck_assert_ptr_nonnull(strstr(out, "explanation: counted twice"));
    ck_assert_int_eq(telle(PW, "spotcheck record --db c.db --as revisor --batch " BIG
                               " --list AP=10 --blank 0 --rejected 0"), 1);
    ck_assert_ptr_nonnull(strstr(out, "at least 70"));
    ck_assert_int_eq(telle(PW, "spotcheck record --db c.db --as revisor --batch " BIG
                               " --list AP --blank 0 --rejected 0"), 2);
    ck_assert_int_eq(telle(NULL, "spotcheck show --db c.db"), 0);
    ck_assert_ptr_nonnull(strstr(out, "by revisor: draw"));
    ck_assert_ptr_nonnull(strstr(out, "hand count"));
    ck_assert_ptr_nonnull(strstr(out, "1 hand count with unexplained differences"));
    ck_assert_int_eq(telle(NULL, "spotcheck show --db c.db --json"), 0);
    json_t *log = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_int_eq(json_array_size(log), 4);
    json_decref(log);
    /* The counts document takes the hand counts for the protocol. */
    ck_assert_msg(telle(NULL, "count --db c.db --json") == 0, "%s", out);
    json_t *doc = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    json_t *spot = json_object_get(json_array_get(json_object_get(doc, "elections"), 0),
                                   "spotchecks");
    ck_assert_int_eq(json_array_size(spot), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(spot, 1), "explanation")),
                     "counted twice");
    json_decref(doc);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy_dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    make_template();
    Suite *s = suite_create("audit_spotcheck");
    TCase *tc = tcase_create("spotcheck");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seed_texts_map_as_documented);
    tcase_add_test(tc, the_draw_is_the_documented_one_and_repeats);
    tcase_add_test(tc, open_batches_are_never_drawn);
    tcase_add_test(tc, a_hand_count_against_the_same_ballots);
    tcase_add_test(tc, too_few_ballots_and_other_refusals);
    tcase_add_test(tc, the_command_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf \"$(dirname '%s')\"", template_path);
    if (system(cmd) != 0)
        failed++;
    return failed == 0 ? 0 : 1;
}
