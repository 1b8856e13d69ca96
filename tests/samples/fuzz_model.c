/* fuzz_model.c - libFuzzer target for the renderer's input: parse the bytes
 * as JSON, build the elections model (smp_model_from_json) and lay out every
 * style it names or the default set (at most 12, so one input stays fast).
 * Crashes, leaks, undefined behaviour and runaway layouts are what it looks
 * for; refusals are normal. Built only with -DTELLE_FUZZ=ON (clang). */
#include "samples/model.h"
#include "samples/render.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if (!root)
        return 0;
    pkg_package *pkg = NULL;
    if (smp_model_from_json(&pkg, root, "fuzz.json", "fuzz") == 0) {
        pkg_style *def = NULL;
        int n = 0;
        const pkg_style *styles = pkg->styles;
        if (pkg->n_styles > 0) {
            n = pkg->n_styles;
        } else if (smp_styles_default(&def, &n, pkg) == 0) {
            styles = def;
        }
        for (int i = 0; i < n && i < 12; i++) {
            smp_ballot *b = NULL;
            if (smp_ballot_new(&b, pkg, &styles[i]) == 0) {
                const pkg_region *rs;
                for (int side = 0; side < SMP_N_SIDES; side++)
                    (void)smp_ballot_regions(b, side, &rs);
                smp_ballot_free(b);
            }
        }
        smp_styles_free(def, n);
        smp_model_free(pkg);
    }
    json_decref(root);
    return 0;
}
