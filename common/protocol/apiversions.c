/*
 * common/protocol/apiversions.c -- ApiVersions codec (see apiversions.h).
 */
#include "config.h"
#include "protocol/apiversions.h"
#include "protocol/codec.h"

static void io_apiversions_req(kn_io_t *io, kn_apiversions_req_t *m)
{
    kn_io_str_if(io, io->ver >= 3, &m->client_software_name);
    kn_io_str_if(io, io->ver >= 3, &m->client_software_version);
    kn_io_tags(io);
}

static void io_apiversions_resp(kn_io_t *io, kn_apiversions_resp_t *m)
{
    kn_io_i16(io, &m->error_code);
    /* An entry is 6 bytes, plus its tag byte when flexible. */
    KN_IO_ARRAY(io, m->api_keys, m->n_api_keys, io->flex ? 7 : 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_api_keys) && kn_io_ok(io); i++) {
        kn_apiversions_key_t *k = &m->api_keys[i];
        kn_io_i16(io, &k->api_key);
        kn_io_i16(io, &k->min_version);
        kn_io_i16(io, &k->max_version);
        kn_io_tags(io);
    }
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_tags(io);
}

KN_PROTO_DEFINE(apiversions, KN_API_API_VERSIONS, KN_APIVERSIONS_MIN, KN_APIVERSIONS_MAX)

static bool kn_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool kn_proto_apiversions_name_valid(kn_slice_t s)
{
    if (s.len <= 0 || !kn_alnum(s.ptr[0]) || !kn_alnum(s.ptr[s.len - 1])) {
        return false;
    }
    for (int32_t i = 1; i < s.len - 1; i++) {
        if (!kn_alnum(s.ptr[i]) && s.ptr[i] != '-' && s.ptr[i] != '.') {
            return false;
        }
    }
    return true;
}

int32_t kn_proto_apiversions_fill(kn_apiversions_key_t *out, int32_t cap,
                                  bool (*has_handler)(int16_t key, void *arg), void *arg)
{
    size_t n = 0;
    const kn_api_range_t *t = kn_proto_api_table(&n);
    int32_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        if (!t[i].has_codec || (has_handler != NULL && !has_handler(t[i].key, arg))) {
            continue;
        }
        out[k].api_key = t[i].key;
        out[k].min_version = t[i].min;
        out[k].max_version = t[i].max;
        k++;
    }
    return k;
}
