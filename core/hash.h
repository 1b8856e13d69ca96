/* hash.h - SHA-256 (OpenSSL's libcrypto; libsodium as a fallback) of files, buffers and decoded pixels, as
 * 64-character lowercase hex strings.
 *
 *   hash_sha256_buffer   hash of bytes in memory
 *   hash_sha256_file     hash of a file's bytes, streamed
 *   hash_sha256_pixels   hash of an image's decoded pixels
 *
 * The pixel hash is what sheet records name (`pages[].sha256`): it is the
 * SHA-256 of the text header "telle-pixels/1 W H CHANNELS DEPTH\n" followed
 * by each row's bytes without stride padding. It identifies a page the same
 * way whether it came from a multi-page TIFF, a PNG or an archive, and it
 * does not change when a file is recompressed without loss.
 */
#ifndef TELLE_CORE_HASH_H
#define TELLE_CORE_HASH_H

#include "core/image.h"

#include <stddef.h>

enum { HASH_HEX_LEN = 64 };

/* hex must hold HASH_HEX_LEN + 1 bytes. */
void hash_sha256_buffer(char hex[HASH_HEX_LEN + 1], const void *data,
                        size_t len);

/* Returns 0, or TELLE_EIO naming the file. */
int hash_sha256_file(char hex[HASH_HEX_LEN + 1], const char *path);

void hash_sha256_pixels(char hex[HASH_HEX_LEN + 1], const img *im);

#endif
