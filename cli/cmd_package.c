/* cmd_package.c - `telle package check DIR`. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_package(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "telle package: not built yet\n");
    return 1;
}
