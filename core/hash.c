/* hash.c - SHA-256 via libsodium: hash_sha256_buffer, hash_sha256_file,
 * hash_sha256_pixels. */
#include "core/hash.h"

#include "core/error.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void hex_of(char hex[HASH_HEX_LEN + 1],
                   const unsigned char digest[crypto_hash_sha256_BYTES])
{
    sodium_bin2hex(hex, HASH_HEX_LEN + 1, digest, crypto_hash_sha256_BYTES);
}

void hash_sha256_buffer(char hex[HASH_HEX_LEN + 1], const void *data,
                        size_t len)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    hex_of(hex, digest);
}

int hash_sha256_file(char hex[HASH_HEX_LEN + 1], const char *path)
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(TELLE_EIO, "%s: cannot open: %s", path, strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return err_set(TELLE_EIO, "%s: read error", path);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    hex_of(hex, digest);
    return 0;
}

void hash_sha256_pixels(char hex[HASH_HEX_LEN + 1], const img *im)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    char header[96];
    int n = snprintf(header, sizeof header, "telle-pixels/1 %d %d %d %d\n",
                     img_width(im), img_height(im), img_channels(im),
                     img_depth(im));
    crypto_hash_sha256_update(&st, (const unsigned char *)header, (size_t)n);
    size_t row_bytes = ((size_t)img_width(im) * img_channels(im) * img_depth(im) + 7) / 8;
    for (int y = 0; y < img_height(im); y++)
        crypto_hash_sha256_update(&st, img_row(im, y), row_bytes);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    hex_of(hex, digest);
}
