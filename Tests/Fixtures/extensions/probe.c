/*
 * Test fixtures for the extension host, one source compiled into several
 * libraries (see build.sh). Without a BAD_* macro it is "probe", a well-behaved
 * extension that exercises every registration kind; each BAD_* macro makes one
 * purpose-built broken library the host must refuse.
 */
/* nanosleep, for SlowNote. */
#define _POSIX_C_SOURCE 200809L

#include <commerce_sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PROBE_NAME
#define PROBE_NAME "probe"
#endif
/* Operation names are global in the model: a second probe-like library prefixes its own. */
#ifndef OP_PREFIX
#define OP_PREFIX ""
#endif
#if defined(BAD_MAJOR)
#define INFO_MAJOR 2
#else
#define INFO_MAJOR COMMERCE_ABI_MAJOR
#endif
#if defined(BAD_MINOR)
#define INFO_MINOR 9
#else
#define INFO_MINOR COMMERCE_ABI_MINOR
#endif
#if defined(BAD_TOOLCHAIN)
#define INFO_TOOLCHAIN "5.10.1"
#else
#define INFO_TOOLCHAIN ""
#endif

static const commerce_host_api *api;

static const commerce_extension_info info = {
    sizeof(commerce_extension_info),
    INFO_MAJOR,
    INFO_MINOR,
    COMMERCE_STR_INIT(PROBE_NAME),
    COMMERCE_STR_INIT("0.1.0"),
    COMMERCE_STR_INIT(INFO_TOOLCHAIN),
#if COMMERCE_ABI_MINOR >= 1
    COMMERCE_STR_INIT("{\"readsTables\":[\"products\"]}"),
#endif
};

COMMERCE_EXPORT const commerce_extension_info *commerce_extension_get_info(void) { return &info; }

static commerce_status fail(commerce_call *call, commerce_status status, const char *message) {
    api->call_set_error(call, commerce_str_make(message, strlen(message)));
    return status;
}

/* A statement named by the parameters ({"statement":"..."}), run through the host. */
static commerce_status run_statement(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    char text[512];
    if (parameters.length >= sizeof text) return fail(call, COMMERCE_INVALID, "too long");
    memcpy(text, parameters.data, parameters.length);
    text[parameters.length] = '\0';
    const char *key = "\"statement\":\"";
    char *start = strstr(text, key);
    if (start == NULL) return fail(call, COMMERCE_INVALID, "give a statement");
    start += strlen(key);
    char *end = strchr(start, '"');
    if (end == NULL) return fail(call, COMMERCE_INVALID, "give a statement");
    int64_t changes = 0;
    commerce_status status = api->db_execute(call, commerce_str_make(start, (size_t)(end - start)), COMMERCE_STR("[]"), &changes);
    if (status != COMMERCE_OK) return status; /* the host's reason (e.g. a denied table) reaches the client */
    char number[32];
    snprintf(number, sizeof number, "%lld", (long long)changes);
    return api->buffer_append(result, number, strlen(number));
}

/* AddNote(text): stores a note in the extension's own table, answers how many there are. */
static commerce_status add_note(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    commerce_buffer *arguments = api->call_buffer(call);
    /* {"text":"..."} -> ["..."]: the parameters object holds exactly one string member. */
    const char *colon = memchr(parameters.data, ':', parameters.length);
    if (colon == NULL) return fail(call, COMMERCE_INVALID, "give a text");
    size_t offset = (size_t)(colon + 1 - parameters.data);
    api->buffer_append(arguments, "[", 1);
    api->buffer_append(arguments, colon + 1, parameters.length - offset - 1);
    api->buffer_append(arguments, "]", 1);
    commerce_status status = api->db_execute(call, COMMERCE_STR("INSERT INTO ext_" PROBE_NAME "_notes (body) VALUES (?)"), api->buffer_view(arguments), NULL);
    if (status != COMMERCE_OK) return status;
    commerce_buffer *rows = api->call_buffer(call);
    status = api->db_query(call, COMMERCE_STR("SELECT COUNT(*) AS notes FROM ext_" PROBE_NAME "_notes"), COMMERCE_STR("[]"), rows);
    if (status != COMMERCE_OK) return status;
    commerce_str view = api->buffer_view(rows);
    const char *digits = memchr(view.data, ':', view.length);
    if (digits == NULL) return fail(call, COMMERCE_FAILED, "no count");
    size_t length = 0;
    while (digits[1 + length] >= '0' && digits[1 + length] <= '9') length++;
    return api->buffer_append(result, digits + 1, length);
}

/* Post-trigger on GetProductRequest: tags the product with its own ItemId. */
static commerce_status tag_product(void *user_data, commerce_call *call, commerce_str request, commerce_str response,
                                   commerce_buffer *out) {
    (void)user_data;
    (void)call;
    (void)request;
    const char *marker = "\"ExtensionProperties\":[";
    const char *item = "\"ItemId\":\"";
    const char *text = response.data;
    size_t length = response.length;
    char copy[8192];
    if (length >= sizeof copy) return COMMERCE_OK;
    memcpy(copy, text, length);
    copy[length] = '\0';
    char *at = strstr(copy, marker);
    char *id = strstr(copy, item);
    if (at == NULL || id == NULL) return COMMERCE_OK;
    id += strlen(item);
    char *id_end = strchr(id, '"');
    if (id_end == NULL) return COMMERCE_OK;
    at += strlen(marker);
    char property[200];
    snprintf(property, sizeof property, "{\"Key\":\"ProbeSeen\",\"Value\":{\"StringValue\":\"%.*s\"}}%s", (int)(id_end - id), id,
             *at == ']' ? "" : ",");
    api->buffer_append(out, copy, (size_t)(at - copy));
    api->buffer_append(out, property, strlen(property));
    api->buffer_append(out, at, strlen(at));
    return COMMERCE_OK;
}

/* Fails on purpose, to show how a run-time failure reaches the client. */
static commerce_status always_fails(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    (void)parameters;
    (void)result;
    /* Write something first: the failure must roll it back. */
    api->db_execute(call, COMMERCE_STR("INSERT INTO ext_" PROBE_NAME "_notes (body) VALUES ('half-done')"), COMMERCE_STR("[]"), NULL);
    return fail(call, COMMERCE_FAILED, "the probe failed on purpose");
}

/* SlowNote(milliseconds): writes a note, then blocks its host thread that long before it
 * answers, as a stuck connector would: the request deadline must answer the client on time
 * and the note must be rolled back. */
static commerce_status slow_note(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    char text[64];
    if (parameters.length >= sizeof text) return fail(call, COMMERCE_INVALID, "too long");
    memcpy(text, parameters.data, parameters.length);
    text[parameters.length] = '\0';
    const char *colon = strchr(text, ':');
    if (colon == NULL) return fail(call, COMMERCE_INVALID, "give milliseconds");
    long milliseconds = strtol(colon + 1, NULL, 10);
    if (milliseconds < 0 || milliseconds > 60000) return fail(call, COMMERCE_INVALID, "milliseconds must be 0...60000");
    commerce_status status = api->db_execute(call, COMMERCE_STR("INSERT INTO ext_" PROBE_NAME "_notes (body) VALUES ('slow')"), COMMERCE_STR("[]"), NULL);
    if (status != COMMERCE_OK) return status;
    struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0) {
    }
    return api->buffer_append(result, "1", 1);
}

/* WhoAmI(): the call's context (call_context) as a JSON string, so tests see what extensions see. */
static commerce_status who_am_i(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    (void)parameters;
    commerce_buffer *context = api->call_buffer(call);
    commerce_status status = api->call_context(call, context);
    if (status != COMMERCE_OK) return status;
    commerce_str view = api->buffer_view(context);
    api->buffer_append(result, "\"", 1);
    for (size_t index = 0; index < view.length; index++) {
        if (view.data[index] == '"' || view.data[index] == '\\') api->buffer_append(result, "\\", 1);
        api->buffer_append(result, view.data + index, 1);
    }
    return api->buffer_append(result, "\"", 1);
}

#if COMMERCE_ABI_MINOR >= 2
/* CountNotes(): how many notes there are; declared with an application scope. */
static commerce_status count_notes(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    (void)parameters;
    commerce_buffer *rows = api->call_buffer(call);
    commerce_status status = api->db_query(call, COMMERCE_STR("SELECT COUNT(*) AS notes FROM ext_" PROBE_NAME "_notes"), COMMERCE_STR("[]"), rows);
    if (status != COMMERCE_OK) return status;
    commerce_str view = api->buffer_view(rows);
    const char *digits = memchr(view.data, ':', view.length);
    if (digits == NULL) return fail(call, COMMERCE_FAILED, "no count");
    size_t length = 0;
    while (digits[1 + length] >= '0' && digits[1 + length] <= '9') length++;
    return api->buffer_append(result, digits + 1, length);
}
#endif

/* Override of GetTenderTypesRequest: passes through the handler before it with call_next. */
static commerce_status pass_through(void *user_data, commerce_call *call, commerce_str request, commerce_buffer *response) {
    (void)user_data;
    commerce_buffer *inner = api->call_buffer(call);
    commerce_status status = api->call_next(call, request, inner);
    if (status != COMMERCE_OK) return status;
    commerce_str answer = api->buffer_view(inner);
    return api->buffer_append(response, answer.data, answer.length);
}

#if COMMERCE_ABI_MINOR >= 1
/* ProbeNotes: the notes as a read-only entity set. */
static commerce_status read_notes(void *user_data, commerce_call *call, commerce_str parameters, commerce_buffer *result) {
    (void)user_data;
    (void)parameters;
    return api->db_query(call, COMMERCE_STR("SELECT id AS \"Id\", body AS \"Body\" FROM ext_" PROBE_NAME "_notes ORDER BY id"), COMMERCE_STR("[]"),
                         result);
}
#endif

#ifndef BAD_NO_INIT
COMMERCE_EXPORT commerce_status commerce_extension_init(const commerce_host_api *host, commerce_init *init, commerce_str config) {
    (void)config;
    api = host;
#ifdef BAD_INIT
    host->init_set_error(init, COMMERCE_STR("the probe needs an endpoint in its config block"));
    return COMMERCE_INVALID;
#endif
    commerce_migration migration = {sizeof(commerce_migration), 1, COMMERCE_STR("notes"),
#ifdef BAD_MIGRATION
                                    COMMERCE_STR("CREATE TABLE probe_outside (id INTEGER)"), COMMERCE_STR("CREATE TABLE probe_outside (id INTEGER)")
#else
                                    COMMERCE_STR("CREATE TABLE ext_" PROBE_NAME "_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"),
                                    COMMERCE_STR("CREATE TABLE ext_" PROBE_NAME "_notes (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, body TEXT NOT NULL)")
#endif
    };
    if (host->register_migration(init, &migration) != COMMERCE_OK) return COMMERCE_INVALID;
#ifdef BAD_MIGRATION_VERSION
    commerce_migration zero = {sizeof(commerce_migration), 0, COMMERCE_STR("zero"), COMMERCE_STR("SELECT 1"), COMMERCE_STR("SELECT 1")};
    host->register_migration(init, &zero);
#endif
#ifdef BAD_TRIGGER
    commerce_trigger_registration unknown = {sizeof(commerce_trigger_registration), COMMERCE_STR("NoSuchRequest"), NULL, tag_product, NULL};
    host->register_trigger(init, &unknown);
#endif
#ifndef OLD_MINOR
    commerce_trigger_registration tag = {sizeof(commerce_trigger_registration), COMMERCE_STR("GetProductRequest"), NULL, tag_product, NULL};
    if (host->register_trigger(init, &tag) != COMMERCE_OK) return COMMERCE_INVALID;
    commerce_handler_registration tenders = {sizeof(commerce_handler_registration), COMMERCE_STR("GetTenderTypesRequest"), COMMERCE_MODE_READ,
                                             pass_through, NULL};
    if (host->register_handler(init, &tenders) != COMMERCE_OK) return COMMERCE_INVALID;
#endif
    commerce_operation_registration operations[] = {
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "AddNote"), COMMERCE_OPERATION_ACTION, COMMERCE_STR(""),
         COMMERCE_STR("[{\"Name\":\"text\",\"Type\":\"Edm.String\"}]"), COMMERCE_STR("Edm.Int64"), add_note, NULL
#if COMMERCE_ABI_MINOR >= 1
         , COMMERCE_STR("[\"Application\"]")
#endif
#if COMMERCE_ABI_MINOR >= 2
         , COMMERCE_STR("")
#endif
        },
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "RunStatement"), COMMERCE_OPERATION_ACTION, COMMERCE_STR(""),
         COMMERCE_STR("[{\"Name\":\"statement\",\"Type\":\"Edm.String\"}]"), COMMERCE_STR("Edm.Int64"), run_statement, NULL
#if COMMERCE_ABI_MINOR >= 1
         , COMMERCE_STR("[\"Application\"]")
#endif
#if COMMERCE_ABI_MINOR >= 2
         , COMMERCE_STR("")
#endif
        },
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "FailOnPurpose"), COMMERCE_OPERATION_ACTION, COMMERCE_STR(""),
         COMMERCE_STR(""), COMMERCE_STR("Edm.Int64"), always_fails, NULL
#if COMMERCE_ABI_MINOR >= 1
         , COMMERCE_STR("[\"Application\"]")
#endif
#if COMMERCE_ABI_MINOR >= 2
         , COMMERCE_STR("")
#endif
        },
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "SlowNote"), COMMERCE_OPERATION_ACTION, COMMERCE_STR(""),
         COMMERCE_STR("[{\"Name\":\"milliseconds\",\"Type\":\"Edm.Int64\"}]"), COMMERCE_STR("Edm.Int64"), slow_note, NULL
#if COMMERCE_ABI_MINOR >= 1
         , COMMERCE_STR("[\"Application\"]")
#endif
#if COMMERCE_ABI_MINOR >= 2
         , COMMERCE_STR("")
#endif
        },
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "WhoAmI"), COMMERCE_OPERATION_FUNCTION, COMMERCE_STR(""),
         COMMERCE_STR(""), COMMERCE_STR("Edm.String"), who_am_i, NULL
#if COMMERCE_ABI_MINOR >= 1
         , COMMERCE_STR("[\"Anonymous\",\"Customer\",\"Application\",\"Employee\"]")
#endif
#if COMMERCE_ABI_MINOR >= 2
         , COMMERCE_STR("")
#endif
        },
#if COMMERCE_ABI_MINOR >= 2
        /* Needs the probe's own scope: applications without probe.read get 403. */
        {sizeof(commerce_operation_registration), COMMERCE_STR(OP_PREFIX "CountNotes"), COMMERCE_OPERATION_FUNCTION, COMMERCE_STR(""),
         COMMERCE_STR(""), COMMERCE_STR("Edm.Int64"), count_notes, NULL, COMMERCE_STR("[\"Application\"]"),
#ifdef BAD_SCOPE
         COMMERCE_STR("probe read")
#else
         COMMERCE_STR("probe.read")
#endif
        },
#endif
    };
    for (size_t index = 0; index < sizeof operations / sizeof operations[0]; index++) {
        if (host->register_operation(init, &operations[index]) != COMMERCE_OK) return COMMERCE_INVALID;
    }
#if COMMERCE_ABI_MINOR >= 1
    commerce_entity_set_registration notes = {
        sizeof(commerce_entity_set_registration),
#ifdef BAD_DUPLICATE
        COMMERCE_STR("Products"),
#else
        COMMERCE_STR("ProbeNotes"),
#endif
        COMMERCE_STR("{\"Name\":\"ProbeNote\",\"Key\":\"Id\",\"Properties\":[{\"Name\":\"Id\",\"Type\":\"Edm.Int64\"},{\"Name\":\"Body\",\"Type\":\"Edm.String\"}]}"),
        COMMERCE_STR("[\"Application\"]"), read_notes, NULL
#if COMMERCE_ABI_MINOR >= 2
        , COMMERCE_STR("")
#endif
    };
    if (host->register_entity_set(init, &notes) != COMMERCE_OK) return COMMERCE_INVALID;
#endif
    return COMMERCE_OK;
}
#endif
