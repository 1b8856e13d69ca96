/* test_audit_export.c - `telle audit export` end to end, as a user runs it
 * (TELLE_BIN): a count of a sample batch made with the real commands (init,
 * users, interpret, review load, decisions, commit), exported; every file
 * is there, the manifest's hashes and the chain head are right, the
 * archive holds exactly the files the pages name, a used folder is
 * refused, and `telle replay` of the export agrees (and names an image
 * changed after the export). */
#include "core/hash.h"
#include "store/store.h"

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static char out[1 << 17];

#define PW "korrekt hest"

/* Runs `telle ARGS` in dir with the password set; returns the exit status,
 * output (stdout and stderr) in out. */
static int telle(const char *args)
{
    char cmd[4096];
    const char *bin = getenv("TELLE_BIN");
    ck_assert_ptr_nonnull(bin);
    snprintf(cmd, sizeof cmd, "cd '%s' && TELLE_PASSWORD='" PW "' '%s' %s 2>&1 </dev/null",
             dir, bin, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int sh(const char *fmt, const char *a)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a);
    return system(cmd);
}

static json_t *load_json(const char *rel)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    return j;
}

static bool exists(const char *rel)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return stat(path, &st) == 0;
}

/* Decides every open item of the batch from `review list`: a ballot of the
 * other election is rejected (d) by kari and confirmed by ola, a written
 * list is called blank, everything else confirmed as the machine read it. */
static void decide_all(const char *batch)
{
    char args[512];
    snprintf(args, sizeof args, "review list --db c.db --batch %s", batch);
    ck_assert_int_eq(telle(args), 0);
    char *list = strdup(out);
    int decided = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        long item;
        char sheet[256], state[32], reasons[256] = "";
        if (sscanf(line, "%ld %255s %31s %255s", &item, sheet, state, reasons) < 3 ||
            strcmp(state, "open") != 0)
            continue;
        if (strstr(reasons, "wrong_election")) {
            snprintf(args, sizeof args, "review decide %ld --db c.db --as kari --reject d", item);
            ck_assert_msg(telle(args) == 0, "%s", out);
            snprintf(args, sizeof args, "review decide %ld --db c.db --as ola --confirm-reject",
                     item);
        } else if (strstr(reasons, "list_written")) {
            snprintf(args, sizeof args, "review decide %ld --db c.db --as kari --blank", item);
        } else {
            snprintf(args, sizeof args, "review decide %ld --db c.db --as kari --confirm", item);
        }
        ck_assert_msg(telle(args) == 0, "%s: %s", args, out);
        decided++;
    }
    free(list);
    ck_assert_int_gt(decided, 0);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/telle-auditx-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    ck_assert_int_eq(sh("rm -rf '%s'", dir), 0);
}

START_TEST(export_of_a_count_replays_elsewhere)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    ck_assert_ptr_nonnull(src);
    char args[2048];
    /* The count: the sample package, two operators, one sample batch read
     * by recognition, decided and committed. */
    snprintf(args, sizeof args, "init --package '%s/samples/package' --db c.db", src);
    ck_assert_msg(telle(args) == 0, "%s", out);
    ck_assert_int_eq(telle("user add kari --role operator --db c.db"), 0);
    ck_assert_int_eq(telle("user add ola --role operator --db c.db"), 0);
    snprintf(args, sizeof args, "mkdir -p '%s/scans' && cp '%s/samples/batches/0001-VO-01.tif' "
             "'%s/scans/'", dir, src, dir);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "interpret --package '%s/samples/package' --duplex "
             "--out r.jsonl scans/0001-VO-01.tif", src);
    ck_assert_msg(telle(args) == 0, "%s", out);
    ck_assert_msg(telle("review load --db c.db --archive . r.jsonl") == 0, "%s", out);
    decide_all("0001-VO-01");
    ck_assert_msg(telle("review commit 0001-VO-01 --db c.db --as ola") == 0, "%s", out);

    /* The export. */
    ck_assert_msg(telle("audit export --db c.db --out exp") == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "1 batches, 16 sheets, 32 pages in 1 image files"));
    const char *files[] = {"telle.db", "package/election.json", "records.jsonl",
                           "decisions.jsonl", "counts.json", "cvr.json", "README.txt",
                           "manifest.json", "archive/0001-VO-01/0001-VO-01.tif"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "exp/%s", files[i]);
        ck_assert_msg(exists(rel), "%s missing", rel);
    }
    ck_assert(!exists("exp/telle.db-wal"));
    ck_assert(exists("exp/package/styles/KS-AP/inside.png"));

    /* Every file in the manifest with its right hash and size, and every
     * file of the folder in the manifest (but the manifest itself). */
    json_t *m = load_json("exp/manifest.json");
    json_t *fl = json_object_get(m, "files");
    size_t i;
    json_t *f;
    json_array_foreach(fl, i, f) {
        char path[512], hex[HASH_HEX_LEN + 1];
        struct stat st;
        snprintf(path, sizeof path, "%s/exp/%s", dir,
                 json_string_value(json_object_get(f, "path")));
        ck_assert_int_eq(hash_sha256_file(hex, path), 0);
        ck_assert_str_eq(hex, json_string_value(json_object_get(f, "sha256")));
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_size, json_integer_value(json_object_get(f, "bytes")));
    }
    snprintf(args, sizeof args, "cd '%s/exp' && find . -type f ! -name manifest.json | wc -l",
             dir);
    FILE *p = popen(args, "r");
    int n_files = 0;
    ck_assert_int_eq(fscanf(p, "%d", &n_files), 1);
    pclose(p);
    ck_assert_int_eq(n_files, (int)json_array_size(fl));
    ck_assert_int_eq(json_array_size(json_object_get(m, "missing_images")), 0);

    /* The chain head is the original store's. */
    char db_path[400];
    snprintf(db_path, sizeof db_path, "%s/c.db", dir);
    st_db *db = NULL;
    st_chain_report chain;
    ck_assert_int_eq(st_db_open(&db, db_path, ST_OPEN_READONLY), 0);
    ck_assert_int_eq(st_chain_verify(&chain, db), 0);
    char *pkg_sha = NULL;
    ck_assert_int_eq(st_package_get(NULL, &pkg_sha, db), 0);
    st_db_close(db);
    json_t *mc = json_object_get(m, "chain");
    ck_assert_str_eq(json_string_value(json_object_get(mc, "head_hash")), chain.head_hash);
    ck_assert(json_is_true(json_object_get(mc, "ok")));
    ck_assert_int_eq(json_integer_value(json_object_get(mc, "entries")), chain.entries);
    ck_assert_str_eq(json_string_value(json_object_get(m, "package_sha256")), pkg_sha);
    char hex[HASH_HEX_LEN + 1];
    snprintf(args, sizeof args, "%s/exp/package/election.json", dir);
    ck_assert_int_eq(hash_sha256_file(hex, args), 0);
    ck_assert_str_eq(hex, pkg_sha);
    free(pkg_sha);
    json_decref(m);

    /* records.jsonl: one line per sheet, each naming its stored hash;
     * decisions.jsonl: every decision with its operator. */
    snprintf(args, sizeof args, "%s/exp/records.jsonl", dir);
    FILE *rf = fopen(args, "r");
    ck_assert_ptr_nonnull(rf);
    char line[65536];
    int n_rec = 0;
    while (fgets(line, sizeof line, rf)) {
        json_t *r = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(json_string_value(json_object_get(r, "batch")), "0001-VO-01");
        ck_assert_int_eq(strlen(json_string_value(json_object_get(r, "sha256"))), 64);
        ck_assert(json_is_object(json_object_get(r, "record")));
        json_decref(r);
        n_rec++;
    }
    fclose(rf);
    ck_assert_int_eq(n_rec, 16);
    snprintf(args, sizeof args, "%s/exp/decisions.jsonl", dir);
    rf = fopen(args, "r");
    ck_assert_ptr_nonnull(rf);
    int n_decide = 0, n_confirm = 0, n_commit = 0;
    while (fgets(line, sizeof line, rf)) {
        json_t *d = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(d);
        const char *kind = json_string_value(json_object_get(d, "kind"));
        const char *op = json_string_value(json_object_get(d, "operator"));
        ck_assert(strcmp(op, "kari") == 0 || strcmp(op, "ola") == 0);
        ck_assert(json_is_object(json_object_get(d, "payload")));
        ck_assert_int_gt(json_integer_value(json_object_get(d, "seq")), 0);
        n_decide += strcmp(kind, "decide") == 0;
        n_confirm += strcmp(kind, "reject_confirm") == 0;
        n_commit += strcmp(kind, "batch_commit") == 0;
        json_decref(d);
    }
    fclose(rf);
    ck_assert_int_eq(n_decide, 7);
    ck_assert_int_eq(n_confirm, 2);
    ck_assert_int_eq(n_commit, 1);

    /* counts.json is the counts document; cvr.json one CVR per sheet. */
    json_t *counts = load_json("exp/counts.json");
    ck_assert_str_eq(json_string_value(json_object_get(counts, "format")), "telle-counts/1");
    json_decref(counts);
    json_t *cvr = load_json("exp/cvr.json");
    ck_assert_int_eq(json_array_size(json_object_get(cvr, "CVR")), 16);
    json_decref(cvr);

    /* A used folder is refused. */
    ck_assert_int_eq(telle("audit export --db c.db --out exp"), 1);
    ck_assert_ptr_nonnull(strstr(out, "not empty"));

    /* The export replays on its own: moved away from the original files. */
    snprintf(args, sizeof args, "mv '%s/exp' '%s/elsewhere' && rm -rf '%s/scans'", dir, dir,
             dir);
    ck_assert_int_eq(system(args), 0);
    ck_assert_msg(telle("replay --db elsewhere/telle.db --archive elsewhere/archive "
                        "--package elsewhere/package") == 0, "%s", out);

    /* One byte of the exported image changed: replay names the page. */
    snprintf(args, sizeof args, "%s/elsewhere/archive/0001-VO-01/0001-VO-01.tif", dir);
    FILE *img = fopen(args, "r+b");
    ck_assert_ptr_nonnull(img);
    fseek(img, 0, SEEK_END);
    long size = ftell(img);
    fseek(img, size / 2, SEEK_SET);
    int c = fgetc(img);
    fseek(img, size / 2, SEEK_SET);
    fputc(c ^ 0x5a, img);
    fclose(img);
    ck_assert_int_eq(telle("replay --db elsewhere/telle.db --archive elsewhere/archive "
                           "--package elsewhere/package"), 1);
    ck_assert_ptr_nonnull(strstr(out, "0001-VO-01.tif"));
}
END_TEST

START_TEST(a_wrong_package_is_refused)
{
    const char *src = getenv("TELLE_SOURCE_DIR");
    char args[1024];
    snprintf(args, sizeof args, "init --package '%s/samples/package' --db c.db", src);
    ck_assert_msg(telle(args) == 0, "%s", out);
    /* A package folder whose election.json is not the stored one. */
    snprintf(args, sizeof args, "cp -r '%s/samples/package' '%s/other' && "
             "printf ' ' >> '%s/other/election.json'", src, dir, dir);
    ck_assert_int_eq(system(args), 0);
    ck_assert_int_eq(telle("audit export --db c.db --out e2 --package other"), 1);
    ck_assert_ptr_nonnull(strstr(out, "not the package the count was made with"));
    ck_assert_int_eq(telle("audit export --db c.db"), 2);
    /* An empty count exports: no batches, an empty archive. */
    snprintf(args, sizeof args, "audit export --db c.db --out e3 --package '%s/samples/package'",
             src);
    ck_assert_msg(telle(args) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "0 batches, 0 sheets"));

    /* A page whose image file is gone: exported anyway, named in the
     * manifest, exit status 1. */
    snprintf(args, sizeof args, "%s/r.jsonl", dir);
    FILE *f = fopen(args, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"sheet\":\"gone.tif#1\",\"batch\":\"0001-VO-09\",\"krets\":\"0001\","
          "\"category\":\"VO\",\"pages\":[{\"file\":\"gone.tif\",\"page\":1,\"side\":"
          "\"inside\",\"rotated\":0,\"sha256\":\"ab\"}],\"election\":\"KS\",\"style\":"
          "\"KS-AP\",\"list\":\"AP\",\"outcome\":\"approved\",\"reasons\":[],"
          "\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,"
          "\"outside_field\":0},\"writing\":[],\"stamp\":true}\n", f);
    fclose(f);
    ck_assert_msg(telle("review load --db c.db --archive . r.jsonl") == 0, "%s", out);
    snprintf(args, sizeof args, "audit export --db c.db --out e4 --package '%s/samples/package'",
             src);
    ck_assert_int_eq(telle(args), 1);
    ck_assert_ptr_nonnull(strstr(out, "1 image file named by pages is missing"));
    json_t *m = load_json("e4/manifest.json");
    json_t *miss = json_array_get(json_object_get(m, "missing_images"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(miss, "batch")), "0001-VO-09");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(miss, "path")), "gone.tif"));
    json_decref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit_export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, export_of_a_count_replays_elsewhere);
    tcase_add_test(tc, a_wrong_package_is_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
