/*
 * common/protocol/configs.c -- DescribeConfigs codec (see configs.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/configs.h"

static void io_describeconfigs_req(kn_io_t *io, kn_describeconfigs_req_t *m)
{
    /* type, name, null key list = 7 bytes */
    KN_IO_ARRAY(io, m->resources, m->n_resources, 7, false);
    for (int32_t i = 0; i < kn_io_count(m->n_resources) && kn_io_ok(io); i++) {
        kn_describeconfigs_resource_t *res = &m->resources[i];
        kn_io_i8(io, &res->resource_type);
        kn_io_str(io, &res->resource_name);
        kn_io_str_array(io, &res->configuration_keys, &res->n_configuration_keys, true);
    }
    kn_io_bool_if(io, io->ver >= 1, &m->include_synonyms, false);
}

static void io_describeconfigs_entry(kn_io_t *io, kn_describeconfigs_entry_t *c)
{
    kn_io_str(io, &c->name);
    kn_io_nstr(io, &c->value);
    kn_io_bool(io, &c->read_only);
    if (io->ver == 0) {
        /* v0 has is_default instead of config_source. */
        if (io->w && !c->is_default && c->config_source == KN_CONFIG_SOURCE_DEFAULT) {
            bool yes = true;
            kn_io_bool(io, &yes);
        } else {
            kn_io_bool(io, &c->is_default);
        }
        if (io->r) {
            c->config_source = -1;
        }
    } else {
        kn_io_i8(io, &c->config_source);
        if (io->r) {
            c->is_default = c->config_source == KN_CONFIG_SOURCE_DEFAULT;
        }
    }
    kn_io_bool(io, &c->is_sensitive);
    if (io->ver >= 1) {
        KN_IO_ARRAY(io, c->synonyms, c->n_synonyms, 5, false);
        for (int32_t i = 0; i < kn_io_count(c->n_synonyms) && kn_io_ok(io); i++) {
            kn_io_str(io, &c->synonyms[i].name);
            kn_io_nstr(io, &c->synonyms[i].value);
            kn_io_i8(io, &c->synonyms[i].source);
        }
    }
}

static void io_describeconfigs_resp(kn_io_t *io, kn_describeconfigs_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    /* error, null message, type, name, empty configs = 11 bytes */
    KN_IO_ARRAY(io, m->results, m->n_results, 11, false);
    for (int32_t i = 0; i < kn_io_count(m->n_results) && kn_io_ok(io); i++) {
        kn_describeconfigs_result_t *res = &m->results[i];
        kn_io_i16(io, &res->error_code);
        kn_io_nstr(io, &res->error_message);
        kn_io_i8(io, &res->resource_type);
        kn_io_str(io, &res->resource_name);
        /* name, null value, three flags/source = 7 bytes (v0 and v1+ alike
         * give at least that; v1+ adds the synonym count) */
        KN_IO_ARRAY(io, res->configs, res->n_configs, 7, false);
        for (int32_t j = 0; j < kn_io_count(res->n_configs) && kn_io_ok(io); j++) {
            io_describeconfigs_entry(io, &res->configs[j]);
        }
    }
}

KN_PROTO_DEFINE(describeconfigs, KN_API_DESCRIBE_CONFIGS, KN_DESCRIBECONFIGS_MIN,
                KN_DESCRIBECONFIGS_MAX)
