/*
 * Loyalty points: a sample extension in C.
 *
 * - Migration 1 adds ext_loyalty_points (balance per customer) and
 *   ext_loyalty_awards (points per sales order).
 * - A post-trigger on CheckoutRequest awards points for the order's total and
 *   adds them to the order as ExtensionProperties; the host stores them with the
 *   order, so reading it later shows them too.
 * - GetLoyaltyPoints(customerId) (unbound function) answers a balance.
 * - Customers('id')/AdjustLoyaltyPoints (bound action) changes a balance.
 *
 * Config block: {"pointsPerUnit": 1} (points per whole unit of currency).
 */
#include <commerce_sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const commerce_host_api *api;
static long points_per_unit = 1;

static const commerce_extension_info info = {
    sizeof(commerce_extension_info),
    COMMERCE_ABI_MAJOR,
    COMMERCE_ABI_MINOR,
    COMMERCE_STR_INIT("loyalty"),
    COMMERCE_STR_INIT("1.0.0"),
    COMMERCE_STR_INIT(""),
    COMMERCE_STR_INIT("{\"readsTables\":[\"customers\"]}"),
};

COMMERCE_EXPORT const commerce_extension_info *commerce_extension_get_info(void) { return &info; }

/* ---- small helpers (a real extension would use a JSON library) ---- */

/* A NUL-terminated copy of a slice; the caller frees it. */
static char *copy_str(commerce_str s) {
    char *text = malloc(s.length + 1);
    if (text == NULL) return NULL;
    memcpy(text, s.data, s.length);
    text[s.length] = '\0';
    return text;
}

/* The string value of "key":"..." in a JSON text, copied into out. */
static int json_string(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(json, pattern);
    if (start == NULL) return 0;
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    if (end == NULL || (size_t)(end - start) >= size) return 0;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 1;
}

/* The number value of "key":123.45 in a JSON text. */
static int json_number(const char *json, const char *key, double *out) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *start = strstr(json, pattern);
    if (start == NULL) return 0;
    start += strlen(pattern);
    char *end;
    *out = strtod(start, &end);
    return end != start;
}

/* Customer ids are written into JSON arguments: refuse anything that would need escaping. */
static int plain_id(const char *id) {
    if (*id == '\0') return 0;
    for (; *id; id++) {
        if (*id == '"' || *id == '\\' || (unsigned char)*id < 0x20) return 0;
    }
    return 1;
}

static commerce_status fail(commerce_call *call, commerce_status status, const char *message) {
    api->call_set_error(call, commerce_str_make(message, strlen(message)));
    return status;
}

/* Adds points to a customer's balance. */
static commerce_status add_points(commerce_call *call, const char *customer, long points) {
    char arguments[256];
    snprintf(arguments, sizeof arguments, "[\"%s\",%ld]", customer, points);
    static const char upsert[] =
        "INSERT INTO ext_loyalty_points (customer_id, points) VALUES (?, ?) "
        "ON CONFLICT (customer_id) DO UPDATE SET points = ext_loyalty_points.points + excluded.points";
    return api->db_execute(call, COMMERCE_STR(upsert), commerce_str_make(arguments, strlen(arguments)), NULL);
}

/* Runs a query whose one argument is an id; the rows (JSON) go to a new scratch buffer. */
static commerce_status query_by_id(commerce_call *call, commerce_str sql, const char *id, commerce_buffer **rows) {
    char arguments[160];
    snprintf(arguments, sizeof arguments, "[\"%s\"]", id);
    *rows = api->call_buffer(call);
    return api->db_query(call, sql, commerce_str_make(arguments, strlen(arguments)), *rows);
}

/* The balance of a customer (0 when none), read through the host. */
static commerce_status read_points(commerce_call *call, const char *customer, long *points) {
    commerce_buffer *rows;
    commerce_status status = query_by_id(call, COMMERCE_STR("SELECT points FROM ext_loyalty_points WHERE customer_id = ?"), customer, &rows);
    if (status != COMMERCE_OK) return status;
    char *text = copy_str(api->buffer_view(rows));
    if (text == NULL) return fail(call, COMMERCE_FAILED, "out of memory");
    double value = 0;
    *points = json_number(text, "points", &value) ? (long)value : 0;
    free(text);
    return COMMERCE_OK;
}

static commerce_status write_number(commerce_buffer *out, long value) {
    char text[32];
    snprintf(text, sizeof text, "%ld", value);
    return api->buffer_append(out, text, strlen(text));
}

/* Adds a LoyaltyPointsAwarded property to an entity's JSON and writes the result to out. */
static void append_with_points(commerce_buffer *out, const char *entity, long points) {
    const char *marker = "\"ExtensionProperties\":[";
    const char *at = strstr(entity, marker);
    if (at == NULL) return; /* nothing written: the entity stays as it was */
    at += strlen(marker);
    char property[160];
    snprintf(property, sizeof property, "{\"Key\":\"LoyaltyPointsAwarded\",\"Value\":{\"LongValue\":%ld}}%s", points,
             *at == ']' ? "" : ",");
    api->buffer_append(out, entity, (size_t)(at - entity));
    api->buffer_append(out, property, strlen(property));
    api->buffer_append(out, at, strlen(at));
}

/* ---- the registrations ---- */

/* Post-trigger on CheckoutRequest: award points for the new order. */
static commerce_status on_checkout(void *user_data, commerce_call *call, commerce_str request, commerce_str response,
                                   commerce_buffer *response_out) {
    (void)user_data;
    (void)request;
    char *order = copy_str(response);
    if (order == NULL) return fail(call, COMMERCE_FAILED, "out of memory");
    char customer[128], order_id[128];
    double total = 0;
    if (!json_string(order, "CustomerId", customer, sizeof customer) || !json_string(order, "Id", order_id, sizeof order_id) ||
        !json_number(order, "TotalAmount", &total) || !plain_id(customer) || !plain_id(order_id)) {
        /* Anonymous orders earn nothing; the response stays as it is. */
        free(order);
        return COMMERCE_OK;
    }
    long points = (long)(total > 0 ? total : 0) * points_per_unit;
    commerce_status status = add_points(call, customer, points);
    if (status == COMMERCE_OK) {
        char arguments[512];
        snprintf(arguments, sizeof arguments, "[\"%s\",\"%s\",%ld]", order_id, customer, points);
        status = api->db_execute(call, COMMERCE_STR("INSERT INTO ext_loyalty_awards (order_id, customer_id, points) VALUES (?, ?, ?)"),
                                 commerce_str_make(arguments, strlen(arguments)), NULL);
    }
    if (status == COMMERCE_OK) append_with_points(response_out, order, points);
    free(order);
    return status;
}

/* GetLoyaltyPoints(customerId): the balance, an Edm.Int64. */
static commerce_status get_points(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    char *text = copy_str(parameters);
    if (text == NULL) return fail(call, COMMERCE_FAILED, "out of memory");
    char customer[128];
    int ok = json_string(text, "customerId", customer, sizeof customer) && plain_id(customer);
    free(text);
    if (!ok) return fail(call, COMMERCE_INVALID, "customerId must be a customer account number");
    /* A signed-in customer reads only its own balance; another's answers as an unknown one would,
     * so the call cannot tell which accounts exist. The host puts the caller in call_context. */
    commerce_buffer *context = api->call_buffer(call);
    commerce_status status = api->call_context(call, context);
    if (status != COMMERCE_OK) return status;
    char *caller = copy_str(api->buffer_view(context));
    if (caller == NULL) return fail(call, COMMERCE_FAILED, "out of memory");
    char role[32], own[128];
    int foreign = json_string(caller, "Role", role, sizeof role) && strcmp(role, "Customer") == 0 &&
                  (!json_string(caller, "CustomerId", own, sizeof own) || strcmp(own, customer) != 0);
    free(caller);
    if (foreign) return fail(call, COMMERCE_NOT_FOUND, "there is no loyalty balance for that customer");
    long points = 0;
    status = read_points(call, customer, &points);
    if (status != COMMERCE_OK) return status;
    return write_number(result, points);
}

/* Customers('id')/AdjustLoyaltyPoints {"points": n}: changes the balance, answers the new one. */
static commerce_status adjust_points(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    char *text = copy_str(parameters);
    if (text == NULL) return fail(call, COMMERCE_FAILED, "out of memory");
    char customer[128];
    double change = 0;
    int ok = json_string(text, "Key", customer, sizeof customer) && plain_id(customer) && json_number(text, "points", &change);
    free(text);
    if (!ok) return fail(call, COMMERCE_INVALID, "give the points to add (negative to take away) as {\"points\": n}");
    /* Reading the core customers table is granted by the manifest. */
    commerce_buffer *rows;
    commerce_status status =
        query_by_id(call, COMMERCE_STR("SELECT account_number FROM customers WHERE account_number = ?"), customer, &rows);
    if (status != COMMERCE_OK) return status;
    commerce_str found = api->buffer_view(rows);
    if (found.length <= 2) return fail(call, COMMERCE_NOT_FOUND, "there is no customer with that account number");
    long balance = 0;
    status = read_points(call, customer, &balance);
    if (status != COMMERCE_OK) return status;
    if (balance + (long)change < 0) return fail(call, COMMERCE_CONFLICT, "the balance cannot become negative");
    status = add_points(call, customer, (long)change);
    if (status != COMMERCE_OK) return status;
    return write_number(result, balance + (long)change);
}

static const char schema_sqlite[] =
    "CREATE TABLE ext_loyalty_points (customer_id TEXT PRIMARY KEY, points BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE ext_loyalty_awards (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, points BIGINT NOT NULL);"
    "CREATE INDEX ext_loyalty_awards_customer ON ext_loyalty_awards (customer_id);";
/* The same statements: both dialects accept them here. */
static const char schema_postgres[] =
    "CREATE TABLE ext_loyalty_points (customer_id TEXT PRIMARY KEY, points BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE ext_loyalty_awards (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, points BIGINT NOT NULL);"
    "CREATE INDEX ext_loyalty_awards_customer ON ext_loyalty_awards (customer_id);";

COMMERCE_EXPORT commerce_status commerce_extension_init(const commerce_host_api *host, commerce_init *init, commerce_str config) {
    api = host;
    char *text = copy_str(config);
    if (text != NULL) {
        double rate = 0;
        if (json_number(text, "pointsPerUnit", &rate)) {
            if (rate < 0) {
                free(text);
                host->init_set_error(init, COMMERCE_STR("pointsPerUnit must not be negative"));
                return COMMERCE_INVALID;
            }
            points_per_unit = (long)rate;
        }
        free(text);
    }

    commerce_migration migration = {sizeof(commerce_migration), 1, COMMERCE_STR("points balances and awards"),
                                    COMMERCE_STR(schema_sqlite), COMMERCE_STR(schema_postgres)};
    commerce_trigger_registration checkout = {sizeof(commerce_trigger_registration), COMMERCE_STR("CheckoutRequest"), NULL,
                                              on_checkout, NULL};
    commerce_operation_registration get = {sizeof(commerce_operation_registration),
                                           COMMERCE_STR("GetLoyaltyPoints"),
                                           COMMERCE_OPERATION_FUNCTION,
                                           COMMERCE_STR(""),
                                           COMMERCE_STR("[{\"Name\":\"customerId\",\"Type\":\"Edm.String\"}]"),
                                           COMMERCE_STR("Edm.Int64"),
                                           get_points,
                                           NULL,
                                           COMMERCE_STR("[\"Customer\",\"Application\",\"Employee\"]"),
                                           /* no application scope: any application may read balances */
                                           COMMERCE_STR("")};
    commerce_operation_registration adjust = {sizeof(commerce_operation_registration),
                                              COMMERCE_STR("AdjustLoyaltyPoints"),
                                              COMMERCE_OPERATION_ACTION,
                                              COMMERCE_STR("Customers"),
                                              COMMERCE_STR("[{\"Name\":\"points\",\"Type\":\"Edm.Int64\"}]"),
                                              COMMERCE_STR("Edm.Int64"),
                                              adjust_points,
                                              NULL,
                                              COMMERCE_STR("[\"Application\",\"Employee\"]"),
                                              COMMERCE_STR("")};
    if (host->register_migration(init, &migration) != COMMERCE_OK) return COMMERCE_INVALID;
    if (host->register_trigger(init, &checkout) != COMMERCE_OK) return COMMERCE_INVALID;
    if (host->register_operation(init, &get) != COMMERCE_OK) return COMMERCE_INVALID;
    if (host->register_operation(init, &adjust) != COMMERCE_OK) return COMMERCE_INVALID;
    host->log(NULL, COMMERCE_LOG_INFO, COMMERCE_STR("loyalty: registered"));
    return COMMERCE_OK;
}
