/*
 * The extension the ABI benchmark loads: one pre-trigger on the benchmark's own request type
 * that looks at the payload (so the call cannot be optimised away) and lets it through.
 */
#include <commerce_sdk.h>

static const commerce_extension_info info = {
    sizeof(commerce_extension_info), COMMERCE_ABI_MAJOR, COMMERCE_ABI_MINOR, COMMERCE_STR_INIT("bench"),
    COMMERCE_STR_INIT("1.0.0"),      COMMERCE_STR_INIT(""), COMMERCE_STR_INIT(""),
};

COMMERCE_EXPORT const commerce_extension_info *commerce_extension_get_info(void) { return &info; }

static commerce_status check(void *user_data, commerce_call *call, commerce_str request) {
    (void)user_data;
    (void)call;
    return request.length > 0 && request.data[0] == '{' ? COMMERCE_OK : COMMERCE_INVALID;
}

COMMERCE_EXPORT commerce_status commerce_extension_init(const commerce_host_api *api, commerce_init *init, commerce_str config) {
    (void)config;
    commerce_trigger_registration trigger = {sizeof(commerce_trigger_registration), COMMERCE_STR("BenchEcho"), check, NULL, NULL};
    return api->register_trigger(init, &trigger);
}
