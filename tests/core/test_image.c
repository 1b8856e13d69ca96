/* test_image.c - the image type, errors and hashing. */
#include "core/error.h"
#include "core/hash.h"
#include "core/image.h"
#include "testutil.h"

#include <check.h>
#include <string.h>

START_TEST(gray_from_1bit_maps_ink_to_black)
{
    img *bw = NULL, *g = NULL;
    ck_assert_int_eq(img_new(&bw, 10, 2, 1, 1), 0);
    img_row_mut(bw, 1)[0] = 0x80 >> 3; /* pixel (3,1) is ink */
    ck_assert_int_eq(img_to_gray(&g, bw), 0);
    ck_assert_int_eq(img_row(g, 1)[3], 0);
    ck_assert_int_eq(img_row(g, 1)[2], 255);
    ck_assert_int_eq(img_row(g, 0)[3], 255);
    img_free(bw);
    img_free(g);
}
END_TEST

START_TEST(gray_from_rgba_composites_over_white)
{
    img *c = NULL, *g = NULL;
    ck_assert_int_eq(img_new(&c, 2, 1, 4, 8), 0);
    uint8_t *p = img_row_mut(c, 0);
    p[0] = 0, p[1] = 0, p[2] = 0, p[3] = 0;     /* transparent black: paper */
    p[4] = 0, p[5] = 0, p[6] = 0, p[7] = 255;   /* opaque black */
    ck_assert_int_eq(img_to_gray(&g, c), 0);
    ck_assert_int_eq(img_row(g, 0)[0], 255);
    ck_assert_int_eq(img_row(g, 0)[1], 0);
    img_free(c);
    img_free(g);
}
END_TEST

START_TEST(size_check_refuses_huge_and_empty)
{
    size_t stride;
    ck_assert_int_eq(img_size_check(0, 10, 1, 8, &stride), TELLE_EFORMAT);
    ck_assert_int_eq(img_size_check(IMG_MAX_DIM + 1, 10, 1, 8, &stride), TELLE_EFORMAT);
    ck_assert(strstr(err_message(), "above the limit") != NULL);
    ck_assert_int_eq(img_size_check(IMG_MAX_DIM, IMG_MAX_DIM, 4, 8, &stride), TELLE_EFORMAT);
    ck_assert_int_eq(img_size_check(100, 10, 1, 1, &stride), 0);
    ck_assert_uint_eq(stride, 13);
}
END_TEST

START_TEST(refcount_shares_until_last_free)
{
    img *a = NULL;
    ck_assert_int_eq(img_new(&a, 4, 4, 1, 8), 0);
    img *b = img_ref(a);
    img_free(a);
    img_row_mut(b, 3)[3] = 7; /* still alive: ASan would catch a use after free */
    ck_assert_int_eq(img_row(b, 3)[3], 7);
    img_free(b);
    img_free(NULL);
}
END_TEST

START_TEST(sha256_known_vector_and_pixels)
{
    char hex[HASH_HEX_LEN + 1];
    hash_sha256_buffer(hex, "abc", 3);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    img *a = NULL, *b = NULL;
    ck_assert_int_eq(img_new(&a, 9, 3, 1, 1), 0);
    ck_assert_int_eq(img_new(&b, 9, 3, 1, 1), 0);
    char ha[HASH_HEX_LEN + 1], hb[HASH_HEX_LEN + 1];
    hash_sha256_pixels(ha, a);
    hash_sha256_pixels(hb, b);
    ck_assert_str_eq(ha, hb);
    img_row_mut(b, 2)[1] = 0x80;
    hash_sha256_pixels(hb, b);
    ck_assert_str_ne(ha, hb);
    img_free(a);
    img_free(b);
}
END_TEST

START_TEST(error_prefix_keeps_code)
{
    err_set(TELLE_EIO, "truncated strip");
    ck_assert_int_eq(err_prefix("%s: page %d: ", "a.tif", 3), TELLE_EIO);
    ck_assert_str_eq(err_message(), "a.tif: page 3: truncated strip");
    ck_assert_str_eq(err_name(err_code()), "IO");
    err_clear();
    ck_assert_int_eq(err_code(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_image");
    TCase *tc = tcase_create("image");
    tcase_add_test(tc, gray_from_1bit_maps_ink_to_black);
    tcase_add_test(tc, gray_from_rgba_composites_over_white);
    tcase_add_test(tc, size_check_refuses_huge_and_empty);
    tcase_add_test(tc, refcount_shares_until_last_free);
    tcase_add_test(tc, sha256_known_vector_and_pixels);
    tcase_add_test(tc, error_prefix_keeps_code);
    suite_add_tcase(s, tc);
    return tu_suite_run(s);
}
