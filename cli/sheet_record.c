/* sheet_record.c - the sheet record shared by `telle interpret` and
 * `telle scan --package` (see sheet_record.h). */
#include "cli/sheet_record.h"

#include <stdio.h>
#include <string.h>

void cli_sheet_name(char name[CLI_SHEET_NAME_MAX], const char *file,
                    int index)
{
    snprintf(name, CLI_SHEET_NAME_MAX, "%s#%d", file, index);
}

static const char *known(const char *field)
{
    return field[0] ? field : NULL;
}

int cli_sheet_record(char **json, rec_sheet *s, const char *name,
                     const scan_batch_meta *label)
{
    rec_sheet_meta m = {name, known(label->batch), known(label->krets),
                        known(label->category)};
    rec_sheet_expect_election(s, known(label->election));
    return rec_sheet_to_json(json, s, &m);
}

bool cli_record_in_review(const char *json)
{
    return strstr(json, "\"outcome\":\"review\"") != NULL;
}
