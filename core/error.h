/* error.h - the thread-local error every telle library reports through.
 *
 * A function that can fail returns 0 or a negative TELLE_E* code and leaves
 * a message here; cli/ reads it and decides what the person sees. Libraries
 * never print and never exit.
 *
 *   err_set      record a code and a printf-style message; returns the code
 *   err_prefix   put context ("file.tif: page 3: ") in front of the message
 *   err_message  the last message ("" when none)
 *   err_code     the last code (0 when none)
 *   err_clear    forget the last error
 *   err_name     a short name for a code ("IO", "FORMAT", ...)
 */
#ifndef TELLE_CORE_ERROR_H
#define TELLE_CORE_ERROR_H

enum {
    TELLE_OK = 0,
    TELLE_ENOMEM = -1,      /* out of memory */
    TELLE_EINVAL = -2,      /* a caller's argument or a user's input is wrong */
    TELLE_EIO = -3,         /* the operating system refused (open, read, fsync) */
    TELLE_EFORMAT = -4,     /* a file or record is not what it claims to be */
    TELLE_EJAMMED = -5,     /* scanner: paper jam */
    TELLE_ENO_DOCS = -6,    /* scanner: feeder empty */
    TELLE_ECOVER_OPEN = -7, /* scanner: cover open */
    TELLE_EDOUBLE_FEED = -8,/* scanner: two sheets in one feed */
    TELLE_ESTATE = -9,      /* the operation does not fit the current state
                               (item claimed by another operator, batch open) */
};

#if defined(__GNUC__)
#define TELLE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TELLE_PRINTF(a, b)
#endif

/* Records code and message for this thread. Returns code, so a failure
 * reads `return err_set(TELLE_EIO, "%s: %s", path, strerror(errno));`. */
int err_set(int code, const char *fmt, ...) TELLE_PRINTF(2, 3);

/* Prepends a formatted prefix to the current message; returns the current
 * code. Used by callers that know the context the callee did not. */
int err_prefix(const char *fmt, ...) TELLE_PRINTF(1, 2);

const char *err_message(void);
int err_code(void);
void err_clear(void);
const char *err_name(int code);

#endif
