/* fixture.c - see fixture.h. */
#include "fixture.h"

#include "testutil.h"

#include "core/error.h"
#include "verify/queue.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PACKAGE[] =
    "{\"format\":\"telle-election/1\",\"event\":\"Test\","
    "\"area\":{\"code\":\"0099\",\"name\":\"Fjordvik\"},"
    "\"elections\":[{\"id\":\"KS\",\"type\":\"kommunestyrevalg\","
    "\"name\":\"Kommunestyrevalget\",\"seats\":27,\"max_write_ins\":2,"
    "\"first_divisor\":1.4,\"lists\":["
    "{\"code\":\"AP\",\"name\":\"Arbeiderpartiet\",\"candidates\":["
    " {\"no\":1,\"name\":\"Maja Rønneberg\"},{\"no\":2,\"name\":\"Tiril Teigen\"},"
    " {\"no\":3,\"name\":\"Åse Ødegård\"}]},"
    "{\"code\":\"H\",\"name\":\"Høyre\",\"candidates\":["
    " {\"no\":1,\"name\":\"Erik Berg\"},{\"no\":2,\"name\":\"Anne Æsøy\"}]},"
    "{\"code\":\"SP\",\"name\":\"Senterpartiet\",\"candidates\":["
    " {\"no\":1,\"name\":\"Kari Nordmann\"},{\"no\":2,\"name\":\"Ola Nordmann\"},"
    " {\"no\":3,\"name\":\"Per Berge\"}]}]}],"
    "\"styles\":[]}";

const char FX_RECORDS[] =
    "{\"sheet\":\"b1.tif#1\",\"pages\":[{\"file\":\"b1.tif\",\"page\":1,\"side\":\"inside\",\"rotated\":0,\"sha256\":\"11\"},{\"file\":\"b1.tif\",\"page\":2,\"side\":\"outside\",\"rotated\":0,\"sha256\":\"12\"}],\"election\":\"KS\",\"style\":\"KS-SP\",\"list\":\"SP\",\"outcome\":\"approved\",\"reasons\":[],\"personal_votes\":[1,3],\"marks\":[],\"write_ins\":{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"b1.tif#2\",\"pages\":[{\"file\":\"b1.tif\",\"page\":3,\"side\":\"inside\",\"rotated\":0,\"sha256\":\"21\"}],\"election\":\"KS\",\"style\":\"KS-SP\",\"list\":\"SP\",\"outcome\":\"review\",\"reasons\":[\"writing_in_field\"],\"personal_votes\":[2],\"marks\":[],\"write_ins\":{\"in_field\":3,\"outside_field\":0},\"writing\":[{\"side\":\"inside\",\"bbox_mm\":[160,127,60,6],\"in\":\"write_in_field\"}],\"stamp\":true}\n"
    "{\"sheet\":\"b1.tif#3\",\"pages\":[],\"election\":\"KS\",\"style\":\"KS-AP\",\"list\":\"AP\",\"outcome\":\"review\",\"reasons\":[\"missing_stamp\"],\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":false}\n"
    "\n"
    "{\"sheet\":\"b1.tif#4\",\"pages\":[],\"election\":\"KS\",\"style\":\"KS-BLANK\",\"list\":null,\"outcome\":\"blank\",\"reasons\":[],\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":true}\r\n"
    "{\"sheet\":\"b1.tif#5\",\"pages\":[],\"election\":\"KS\",\"style\":\"KS-BLANK\",\"list\":null,\"outcome\":\"review\",\"reasons\":[\"list_written\"],\"personal_votes\":[],\"marks\":[],\"write_ins\":{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":true}\n"
    "{\"sheet\":\"b1.tif#6\",\"pages\":[],\"election\":\"KS\",\"style\":\"KS-H\",\"list\":\"H\",\"outcome\":\"review\",\"reasons\":[\"marginal_mark\"],\"personal_votes\":[1],\"marks\":[{\"candidate\":2,\"score\":0.3,\"state\":\"marginal\"}],\"write_ins\":{\"in_field\":0,\"outside_field\":0},\"writing\":[],\"stamp\":true}\n";

/* Outside a running test Check cannot report: print and stop. */
#define FX_REQUIRE(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fixture: %s failed: %s\n", #cond, err_message()); \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static char *template_dir, *copy_dir;
static char template_path[300];
static char copy_path[300];

st_db *fx_open(const char *path)
{
    st_db *db = NULL;
    ck_assert_msg(st_db_open(&db, path, ST_OPEN_CREATE) == 0, "%s", err_message());
    return db;
}

const char *fx_template(void)
{
    template_dir = tu_tmpdir("vq");
    snprintf(template_path, sizeof template_path, "%s/template.db", template_dir);
    st_db *db = NULL;
    FX_REQUIRE(st_db_open(&db, template_path, ST_OPEN_CREATE) == 0);
    FX_REQUIRE(st_package_put(db, "system", PACKAGE, NULL) == 0);
    FX_REQUIRE(st_operator_add(db, "system", "kari", ST_ROLE_OPERATOR, FX_PASSWORD) == 0);
    FX_REQUIRE(st_operator_add(db, "system", "ola", ST_ROLE_OPERATOR, FX_PASSWORD) == 0);
    FX_REQUIRE(st_operator_add(db, "system", "siri", ST_ROLE_SECRETARY, FX_PASSWORD) == 0);
    FX_REQUIRE(st_operator_add(db, "system", "revisor", ST_ROLE_AUDITOR, FX_PASSWORD) == 0);
    vq_batch_info info = {"b1", "KS", "0001", "VO", "/archive"};
    int n = 0, r = 0;
    FX_REQUIRE(vq_batch_load(&n, &r, db, "system", &info, FX_RECORDS, "b1.jsonl") == 0);
    FX_REQUIRE(n == 6 && r == 4);
    st_db_close(db);
    return template_path;
}

int fx_template_remove(void)
{
    int rc = tu_rmtree(template_dir);
    free(template_dir);
    template_dir = NULL;
    return rc;
}

const char *fx_copy(void)
{
    copy_dir = tu_tmpdir("vq");
    snprintf(copy_path, sizeof copy_path, "%s/t.db", copy_dir);
    size_t len = 0;
    char *bytes = tu_file_read(&len, "%s", template_path);
    tu_file_write_bytes(bytes, len, "%s", copy_path);
    free(bytes);
    return copy_path;
}

void fx_copy_remove(void)
{
    ck_assert_int_eq(tu_rmtree(copy_dir), 0);
    free(copy_dir);
    copy_dir = NULL;
}
