/* cmd_package.c - `telle package check DIR`: load and validate an election
 * package and print what it holds, or the first thing wrong with it.
 *
 * Exit status: 0 the package is valid, 1 it is not (message on stderr),
 * 2 the command line is wrong.
 *
 *   cmd_package
 */
#include "cli/commands.h"

#include "core/error.h"
#include "core/image.h"
#include "core/package.h"

#include <stdio.h>
#include <string.h>

/* One more than the last pkg_region_type. */
enum { CMD_PKG_N_REGION_TYPES = PKG_REGION_STAMP_FIELD + 1 };

static void cmd_package_usage(FILE *to)
{
    fprintf(to,
            "usage: telle package check DIR\n"
            "\n"
            "Loads the election package in DIR (DIR/election.json and the\n"
            "reference images it names), checks it against the package rules\n"
            "and prints its elections, lists, styles and regions.\n"
            "\n"
            "Exit status: 0 valid, 1 invalid (the reason on stderr),\n"
            "2 wrong command line.\n");
}

static const char *cmd_package_election_type(pkg_election_type t)
{
    return t == PKG_KOMMUNESTYREVALG ? "kommunestyrevalg" : "fylkestingsvalg";
}

static const char *cmd_package_kind(pkg_style_kind k)
{
    switch (k) {
    case PKG_STYLE_LIST: return "list";
    case PKG_STYLE_ALL_LISTS: return "all_lists";
    case PKG_STYLE_BLANK: return "blank";
    }
    return "?";
}

static void cmd_package_print_side(const pkg_side *sd, int *n_regions)
{
    int counts[CMD_PKG_N_REGION_TYPES] = {0};
    for (int r = 0; r < sd->n_regions; r++)
        if ((int)sd->regions[r].type >= 0 &&
            (int)sd->regions[r].type < CMD_PKG_N_REGION_TYPES)
            counts[sd->regions[r].type]++;
    printf("    side %s (%s", sd->name, sd->reference);
    if (sd->image)
        printf(", %d x %d px %s", img_width(sd->image), img_height(sd->image),
               img_channels(sd->image) == 1 ? "gray" : "RGB");
    printf("): %d regions", sd->n_regions);
    const char *sep = ": ";
    for (int t = 0; t < CMD_PKG_N_REGION_TYPES; t++) {
        if (!counts[t])
            continue;
        printf("%s%d %s", sep, counts[t],
               pkg_region_type_name((pkg_region_type)t));
        sep = ", ";
    }
    printf("\n");
    *n_regions += sd->n_regions;
}

static void cmd_package_print(const pkg_package *pkg)
{
    int n_lists = 0, n_candidates = 0, n_sides = 0, n_regions = 0;
    printf("package %s\n", pkg->dir);
    printf("format: %s\n", pkg->format);
    printf("event: %s\n", pkg->event);
    printf("area: %s %s\n", pkg->area_code, pkg->area_name);
    printf("elections: %d\n", pkg->n_elections);
    for (int e = 0; e < pkg->n_elections; e++) {
        const pkg_election *el = &pkg->elections[e];
        printf("  election %s: %s \"%s\", %d seats, first divisor %g",
               el->id, cmd_package_election_type(el->type), el->name,
               el->seats, el->first_divisor);
        if (el->type == PKG_KOMMUNESTYREVALG)
            printf(", up to %d write-ins", el->max_write_ins);
        printf(", %d lists\n", el->n_lists);
        for (int l = 0; l < el->n_lists; l++) {
            const pkg_list *li = &el->lists[l];
            int tillegg = 0;
            for (int k = 0; k < li->n_candidates; k++)
                tillegg += li->candidates[k].stemmetillegg;
            printf("    list %s \"%s\": %d candidates", li->code, li->name,
                   li->n_candidates);
            if (tillegg)
                printf(" (%d with stemmetillegg)", tillegg);
            printf("\n");
            n_candidates += li->n_candidates;
        }
        n_lists += el->n_lists;
    }
    printf("styles: %d\n", pkg->n_styles);
    for (int s = 0; s < pkg->n_styles; s++) {
        const pkg_style *st = &pkg->styles[s];
        printf("  style %s: election %s, kind %s", st->id, st->election,
               cmd_package_kind(st->kind));
        if (st->kind == PKG_STYLE_LIST)
            printf(" (list %s)", st->list);
        printf(", page %g x %g mm at %g dpi, %d sides\n", st->page_w_mm,
               st->page_h_mm, st->dpi, st->n_sides);
        for (int i = 0; i < st->n_sides; i++)
            cmd_package_print_side(&st->sides[i], &n_regions);
        n_sides += st->n_sides;
    }
    printf("OK: %d elections, %d lists, %d candidates, %d styles, %d sides, "
           "%d regions\n", pkg->n_elections, n_lists, n_candidates,
           pkg->n_styles, n_sides, n_regions);
}

static int cmd_package_check(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd_package_usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "telle package check: unknown option '%s'\n\n",
                    argv[i]);
            cmd_package_usage(stderr);
            return 2;
        }
        if (dir) {
            fprintf(stderr, "telle package check: one package folder only "
                    "('%s' and '%s' given)\n\n", dir, argv[i]);
            cmd_package_usage(stderr);
            return 2;
        }
        dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "telle package check: no package folder given\n\n");
        cmd_package_usage(stderr);
        return 2;
    }
    pkg_package *pkg = NULL;
    if (pkg_load(&pkg, dir) != 0) {
        fprintf(stderr, "telle package check: %s\n", err_message());
        return 1;
    }
    cmd_package_print(pkg);
    pkg_free(pkg);
    return 0;
}

int cmd_package(int argc, char **argv)
{
    if (argc < 2) {
        cmd_package_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cmd_package_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "check") == 0)
        return cmd_package_check(argc - 1, argv + 1);
    fprintf(stderr, "telle package: unknown subcommand '%s'\n\n", argv[1]);
    cmd_package_usage(stderr);
    return 2;
}
