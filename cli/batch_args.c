/* batch_args.c - options shared by `telle scan` and `telle import` (see
 * batch_args.h). */
#include "cli/batch_args.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_arg_take(int *i, int argc, char **argv, const char *name,
                         const char *cmd)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", cmd, name);
        exit(2);
    }
    return argv[++*i];
}

bool cli_batch_option(scan_batch_meta *meta, int *given, int *i, int argc,
                      char **argv, const char *cmd)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"--election", offsetof(scan_batch_meta, election)},
        {"--krets", offsetof(scan_batch_meta, krets)},
        {"--category", offsetof(scan_batch_meta, category)},
        {"--batch", offsetof(scan_batch_meta, batch)},
    };
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const char *v = cli_arg_take(i, argc, argv, fields[k].name, cmd);
        if (!v)
            continue;
        if (strlen(v) >= SCAN_META_FIELD) {
            fprintf(stderr, "%s: %s is too long\n", cmd, fields[k].name);
            exit(2);
        }
        strcpy((char *)meta + fields[k].offset, v);
        (*given)++;
        return true;
    }
    return false;
}

bool cli_batch_meta_equal(const scan_batch_meta *a, const scan_batch_meta *b)
{
    return strcmp(a->election, b->election) == 0 &&
           strcmp(a->krets, b->krets) == 0 &&
           strcmp(a->category, b->category) == 0 &&
           strcmp(a->batch, b->batch) == 0;
}
