/* log.h - the one debug logger. Silent unless TELLE_DEBUG is set:
 * TELLE_DEBUG=1 (or "all") logs every component, TELLE_DEBUG=rec,scan only
 * those. Lines go to stderr, so libraries never print to stdout.
 *
 *   log_debug   log one line for a component when it is switched on
 *   log_enabled whether a component is switched on (to skip costly work)
 */
#ifndef TELLE_CORE_LOG_H
#define TELLE_CORE_LOG_H

#include "core/error.h"

#include <stdbool.h>

bool log_enabled(const char *component);
void log_debug(const char *component, const char *fmt, ...) TELLE_PRINTF(2, 3);

#endif
