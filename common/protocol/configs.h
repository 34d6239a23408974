/*
 * common/protocol/configs.h -- DescribeConfigs (key 32), versions 0-2.
 *
 * v0 marks defaults with is_default; v1+ says where each value comes from
 * (config_source) and may list synonyms. Encoding a v0 response derives
 * is_default from config_source when the caller sets only the latter.
 */
#ifndef KN_PROTOCOL_CONFIGS_H
#define KN_PROTOCOL_CONFIGS_H

#include "protocol/api.h"

#define KN_DESCRIBECONFIGS_MIN 0
#define KN_DESCRIBECONFIGS_MAX 2

/* Resource types (shared with the ACL APIs). */
#define KN_RESOURCE_UNKNOWN 0
#define KN_RESOURCE_ANY     1
#define KN_RESOURCE_TOPIC   2
#define KN_RESOURCE_GROUP   3
#define KN_RESOURCE_BROKER  4

/* config_source values (v1+). */
#define KN_CONFIG_SOURCE_UNKNOWN                 0
#define KN_CONFIG_SOURCE_DYNAMIC_TOPIC           1
#define KN_CONFIG_SOURCE_DYNAMIC_BROKER          2
#define KN_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER  3
#define KN_CONFIG_SOURCE_STATIC_BROKER           4
#define KN_CONFIG_SOURCE_DEFAULT                 5

typedef struct {
    int8_t      resource_type;
    kn_slice_t  resource_name;
    int32_t     n_configuration_keys;   /* -1 = null: all keys */
    kn_slice_t *configuration_keys;
} kn_describeconfigs_resource_t;

typedef struct {
    int32_t                        n_resources;
    kn_describeconfigs_resource_t *resources;
    bool                           include_synonyms;   /* v1+ */
} kn_describeconfigs_req_t;

typedef struct {
    kn_slice_t name;
    kn_slice_t value;                   /* nullable */
    int8_t     source;
} kn_describeconfigs_synonym_t;

typedef struct {
    kn_slice_t                    name;
    kn_slice_t                    value;          /* nullable (sensitive) */
    bool                          read_only;
    bool                          is_default;     /* v0 only */
    int8_t                        config_source;  /* v1+, default -1 */
    bool                          is_sensitive;
    int32_t                       n_synonyms;     /* v1+ */
    kn_describeconfigs_synonym_t *synonyms;
} kn_describeconfigs_entry_t;

typedef struct {
    int16_t                     error_code;
    kn_slice_t                  error_message;   /* nullable */
    int8_t                      resource_type;
    kn_slice_t                  resource_name;
    int32_t                     n_configs;
    kn_describeconfigs_entry_t *configs;
} kn_describeconfigs_result_t;

typedef struct {
    int32_t                      throttle_time_ms;
    int32_t                      n_results;
    kn_describeconfigs_result_t *results;
} kn_describeconfigs_resp_t;

KN_PROTO_DECLARE(describeconfigs);

#endif /* KN_PROTOCOL_CONFIGS_H */
