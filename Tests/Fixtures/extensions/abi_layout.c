/* Prints the offset and size of every field of the ABI structs. When the header grows, add
 * its new fields here and record the new minor's layout in SDK/abi/. */
#include <commerce_sdk.h>
#include <stddef.h>
#include <stdio.h>

#define FIELD(type, field) printf("%s.%s %zu %zu\n", #type, #field, offsetof(type, field), sizeof(((type *)0)->field))

int main(void) {
    printf("commerce_str size %zu\n", sizeof(commerce_str));
    FIELD(commerce_str, data);
    FIELD(commerce_str, length);
    printf("commerce_extension_info size %zu\n", sizeof(commerce_extension_info));
    FIELD(commerce_extension_info, size);
    FIELD(commerce_extension_info, abi_major);
    FIELD(commerce_extension_info, abi_minor);
    FIELD(commerce_extension_info, name);
    FIELD(commerce_extension_info, version);
    FIELD(commerce_extension_info, swift_toolchain);
    FIELD(commerce_extension_info, manifest_json);
    printf("commerce_handler_registration size %zu\n", sizeof(commerce_handler_registration));
    FIELD(commerce_handler_registration, size);
    FIELD(commerce_handler_registration, request_type);
    FIELD(commerce_handler_registration, mode);
    FIELD(commerce_handler_registration, handler);
    FIELD(commerce_handler_registration, user_data);
    printf("commerce_trigger_registration size %zu\n", sizeof(commerce_trigger_registration));
    FIELD(commerce_trigger_registration, size);
    FIELD(commerce_trigger_registration, request_type);
    FIELD(commerce_trigger_registration, pre);
    FIELD(commerce_trigger_registration, post);
    FIELD(commerce_trigger_registration, user_data);
    printf("commerce_operation_registration size %zu\n", sizeof(commerce_operation_registration));
    FIELD(commerce_operation_registration, size);
    FIELD(commerce_operation_registration, name);
    FIELD(commerce_operation_registration, kind);
    FIELD(commerce_operation_registration, bound_to);
    FIELD(commerce_operation_registration, parameters_json);
    FIELD(commerce_operation_registration, return_type);
    FIELD(commerce_operation_registration, handler);
    FIELD(commerce_operation_registration, user_data);
    FIELD(commerce_operation_registration, roles_json);
    FIELD(commerce_operation_registration, application_scope);
    printf("commerce_entity_set_registration size %zu\n", sizeof(commerce_entity_set_registration));
    FIELD(commerce_entity_set_registration, size);
    FIELD(commerce_entity_set_registration, name);
    FIELD(commerce_entity_set_registration, entity_type_json);
    FIELD(commerce_entity_set_registration, roles_json);
    FIELD(commerce_entity_set_registration, read);
    FIELD(commerce_entity_set_registration, user_data);
    FIELD(commerce_entity_set_registration, application_scope);
    printf("commerce_migration size %zu\n", sizeof(commerce_migration));
    FIELD(commerce_migration, size);
    FIELD(commerce_migration, version);
    FIELD(commerce_migration, description);
    FIELD(commerce_migration, sqlite_sql);
    FIELD(commerce_migration, postgres_sql);
    printf("commerce_host_api size %zu\n", sizeof(commerce_host_api));
    FIELD(commerce_host_api, size);
    FIELD(commerce_host_api, abi_major);
    FIELD(commerce_host_api, abi_minor);
    FIELD(commerce_host_api, get_function);
    FIELD(commerce_host_api, register_handler);
    FIELD(commerce_host_api, register_trigger);
    FIELD(commerce_host_api, register_operation);
    FIELD(commerce_host_api, register_migration);
    FIELD(commerce_host_api, init_set_error);
    FIELD(commerce_host_api, buffer_append);
    FIELD(commerce_host_api, call_buffer);
    FIELD(commerce_host_api, buffer_view);
    FIELD(commerce_host_api, call_set_error);
    FIELD(commerce_host_api, call_context);
    FIELD(commerce_host_api, call_next);
    FIELD(commerce_host_api, call_execute);
    FIELD(commerce_host_api, db_query);
    FIELD(commerce_host_api, db_execute);
    FIELD(commerce_host_api, log);
    FIELD(commerce_host_api, register_entity_set);
    FIELD(commerce_host_api, call_last_error);
    return 0;
}
