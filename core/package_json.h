/* package_json.h - lookups in an election package read as plain JSON
 * (jansson), as the store keeps it: code that reports on stored counts
 * (verify/, count/, audit/) reads election.json that way instead of through
 * pkg_load, which also needs the reference images.
 *
 *   pkg_json_find       the element of an array with a given string member
 *   pkg_json_election   an election by id
 *   pkg_json_list       a list of an election by code
 */
#ifndef TELLE_CORE_PACKAGE_JSON_H
#define TELLE_CORE_PACKAGE_JSON_H

#include <jansson.h>

/* The first element of arr whose member key is the string value, e.g.
 * pkg_json_find(json_object_get(root, "elections"), "id", "KS"). NULL when
 * there is none, when arr is not an array or value is NULL. The element is
 * borrowed from arr. */
json_t *pkg_json_find(json_t *arr, const char *key, const char *value);

/* root's election with that id, or NULL. Borrowed from root. */
json_t *pkg_json_election(json_t *root, const char *id);

/* The election's list with that code, or NULL (also for a NULL election).
 * Borrowed from election. */
json_t *pkg_json_list(json_t *election, const char *code);

#endif
