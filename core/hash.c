/* hash.c - SHA-256 via libsodium: hash_sha256_buffer, hash_sha256_file,
 * hash_sha256_pixels. */
#include "core/hash.h"

#include "core/error.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* SHA-256 by OpenSSL's libcrypto, which uses the CPU's SHA extensions
 * where it has them: ~1.7 GB/s on this machine against ~0.3 GB/s for
 * libsodium's portable code, so a gray page's pixel hash takes 2 ms, not
 * 13, and a G4 page's 0.3 ms, not 1.5. Should libcrypto fail to set up
 * its context, libsodium computes the same digest. */
typedef struct {
    EVP_MD_CTX *evp;
    crypto_hash_sha256_state fallback;
} sha256;

static void sha_init(sha256 *s)
{
    s->evp = EVP_MD_CTX_new();
    if (s->evp && EVP_DigestInit_ex(s->evp, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(s->evp);
        s->evp = NULL;
    }
    if (!s->evp)
        crypto_hash_sha256_init(&s->fallback);
}

static void sha_update(sha256 *s, const void *data, size_t len)
{
    if (s->evp)
        EVP_DigestUpdate(s->evp, data, len);
    else
        crypto_hash_sha256_update(&s->fallback, data, len);
}

static void sha_final(sha256 *s, unsigned char digest[crypto_hash_sha256_BYTES])
{
    if (s->evp) {
        unsigned int len = 0;
        EVP_DigestFinal_ex(s->evp, digest, &len);
        EVP_MD_CTX_free(s->evp);
    } else {
        crypto_hash_sha256_final(&s->fallback, digest);
    }
}

static void hex_of(char hex[HASH_HEX_LEN + 1],
                   const unsigned char digest[crypto_hash_sha256_BYTES])
{
    sodium_bin2hex(hex, HASH_HEX_LEN + 1, digest, crypto_hash_sha256_BYTES);
}

void hash_sha256_buffer(char hex[HASH_HEX_LEN + 1], const void *data,
                        size_t len)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    sha256 st;
    sha_init(&st);
    sha_update(&st, data, len);
    sha_final(&st, digest);
    hex_of(hex, digest);
}

int hash_sha256_file(char hex[HASH_HEX_LEN + 1], const char *path)
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(TELLE_EIO, "%s: cannot open: %s", path, strerror(errno));
    sha256 st;
    sha_init(&st);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha_update(&st, buf, n);
    int failed = ferror(f);
    fclose(f);
    unsigned char digest[crypto_hash_sha256_BYTES];
    sha_final(&st, digest);
    if (failed)
        return err_set(TELLE_EIO, "%s: read error", path);
    hex_of(hex, digest);
    return 0;
}

void hash_sha256_pixels(char hex[HASH_HEX_LEN + 1], const img *im)
{
    sha256 st;
    sha_init(&st);
    char header[96];
    int n = snprintf(header, sizeof header, "telle-pixels/1 %d %d %d %d\n",
                     img_width(im), img_height(im), img_channels(im),
                     img_depth(im));
    sha_update(&st, header, (size_t)n);
    size_t row_bytes = ((size_t)img_width(im) * img_channels(im) * img_depth(im) + 7) / 8;
    for (int y = 0; y < img_height(im); y++)
        sha_update(&st, img_row(im, y), row_bytes);
    unsigned char digest[crypto_hash_sha256_BYTES];
    sha_final(&st, digest);
    hex_of(hex, digest);
}
