/*
 * commerce_sdk.h - the extension ABI of the commerce engine, version 1.2.
 *
 * History (each minor only appends):
 *   1.0  info, handlers, triggers, operations, migrations, buffers, calls,
 *        database access, logging.
 *   1.1  commerce_extension_info.manifest_json, commerce_operation_registration
 *        .roles_json, host functions register_entity_set and call_last_error,
 *        status COMMERCE_DECLINED.
 *   1.2  commerce_operation_registration.application_scope and
 *        commerce_entity_set_registration.application_scope.
 *
 * An extension is a shared library (.so) that the host loads with
 * dlopen(RTLD_NOW | RTLD_LOCAL) at start-up and never unloads. It exports two
 * symbols and nothing else:
 *
 *   const commerce_extension_info *commerce_extension_get_info(void);
 *   commerce_status commerce_extension_init(const commerce_host_api *api,
 *                                           commerce_init *init,
 *                                           commerce_str config_json);
 *
 * The host calls commerce_extension_get_info() first, before anything else, to
 * check compatibility; only then commerce_extension_init(), in which the
 * extension registers what it adds (CRT handlers and triggers, OData
 * operations and entity sets, schema migrations).
 *
 * Compatibility promise. ABI versions are MAJOR.MINOR. The host loads an
 * extension whose major equals its own and whose minor is not newer than its
 * own. Within a major: structs only grow at their end, every struct starts
 * with its own size, functions are only added at the end of the host table,
 * and enum values are only added. An extension built against 1.x therefore
 * loads unchanged into every later 1.y host. Host functions added after 1.0
 * are also found by name with commerce_host_api.get_function, which answers
 * NULL for a name the running host does not know.
 *
 * Strings are UTF-8 (pointer, length) slices, never NUL-terminated by
 * contract. A slice the host hands over is borrowed: valid only until the
 * callback that received it returns. Business data crosses as JSON with the
 * names of the consumer API and the CRT messages (see SDK/README.md).
 *
 * Memory. The extension never frees host memory and the host never frees
 * extension memory. Results go into host-owned output buffers through
 * api->buffer_append. Strings in structs the extension passes to the host
 * (registrations, info) are copied by the host before the call returns,
 * except the info struct itself, which must stay valid for the life of the
 * process (a static is the usual way).
 *
 * Errors. Every call answers a commerce_status. An extension that fails a
 * request returns a non-OK status and may describe it with
 * api->call_set_error; the host then fails that request with an OData error
 * naming the extension and rolls its transaction back. Nothing may unwind
 * across the boundary: catch C++ exceptions, Rust panics and Swift errors in
 * the extension.
 *
 * Threading. commerce_extension_get_info and commerce_extension_init run once, on
 * one thread, before the host serves. Handlers, triggers and operations run
 * on host threads and may run concurrently with themselves and each other, so
 * they must be thread-safe. A commerce_call handle and the buffers handed to
 * a callback are valid only during that callback and only on the thread that
 * runs it. The commerce_init handle is valid only during
 * commerce_extension_init. Never keep a handle past the call that gave it.
 *
 * This header is C99 and compiles as C++; it uses only <stddef.h> and
 * <stdint.h>.
 */
#ifndef COMMERCE_SDK_H
#define COMMERCE_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COMMERCE_ABI_MAJOR 1
#define COMMERCE_ABI_MINOR 2

/* Marks the two entry points for export; build the rest hidden
 * (-fvisibility=hidden) so two extensions' symbols never collide. */
#if defined(__GNUC__) || defined(__clang__)
#define COMMERCE_EXPORT __attribute__((visibility("default")))
#else
#define COMMERCE_EXPORT
#endif

/* ------------------------------------------------------------------ */
/* Basic types                                                        */
/* ------------------------------------------------------------------ */

/* Outcome of every call in both directions. Values are only ever added. */
typedef int32_t commerce_status;
enum {
    COMMERCE_OK = 0,
    /* The request or its data is invalid: the client gets 400. */
    COMMERCE_INVALID = 1,
    /* What the request names does not exist: 404. */
    COMMERCE_NOT_FOUND = 2,
    /* The request conflicts with the current state (e.g. out of stock): 409. */
    COMMERCE_CONFLICT = 3,
    /* The host refused an operation of the extension (e.g. a table outside
     * its manifest), or the extension refuses the caller: 403. */
    COMMERCE_DENIED = 4,
    /* The host does not support what was asked (unknown function, a
     * registration kind this host does not know). */
    COMMERCE_UNSUPPORTED = 5,
    /* Anything else went wrong: 500 naming the extension. */
    COMMERCE_FAILED = 6,
    /* Since 1.1, from a handler only: it does not handle this request. The
     * next handler runs with the request unchanged, as if the handler had
     * called api->call_next and answered its response, without the round
     * trip (the cheap way for an override to cover only some requests). */
    COMMERCE_DECLINED = 7
};

/* A UTF-8 string slice. */
typedef struct commerce_str {
    const char *data;
    size_t length;
} commerce_str;

/* Opaque handles owned by the host. */
typedef struct commerce_init commerce_init;     /* registration, during init only */
typedef struct commerce_call commerce_call;     /* one running request */
typedef struct commerce_buffer commerce_buffer; /* an output the host owns */

/* Levels for api->log. */
enum {
    COMMERCE_LOG_DEBUG = 0,
    COMMERCE_LOG_INFO = 1,
    COMMERCE_LOG_WARNING = 2,
    COMMERCE_LOG_ERROR = 3
};

/* Whether a new request type writes (runs in a write transaction). */
enum {
    COMMERCE_MODE_READ = 0,
    COMMERCE_MODE_WRITE = 1
};

/* Kinds of OData operation. */
enum {
    COMMERCE_OPERATION_ACTION = 0,   /* POST, may write */
    COMMERCE_OPERATION_FUNCTION = 1  /* GET, reads only */
};

/* ------------------------------------------------------------------ */
/* What the extension says about itself                               */
/* ------------------------------------------------------------------ */

typedef struct commerce_extension_info {
    uint32_t size;            /* sizeof(commerce_extension_info) */
    uint16_t abi_major;       /* COMMERCE_ABI_MAJOR the extension was built with */
    uint16_t abi_minor;       /* COMMERCE_ABI_MINOR the extension was built with */
    commerce_str name;        /* [a-z0-9_]+, unique among loaded extensions;
                                 its tables are named ext_<name>_... */
    commerce_str version;     /* the extension's own version, free text */
    /* Swift extensions: the Swift compiler version they were built with
     * (the host refuses a mismatch, Swift has no stable ABI on Linux).
     * Every other language: empty. */
    commerce_str swift_toolchain;
    /* Since 1.1. The manifest as JSON: {"readsTables": ["customers", ...]} names the
     * core tables the extension may read through the host. Its own ext_<name>_
     * tables it may always read and write. Empty means no core tables. */
    commerce_str manifest_json;
} commerce_extension_info;

/* ------------------------------------------------------------------ */
/* Callbacks the extension registers                                  */
/* ------------------------------------------------------------------ */

/* A CRT handler: answers the response JSON of a request into `response`.
 * An override of an existing request type may call api->call_next to run the
 * handler registered before it (the built-in one, or an earlier extension),
 * or return COMMERCE_DECLINED to leave the request to it. */
typedef commerce_status (*commerce_handler_fn)(void *user_data, commerce_call *call,
                                               commerce_str request_json,
                                               commerce_buffer *response);

/* A pre-trigger: runs before the handlers. A non-OK status vetoes the request
 * (COMMERCE_INVALID gives the client 400 with the message set by
 * api->call_set_error). */
typedef commerce_status (*commerce_pre_trigger_fn)(void *user_data, commerce_call *call,
                                                   commerce_str request_json);

/* A post-trigger: runs after the handlers with the request and response. To
 * change the response (e.g. add ExtensionProperties) it writes the whole new
 * response JSON into `response_out`; writing nothing keeps the response. */
typedef commerce_status (*commerce_post_trigger_fn)(void *user_data, commerce_call *call,
                                                    commerce_str request_json,
                                                    commerce_str response_json,
                                                    commerce_buffer *response_out);

/* An OData operation (bound or unbound action or function) or an entity set
 * read. `parameters_json` is an object: the operation's parameters by name;
 * for a bound operation also "Key", the key of the bound entity (absent when
 * bound to the whole set); for an entity set read "Key" (by key) or "Top" and
 * "Skip" (a page). The result is JSON: the return value of the operation, an
 * entity, or an array of entities for a page. */
typedef commerce_status (*commerce_operation_fn)(void *user_data, commerce_call *call,
                                                 commerce_str parameters_json,
                                                 commerce_buffer *result);

/* ------------------------------------------------------------------ */
/* Registrations (size-prefixed, passed to the api->register_* calls)  */
/* ------------------------------------------------------------------ */

/* A handler for a request type. An unknown type name declares a new request
 * type (with `mode`); a known one puts this handler in front of the chain. */
typedef struct commerce_handler_registration {
    uint32_t size;
    commerce_str request_type;   /* e.g. "CalculateTaxRequest" */
    uint32_t mode;               /* COMMERCE_MODE_*, for new types only */
    commerce_handler_fn handler;
    void *user_data;             /* handed back unchanged to the handler */
} commerce_handler_registration;

/* A trigger on a request type that already exists; exactly one of `pre` and
 * `post` is set. */
typedef struct commerce_trigger_registration {
    uint32_t size;
    commerce_str request_type;   /* e.g. "AddCartLinesRequest" */
    commerce_pre_trigger_fn pre;
    commerce_post_trigger_fn post;
    void *user_data;
} commerce_trigger_registration;

/* An OData action or function. It appears in $metadata and the service
 * document like the built-in ones. */
typedef struct commerce_operation_registration {
    uint32_t size;
    commerce_str name;           /* e.g. "GetLoyaltyPoints" */
    uint32_t kind;               /* COMMERCE_OPERATION_* */
    commerce_str bound_to;       /* an entity set name ("Customers") for a bound
                                    operation; empty for an unbound one */
    /* Parameters as JSON: [{"Name":"customerId","Type":"Edm.String"}, ...];
     * types are Edm primitive types. Empty for none. */
    commerce_str parameters_json;
    /* The return type: an Edm primitive type, an entity type name of the
     * model, "Collection(...)" of either, or empty for none. */
    commerce_str return_type;
    commerce_operation_fn handler;
    void *user_data;
    /* Since 1.1. Roles that may call it, JSON: ["Customer","Application",
     * "Employee","Anonymous"]. Empty (or a 1.0 extension) means Application
     * and Employee only. */
    commerce_str roles_json;
    /* Since 1.2. The scope an Application caller must also hold, e.g.
     * "loyalty.adjust"; an application without it gets 403 naming the scope.
     * An OAuth scope token: printable ASCII without spaces, quotes or
     * backslashes. Empty (or an older extension) means the Application role
     * is enough. Integrators grant it in auth.applications[].scopes or in
     * the application's token. */
    commerce_str application_scope;
} commerce_operation_registration;

/* A new, read-only entity set with its own entity type. */
typedef struct commerce_entity_set_registration {
    uint32_t size;
    commerce_str name;           /* the entity set, e.g. "LoyaltyTiers" */
    /* The entity type as JSON: {"Name":"LoyaltyTier","Key":"TierId",
     * "Properties":[{"Name":"TierId","Type":"Edm.String"}, ...]}. */
    commerce_str entity_type_json;
    commerce_str roles_json;     /* as for operations */
    commerce_operation_fn read;  /* answers one entity ("Key") or a page */
    void *user_data;
    commerce_str application_scope; /* since 1.2; as for operations */
} commerce_entity_set_registration;

/* One step of the extension's schema. Applied once per channel database, in
 * version order, tracked under the extension's name. It may create and alter
 * only tables named ext_<name>_... */
typedef struct commerce_migration {
    uint32_t size;
    uint32_t version;            /* 1, 2, ...: never reuse or change one */
    commerce_str description;
    commerce_str sqlite_sql;     /* statements for SQLite */
    commerce_str postgres_sql;   /* statements for PostgreSQL */
} commerce_migration;

/* ------------------------------------------------------------------ */
/* What the host offers                                               */
/* ------------------------------------------------------------------ */

typedef struct commerce_host_api {
    uint32_t size;               /* read only the members this size covers */
    uint16_t abi_major;          /* the host's ABI version */
    uint16_t abi_minor;

    /* Any host function by name ("commerce_buffer_append", ...), NULL when
     * this host does not have it. The way to use functions newer than the
     * minor an extension requires. */
    void *(*get_function)(commerce_str name);

    /* --- during commerce_extension_init only ----------------------- */
    commerce_status (*register_handler)(commerce_init *init, const commerce_handler_registration *registration);
    commerce_status (*register_trigger)(commerce_init *init, const commerce_trigger_registration *registration);
    commerce_status (*register_operation)(commerce_init *init, const commerce_operation_registration *registration);
    commerce_status (*register_migration)(commerce_init *init, const commerce_migration *migration);
    /* Why init fails, shown in the host's refusal message. */
    void (*init_set_error)(commerce_init *init, commerce_str message);

    /* --- during a callback ----------------------------------------- */
    /* Appends bytes to an output buffer. */
    commerce_status (*buffer_append)(commerce_buffer *buffer, const char *data, size_t length);
    /* A new empty buffer for the extension's own use (e.g. the rows of a
     * db_query), owned by the host and freed when the callback returns. */
    commerce_buffer *(*call_buffer)(commerce_call *call);
    /* The bytes of a buffer, to read what the host wrote into it; valid until
     * the buffer changes or the callback returns. */
    commerce_str (*buffer_view)(commerce_buffer *buffer);
    /* Describes the failure the callback is about to return. */
    void (*call_set_error)(commerce_call *call, commerce_str message);
    /* The call's context as JSON into `out`:
     * {"ChannelId":..,"OrgUnitNumber":"..","CurrencyCode":"..",
     *  "Caller":{"Role":"Customer","CustomerId":".."}}.
     * Role is Anonymous, Customer (with CustomerId), Application (with
     * ApplicationId) or Employee (with EmployeeId and StoreNumbers, the
     * operating unit numbers the employee may act for). Members may be added;
     * ignore the ones you do not know. */
    commerce_status (*call_context)(commerce_call *call, commerce_buffer *out);
    /* Runs the next handler of the chain with `request_json` (the request as
     * received, or changed); its response JSON goes to `response`. Only in
     * a handler. */
    commerce_status (*call_next)(commerce_call *call, commerce_str request_json, commerce_buffer *response);
    /* Runs another CRT request by type name in the same transaction. */
    commerce_status (*call_execute)(commerce_call *call, commerce_str request_type,
                                    commerce_str request_json, commerce_buffer *response);
    /* Runs a SQL statement that returns rows, in the request's transaction;
     * `?` placeholders, arguments as a JSON array of strings, integers, null.
     * Rows go to `rows` as a JSON array of objects by column name. Only the
     * tables the manifest grants: anything else is COMMERCE_DENIED. */
    commerce_status (*db_query)(commerce_call *call, commerce_str sql, commerce_str arguments_json,
                                commerce_buffer *rows);
    /* Runs a statement that returns no rows; `changes` gets the number of rows
     * changed (may be NULL). Same rules as db_query. */
    commerce_status (*db_execute)(commerce_call *call, commerce_str sql, commerce_str arguments_json,
                                  int64_t *changes);
    /* Writes to the host's log, tagged with the extension's name. Any thread;
     * `call` may be NULL. */
    void (*log)(commerce_call *call, int32_t level, commerce_str message);

    /* --- since 1.1 -------------------------------------------------- */
    /* A read-only entity set with its own entity type (during init only). */
    commerce_status (*register_entity_set)(commerce_init *init, const commerce_entity_set_registration *registration);
    /* The message of the last failed host call on this call (e.g. what a
     * denied statement tried) into `out`. */
    commerce_status (*call_last_error)(commerce_call *call, commerce_buffer *out);
} commerce_host_api;

/* ------------------------------------------------------------------ */
/* Entry points the extension exports                                 */
/* ------------------------------------------------------------------ */

typedef const commerce_extension_info *(*commerce_extension_info_fn)(void);
typedef commerce_status (*commerce_extension_init_fn)(const commerce_host_api *api, commerce_init *init,
                                                      commerce_str config_json);

#define COMMERCE_EXTENSION_INFO_SYMBOL "commerce_extension_get_info"
#define COMMERCE_EXTENSION_INIT_SYMBOL "commerce_extension_init"

/* Convenience: a slice of (data, length), and of a string literal. */
static inline commerce_str commerce_str_make(const char *data, size_t length) {
    commerce_str slice;
    slice.data = data;
    slice.length = length;
    return slice;
}
#define COMMERCE_STR(literal) commerce_str_make((literal), sizeof(literal) - 1)
/* The same as an initializer, for static structs such as the info. */
#define COMMERCE_STR_INIT(literal) { (literal), sizeof(literal) - 1 }

#ifdef __cplusplus
}
#endif

#endif /* COMMERCE_SDK_H */
