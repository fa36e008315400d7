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

/* Config: {"triggers": n} registers the trigger n times (default 1), so one request makes n
 * calls through the ABI and the per-call cost stands out of the request's own. */
COMMERCE_EXPORT commerce_status commerce_extension_init(const commerce_host_api *api, commerce_init *init, commerce_str config) {
    int count = 1;
    const char *key = "\"triggers\":";
    for (size_t index = 0; index + 11 < config.length; index++) {
        size_t at = 0;
        while (key[at] != '\0' && config.data[index + at] == key[at]) at++;
        if (key[at] == '\0') {
            count = 0;
            size_t start = index + at;
            while (start < config.length && config.data[start] == ' ') start++;
            for (size_t digit = start; digit < config.length && config.data[digit] >= '0' && config.data[digit] <= '9'; digit++) {
                count = count * 10 + (config.data[digit] - '0');
            }
            break;
        }
    }
    commerce_trigger_registration trigger = {sizeof(commerce_trigger_registration), COMMERCE_STR("BenchEcho"), check, NULL, NULL};
    for (int index = 0; index < count; index++) {
        commerce_status status = api->register_trigger(init, &trigger);
        if (status != COMMERCE_OK) return status;
    }
    return COMMERCE_OK;
}
