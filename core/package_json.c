/* package_json.c - lookups in election.json read as plain JSON:
 * pkg_json_find, pkg_json_election, pkg_json_list. */
#include "core/package_json.h"

#include <string.h>

json_t *pkg_json_find(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    if (value == NULL)
        return NULL;
    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(json_object_get(e, key));
        if (s && strcmp(s, value) == 0)
            return e;
    }
    return NULL;
}

json_t *pkg_json_election(json_t *root, const char *id)
{
    return pkg_json_find(json_object_get(root, "elections"), "id", id);
}

json_t *pkg_json_list(json_t *election, const char *code)
{
    return pkg_json_find(json_object_get(election, "lists"), "code", code);
}
