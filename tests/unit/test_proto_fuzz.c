/*
 * tests/unit/test_proto_fuzz.c -- hostile input for the decoders.
 *
 * Valid messages of several APIs are encoded, then every byte is in turn
 * overwritten with 0x00, 0x7f, 0x80 and 0xff (turning lengths and counts
 * negative, huge or zero) and the result decoded from an exact-size heap
 * copy. A decoder must answer KN_OK or KN_ERROR without reading outside
 * the frame (ASan builds check that); whatever it accepts must encode
 * again. A deterministic pseudo-random pass then flips bytes in bulk.
 */
#include "config.h"

#include "test_proto_util.h"

typedef void (*enc_fn)(kn_wbuf_t *w, int16_t ver, const void *in);

typedef struct {
    const char       *name;
    enc_fn            enc;
    kn_test_decode_fn dec;
    size_t            size;
    const void       *sample;
    int16_t           lo, hi;
} fuzz_case_t;

#define CODEC(short, name)                                                                  \
    KN_TEST_ENCODER(enc_##short##_req, kn_proto_##name##_req_encode, kn_##name##_req_t)     \
    KN_TEST_DECODER(dec_##short##_req, kn_proto_##name##_req_decode, kn_##name##_req_t)     \
    KN_TEST_ENCODER(enc_##short##_resp, kn_proto_##name##_resp_encode, kn_##name##_resp_t)  \
    KN_TEST_DECODER(dec_##short##_resp, kn_proto_##name##_resp_decode, kn_##name##_resp_t)

CODEC(av, apiversions)
CODEC(md, metadata)
CODEC(pr, produce)
CODEC(fe, fetch)
CODEC(lo, listoffsets)
CODEC(ct, createtopics)
CODEC(dc, describeconfigs)
CODEC(jg, joingroup)
CODEC(dg, describegroups)
CODEC(of, offsetfetch)
CODEC(oc, offsetcommit)

static const uint8_t blob[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static int32_t nodes[] = { 1, 2, 3 };

static kn_apiversions_key_t av_keys[] = { { 0, 3, 7 }, { 18, 0, 3 } };
static const kn_apiversions_req_t av_req = { { (const uint8_t *)"kanal", 5 },
                                             { (const uint8_t *)"1.0", 3 } };
static const kn_apiversions_resp_t av_resp = { 0, 2, av_keys, 0 };

static kn_slice_t md_names[] = { { (const uint8_t *)"a", 1 }, { (const uint8_t *)"bc", 2 } };
static const kn_metadata_req_t md_req = { 2, md_names, true, false, false };
static kn_metadata_broker_t md_brokers[] = { { 1, { (const uint8_t *)"h", 1 }, 9092,
                                               { (const uint8_t *)"r", 1 } } };
static kn_metadata_partition_t md_parts[] = { { 0, 0, 1, 0, 3, nodes, 2, nodes, 1, nodes } };
static kn_metadata_topic_t md_topics[] = { { 0, { (const uint8_t *)"t", 1 }, false, 1, md_parts,
                                             0 } };
static const kn_metadata_resp_t md_resp = { 0, 1, md_brokers, { (const uint8_t *)"c", 1 }, 1, 1,
                                            md_topics, 0 };

static kn_produce_req_partition_t pr_parts[] = { { 0, { blob, 9 } }, { 1, { NULL, -1 } } };
static kn_produce_req_topic_t pr_topics[] = { { { (const uint8_t *)"t", 1 }, 2, pr_parts } };
static const kn_produce_req_t pr_req = { { NULL, -1 }, 1, 1000, 1, pr_topics };
static kn_produce_resp_partition_t pr_rparts[] = { { 0, 0, 5, -1, 0 } };
static kn_produce_resp_topic_t pr_rtopics[] = { { { (const uint8_t *)"t", 1 }, 1, pr_rparts } };
static const kn_produce_resp_t pr_resp = { 1, pr_rtopics, 0 };

static kn_fetch_req_partition_t fe_parts[] = { { 0, -1, 10, -1, 1000 } };
static kn_fetch_req_topic_t fe_topics[] = { { { (const uint8_t *)"t", 1 }, 1, fe_parts } };
static kn_fetch_forgotten_t fe_forgot[] = { { { (const uint8_t *)"x", 1 }, 2, nodes } };
static const kn_fetch_req_t fe_req = { -1, 100, 1, 1000, 0, 0, -1, 1, fe_topics, 1, fe_forgot,
                                       { (const uint8_t *)"r", 1 } };
static kn_fetch_aborted_t fe_ab[] = { { 1, 2 } };
static kn_fetch_resp_partition_t fe_rparts[] = {
    { 0, 0, 10, 10, 0, 1, fe_ab, -1, { blob, 9 }, false, 0, NULL },
};
static kn_fetch_resp_topic_t fe_rtopics[] = { { { (const uint8_t *)"t", 1 }, 1, fe_rparts } };
static const kn_fetch_resp_t fe_resp = { 0, 0, 0, 1, fe_rtopics, NULL, NULL };

static kn_listoffsets_req_partition_t lo_parts[] = { { 0, -1 } };
static kn_listoffsets_req_topic_t lo_topics[] = { { { (const uint8_t *)"t", 1 }, 1, lo_parts } };
static const kn_listoffsets_req_t lo_req = { -1, 0, 1, lo_topics };
static kn_listoffsets_resp_partition_t lo_rparts[] = { { 0, 0, -1, 7 } };
static kn_listoffsets_resp_topic_t lo_rtopics[] = { { { (const uint8_t *)"t", 1 }, 1, lo_rparts } };
static const kn_listoffsets_resp_t lo_resp = { 0, 1, lo_rtopics };

static kn_config_entry_t ct_cfg[] = { { { (const uint8_t *)"k", 1 }, { (const uint8_t *)"v", 1 } } };
static kn_createtopics_assignment_t ct_as[] = { { 0, 3, nodes } };
static kn_createtopics_topic_t ct_topics[] = { { { (const uint8_t *)"t", 1 }, -1, -1, 1, ct_as, 1,
                                                 ct_cfg } };
static const kn_createtopics_req_t ct_req = { 1, ct_topics, 1000, false };
static kn_createtopics_result_t ct_res[] = { { { (const uint8_t *)"t", 1 }, 0, { NULL, -1 } } };
static const kn_createtopics_resp_t ct_resp = { 0, 1, ct_res };

static kn_describeconfigs_resource_t dc_res[] = { { 2, { (const uint8_t *)"t", 1 }, 1, md_names } };
static const kn_describeconfigs_req_t dc_req = { 1, dc_res, true };
static kn_describeconfigs_synonym_t dc_syn[] = { { { (const uint8_t *)"s", 1 }, { NULL, -1 }, 4 } };
static kn_describeconfigs_entry_t dc_cfg[] = { { { (const uint8_t *)"k", 1 }, { (const uint8_t *)"v", 1 },
                                                 false, false, 5, false, 1, dc_syn } };
static kn_describeconfigs_result_t dc_results[] = { { 0, { NULL, -1 }, 2, { (const uint8_t *)"t", 1 },
                                                      1, dc_cfg } };
static const kn_describeconfigs_resp_t dc_resp = { 0, 1, dc_results };

static kn_joingroup_protocol_t jg_protos[] = { { { (const uint8_t *)"range", 5 }, { blob, 9 } } };
static const kn_joingroup_req_t jg_req = { { (const uint8_t *)"g", 1 }, 1000, 2000,
                                           { (const uint8_t *)"", 0 }, { NULL, -1 },
                                           { (const uint8_t *)"consumer", 8 }, 1, jg_protos };
static kn_joingroup_member_t jg_members[] = { { { (const uint8_t *)"m", 1 }, { NULL, -1 },
                                                { blob, 9 } } };
static const kn_joingroup_resp_t jg_resp = { 0, 0, 1, { (const uint8_t *)"range", 5 },
                                             { (const uint8_t *)"m", 1 }, { (const uint8_t *)"m", 1 },
                                             1, jg_members };

static const kn_describegroups_req_t dg_req = { 2, md_names, false };
static kn_describegroups_member_t dg_members[] = {
    { { (const uint8_t *)"m", 1 }, { NULL, -1 }, { (const uint8_t *)"c", 1 },
      { (const uint8_t *)"h", 1 }, { blob, 9 }, { blob, 2 } },
};
static kn_describegroups_group_t dg_groups[] = {
    { 0, { (const uint8_t *)"g", 1 }, { (const uint8_t *)"Stable", 6 }, { (const uint8_t *)"consumer", 8 },
      { (const uint8_t *)"range", 5 }, 1, dg_members, 0 },
};
static const kn_describegroups_resp_t dg_resp = { 0, 1, dg_groups };

static kn_offsetfetch_req_topic_t of_topics[] = { { { (const uint8_t *)"t", 1 }, 3, nodes } };
static const kn_offsetfetch_req_t of_req = { { (const uint8_t *)"g", 1 }, 1, of_topics };
static kn_offsetfetch_resp_partition_t of_rparts[] = { { 0, 5, -1, { (const uint8_t *)"m", 1 }, 0 } };
static kn_offsetfetch_resp_topic_t of_rtopics[] = { { { (const uint8_t *)"t", 1 }, 1, of_rparts } };
static const kn_offsetfetch_resp_t of_resp = { 0, 1, of_rtopics, 0 };

static kn_offsetcommit_req_partition_t oc_parts[] = { { 0, 5, -1, { (const uint8_t *)"m", 1 } } };
static kn_offsetcommit_req_topic_t oc_topics[] = { { { (const uint8_t *)"t", 1 }, 1, oc_parts } };
static const kn_offsetcommit_req_t oc_req = { { (const uint8_t *)"g", 1 }, 1, { (const uint8_t *)"m", 1 },
                                              { NULL, -1 }, -1, 1, oc_topics };
static kn_offsetcommit_resp_partition_t oc_rparts[] = { { 0, 0 } };
static kn_offsetcommit_resp_topic_t oc_rtopics[] = { { { (const uint8_t *)"t", 1 }, 1, oc_rparts } };
static const kn_offsetcommit_resp_t oc_resp = { 0, 1, oc_rtopics };

#define CASE(short, api, LO, HI)                                                          \
    { #api " request", enc_##short##_req, dec_##short##_req, sizeof(kn_##api##_req_t),    \
      &short##_req, LO, HI },                                                             \
    { #api " response", enc_##short##_resp, dec_##short##_resp, sizeof(kn_##api##_resp_t), \
      &short##_resp, LO, HI }

static const fuzz_case_t cases[] = {
    CASE(av, apiversions, KN_APIVERSIONS_MIN, KN_APIVERSIONS_MAX),
    CASE(md, metadata, KN_METADATA_MIN, KN_METADATA_MAX),
    CASE(pr, produce, KN_PRODUCE_MIN, KN_PRODUCE_MAX),
    CASE(fe, fetch, KN_FETCH_MIN, KN_FETCH_MAX),
    CASE(lo, listoffsets, KN_LISTOFFSETS_MIN, KN_LISTOFFSETS_MAX),
    CASE(ct, createtopics, KN_CREATETOPICS_MIN, KN_CREATETOPICS_MAX),
    CASE(dc, describeconfigs, KN_DESCRIBECONFIGS_MIN, KN_DESCRIBECONFIGS_MAX),
    CASE(jg, joingroup, KN_JOINGROUP_MIN, KN_JOINGROUP_MAX),
    CASE(dg, describegroups, KN_DESCRIBEGROUPS_MIN, KN_DESCRIBEGROUPS_MAX),
    CASE(of, offsetfetch, KN_OFFSETFETCH_MIN, KN_OFFSETFETCH_MAX),
    CASE(oc, offsetcommit, KN_OFFSETCOMMIT_MIN, KN_OFFSETCOMMIT_MAX),
};

/* Decode a mutated frame; if accepted, it must also encode. Returns the
 * decoder's verdict. */
static int try_frame(const fuzz_case_t *c, const uint8_t *frame, size_t len, int16_t ver)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, frame, len);
    void *out = calloc(1, c->size);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, copy, len);
    int rc = c->dec(&r, ver, out, &a);
    assert_true(rc == KN_OK || rc == KN_ERROR);
    assert_true(r.pos <= r.end);
    if (rc == KN_OK) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 0);
        c->enc(&w, ver, out);
        kn_wbuf_free(&w);
    }
    kn_arena_free(&a);
    free(out);
    free(copy);
    return rc;
}

static void test_byte_overwrites(void **state)
{
    (void)state;
    static const uint8_t values[] = { 0x00, 0x7f, 0x80, 0xff };
    size_t rejected = 0;
    for (size_t i = 0; i < KN_ARRAY_LEN(cases); i++) {
        const fuzz_case_t *c = &cases[i];
        for (int16_t v = c->lo; v <= c->hi; v++) {
            kn_wbuf_t w;
            kn_wbuf_init(&w, 0);
            c->enc(&w, v, c->sample);
            assert_int_equal(try_frame(c, w.data, w.len, v), KN_OK);
            for (size_t pos = 0; pos < w.len; pos++) {
                uint8_t saved = w.data[pos];
                for (size_t k = 0; k < KN_ARRAY_LEN(values); k++) {
                    w.data[pos] = values[k];
                    if (try_frame(c, w.data, w.len, v) == KN_ERROR) {
                        rejected++;
                    }
                }
                w.data[pos] = saved;
            }
            kn_wbuf_free(&w);
        }
    }
    /* Plenty of the mutations break a length or count. */
    assert_true(rejected > 100);
}

static void test_random_flips(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (size_t i = 0; i < KN_ARRAY_LEN(cases); i++) {
        const fuzz_case_t *c = &cases[i];
        for (int16_t v = c->lo; v <= c->hi; v++) {
            kn_wbuf_t w;
            kn_wbuf_init(&w, 0);
            c->enc(&w, v, c->sample);
            for (int round = 0; round < 200 && w.len > 0; round++) {
                uint8_t *frame = malloc(w.len);
                memcpy(frame, w.data, w.len);
                for (int f = 0; f < 3; f++) {
                    seed = seed * 1103515245u + 12345u;
                    frame[(seed >> 8) % w.len] = (uint8_t)(seed >> 16);
                }
                (void)try_frame(c, frame, w.len, v);
                free(frame);
            }
            kn_wbuf_free(&w);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_overwrites),
        cmocka_unit_test(test_random_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
