/*
 * tests/unit/test_errors.c -- Kafka error code names and retriability
 * (common/errors.h). The numbers are the protocol's; a drifted name or
 * retriable flag changes what clients do, so pin a representative few.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kn.h"

static void test_names(void **state)
{
    assert_string_equal(kn_err_name(KN_ERR_NONE), "NONE");
    assert_string_equal(kn_err_name(KN_ERR_UNKNOWN_SERVER_ERROR), "UNKNOWN_SERVER_ERROR");
    assert_string_equal(kn_err_name(KN_ERR_CORRUPT_MESSAGE), "CORRUPT_MESSAGE");
    assert_string_equal(kn_err_name(KN_ERR_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
    assert_string_equal(kn_err_name(KN_ERR_TOPIC_ALREADY_EXISTS), "TOPIC_ALREADY_EXISTS");
    assert_string_equal(kn_err_name(KN_ERR_UNSUPPORTED_VERSION), "UNSUPPORTED_VERSION");
    assert_string_equal(kn_err_name(KN_ERR_FENCED_LEADER_EPOCH), "FENCED_LEADER_EPOCH");
    assert_string_equal(kn_err_name(KN_ERR_INVALID_REGISTRATION), "INVALID_REGISTRATION");
    assert_string_equal(kn_err_name(-2), "UNKNOWN");
    assert_string_equal(kn_err_name(10000), "UNKNOWN");
}

static void test_numbers(void **state)
{
    /* Wire values fixed by the protocol. */
    assert_int_equal(KN_ERR_NONE, 0);
    assert_int_equal(KN_ERR_NONE, KN_OK);
    assert_int_equal(KN_ERR_OFFSET_OUT_OF_RANGE, 1);
    assert_int_equal(KN_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    assert_int_equal(KN_ERR_INVALID_CONFIG, 40);
    assert_int_equal(KN_ERR_KAFKA_STORAGE_ERROR, 56);
    assert_int_equal(KN_ERR_UNKNOWN_TOPIC_ID, 100);
}

static void test_table_complete(void **state)
{
    /* Every code from -1 to the last has a name, so none was skipped. */
    for (int c = -1; c <= KN_ERR_INVALID_REGISTRATION; c++) {
        if (strcmp(kn_err_name(c), "UNKNOWN") == 0) {
            fail_msg("error code %d has no name", c);
        }
    }
}

static void test_retriable(void **state)
{
    assert_true(kn_err_retriable(KN_ERR_NOT_LEADER_OR_FOLLOWER));
    assert_true(kn_err_retriable(KN_ERR_LEADER_NOT_AVAILABLE));
    assert_true(kn_err_retriable(KN_ERR_REQUEST_TIMED_OUT));
    assert_true(kn_err_retriable(KN_ERR_NOT_ENOUGH_REPLICAS));
    assert_true(kn_err_retriable(KN_ERR_COORDINATOR_LOAD_IN_PROGRESS));
    assert_true(kn_err_retriable(KN_ERR_CORRUPT_MESSAGE));
    assert_true(kn_err_retriable(KN_ERR_UNKNOWN_TOPIC_OR_PARTITION));
    assert_false(kn_err_retriable(KN_ERR_NONE));
    assert_false(kn_err_retriable(KN_ERR_UNKNOWN_SERVER_ERROR));
    assert_false(kn_err_retriable(KN_ERR_MESSAGE_TOO_LARGE));
    assert_false(kn_err_retriable(KN_ERR_TOPIC_AUTHORIZATION_FAILED));
    assert_false(kn_err_retriable(KN_ERR_INVALID_CONFIG));
    assert_false(kn_err_retriable(KN_ERR_TOPIC_ALREADY_EXISTS));
    assert_false(kn_err_retriable(9999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_retriable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
