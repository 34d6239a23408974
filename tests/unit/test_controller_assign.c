/*
 * tests/unit/test_controller_assign.c -- the controller's decision rules
 * (controller/assign.c) as pure functions: first state of a partition,
 * leader election on broker death and return, the never-empty ISR,
 * unclean election, controlled-shutdown moves, preferred-leader election,
 * AlterIsr validation and replica assignment.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "controller/controller.h"

static kn_ctl_ids_t ids(int n, ...)
{
    kn_ctl_ids_t s = {0};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        kn_ctl_ids_add(&s, (int32_t)va_arg(ap, int));
    va_end(ap);
    return s;
}

static void part_new(kn_ctl_part_t *p, int nrep, const int32_t *reps)
{
    memset(p, 0, sizeof *p);
    kn_ctl_ids_set(&p->replicas, reps, nrep);
    p->leader = -1;
    p->zk_version = -1;
}

static void part_free(kn_ctl_part_t *p)
{
    kn_ctl_ids_free(&p->replicas);
    kn_ctl_ids_free(&p->isr);
}

static void assert_isr(const kn_ctl_part_t *p, int n, const int32_t *want)
{
    assert_int_equal(p->isr.n, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(p->isr.v[i], want[i]);
}

static void test_ids(void **state)
{
    kn_ctl_ids_t a = ids(3, 5, 1, 5);
    assert_int_equal(a.n, 2);                 /* no duplicates */
    assert_true(kn_ctl_ids_has(&a, 1));
    assert_false(kn_ctl_ids_has(&a, 2));
    assert_true(kn_ctl_ids_remove(&a, 5));
    assert_false(kn_ctl_ids_remove(&a, 5));
    assert_int_equal(a.v[0], 1);
    kn_ctl_ids_t b = {0};
    kn_ctl_ids_copy(&b, &a);
    assert_true(kn_ctl_ids_equal(&a, &b));
    kn_ctl_ids_add(&b, 9);
    assert_false(kn_ctl_ids_equal(&a, &b));
    kn_ctl_ids_free(&a);
    kn_ctl_ids_free(&b);
}

static void test_init_state(void **state)
{
    const int32_t reps[] = { 3, 1, 2 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);

    /* ISR = live replicas in assignment order; leader the first of them. */
    kn_ctl_ids_t live = ids(2, 1, 2);
    kn_ctl_part_init_state(&p, &live);
    assert_int_equal(p.leader, 1);
    assert_int_equal(p.leader_epoch, 0);
    assert_isr(&p, 2, (int32_t[]){ 1, 2 });
    kn_ctl_ids_free(&live);

    /* No live replica: offline, and the ISR is every replica, never empty. */
    live = ids(1, 7);
    kn_ctl_part_init_state(&p, &live);
    assert_int_equal(p.leader, -1);
    assert_isr(&p, 3, reps);
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_leader_death_elects_from_isr(void **state)
{
    const int32_t reps[] = { 1, 2, 3 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_t live = ids(3, 1, 2, 3);
    kn_ctl_part_init_state(&p, &live);
    /* 2 fell out of the ISR earlier. */
    kn_ctl_ids_remove(&p.isr, 2);

    /* Leader 1 dies: 2 is live but not in the ISR, so 3 leads. */
    kn_ctl_ids_remove(&live, 1);
    assert_true(kn_ctl_part_reconcile(&p, &live, false));
    assert_int_equal(p.leader, 3);
    assert_int_equal(p.leader_epoch, 1);
    assert_isr(&p, 1, (int32_t[]){ 3 });

    /* Nothing changed: nothing to do, epoch unchanged. */
    assert_false(kn_ctl_part_reconcile(&p, &live, false));
    assert_int_equal(p.leader_epoch, 1);
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_follower_death_shrinks_isr(void **state)
{
    const int32_t reps[] = { 1, 2, 3 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_t live = ids(3, 1, 2, 3);
    kn_ctl_part_init_state(&p, &live);

    kn_ctl_ids_remove(&live, 2);
    assert_true(kn_ctl_part_reconcile(&p, &live, false));
    assert_int_equal(p.leader, 1);
    assert_int_equal(p.leader_epoch, 1);
    assert_isr(&p, 2, (int32_t[]){ 1, 3 });
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_last_isr_member_dies_goes_offline(void **state)
{
    const int32_t reps[] = { 1, 2 };
    kn_ctl_part_t p;
    part_new(&p, 2, reps);
    kn_ctl_ids_t live = ids(1, 1);
    kn_ctl_part_init_state(&p, &live);      /* leader 1, isr [1] */
    assert_isr(&p, 1, (int32_t[]){ 1 });

    /* 2 comes up but is not in the ISR; then 1 dies. */
    kn_ctl_ids_t live2 = ids(1, 2);
    assert_true(kn_ctl_part_reconcile(&p, &live2, false));
    assert_int_equal(p.leader, -1);
    assert_int_equal(p.leader_epoch, 1);
    assert_isr(&p, 1, (int32_t[]){ 1 });    /* kept: never empty */

    /* Still offline on the next look: no change, no epoch bump. */
    assert_false(kn_ctl_part_reconcile(&p, &live2, false));
    assert_int_equal(p.leader_epoch, 1);

    /* 1 returns: it is in the ISR, so it leads again. */
    kn_ctl_ids_add(&live2, 1);
    assert_true(kn_ctl_part_reconcile(&p, &live2, false));
    assert_int_equal(p.leader, 1);
    assert_int_equal(p.leader_epoch, 2);
    assert_isr(&p, 1, (int32_t[]){ 1 });
    kn_ctl_ids_free(&live);
    kn_ctl_ids_free(&live2);
    part_free(&p);
}

static void test_unclean_election(void **state)
{
    const int32_t reps[] = { 1, 2, 3 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_t live = ids(1, 1);
    kn_ctl_part_init_state(&p, &live);      /* leader 1, isr [1] */
    kn_ctl_ids_free(&live);

    live = ids(2, 3, 2);
    assert_true(kn_ctl_part_reconcile(&p, &live, true));
    /* First live replica in assignment order, alone in the ISR. */
    assert_int_equal(p.leader, 2);
    assert_int_equal(p.leader_epoch, 1);
    assert_isr(&p, 1, (int32_t[]){ 2 });
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_assignment_order_wins(void **state)
{
    const int32_t reps[] = { 5, 4, 6 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_set(&p.isr, (int32_t[]){ 6, 4, 5 }, 3);
    p.leader = 5;
    p.zk_version = 0;
    kn_ctl_ids_t live = ids(2, 6, 4);
    assert_true(kn_ctl_part_reconcile(&p, &live, false));
    assert_int_equal(p.leader, 4);          /* 4 precedes 6 in the assignment */
    assert_isr(&p, 2, (int32_t[]){ 6, 4 }); /* ISR keeps its own order */
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_controlled_shutdown(void **state)
{
    const int32_t reps[] = { 1, 2, 3 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_t all = ids(3, 1, 2, 3);
    kn_ctl_part_init_state(&p, &all);

    /* Leader 1 leaves: 2 takes over, 1 leaves the ISR. */
    kn_ctl_ids_t live = ids(2, 2, 3);
    assert_int_equal(kn_ctl_part_move_leader(&p, 1, &live), 1);
    assert_int_equal(p.leader, 2);
    assert_int_equal(p.leader_epoch, 1);
    assert_isr(&p, 2, (int32_t[]){ 2, 3 });

    /* Follower 3 leaves: removed from the ISR. */
    kn_ctl_ids_t live2 = ids(1, 2);
    assert_int_equal(kn_ctl_part_move_leader(&p, 3, &live2), 1);
    assert_isr(&p, 1, (int32_t[]){ 2 });
    assert_int_equal(p.leader_epoch, 2);

    /* Leader 2 leaves but nobody else is in the ISR: cannot move. */
    kn_ctl_ids_t none = {0};
    assert_int_equal(kn_ctl_part_move_leader(&p, 2, &none), -1);
    assert_int_equal(p.leader, 2);
    assert_int_equal(p.leader_epoch, 2);

    /* A broker not involved: nothing to do. */
    assert_int_equal(kn_ctl_part_move_leader(&p, 9, &live), 0);
    kn_ctl_ids_free(&all);
    kn_ctl_ids_free(&live);
    kn_ctl_ids_free(&live2);
    part_free(&p);
}

static void test_preferred_leader(void **state)
{
    const int32_t reps[] = { 1, 2 };
    kn_ctl_part_t p;
    part_new(&p, 2, reps);
    kn_ctl_ids_set(&p.isr, (int32_t[]){ 2 }, 1);
    p.leader = 2;
    p.leader_epoch = 3;
    kn_ctl_ids_t live = ids(2, 1, 2);

    /* Preferred replica alive but not in sync: stays where it is. */
    assert_false(kn_ctl_part_prefer_leader(&p, &live));
    kn_ctl_ids_add(&p.isr, 1);
    assert_true(kn_ctl_part_prefer_leader(&p, &live));
    assert_int_equal(p.leader, 1);
    assert_int_equal(p.leader_epoch, 4);
    /* Already there: nothing to do. */
    assert_false(kn_ctl_part_prefer_leader(&p, &live));
    /* Preferred replica dead: nothing to do. */
    p.leader = 2;
    kn_ctl_ids_remove(&live, 1);
    assert_false(kn_ctl_part_prefer_leader(&p, &live));
    assert_int_equal(p.leader, 2);
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_alter_isr_checks(void **state)
{
    const int32_t reps[] = { 1, 2, 3 };
    kn_ctl_part_t p;
    part_new(&p, 3, reps);
    kn_ctl_ids_t live = ids(2, 1, 2);
    kn_ctl_part_init_state(&p, &live);      /* leader 1, isr [1,2] */
    p.leader_epoch = 4;
    p.zk_version = 7;

    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, (int32_t[]){ 1 }, 1, &live),
                     KN_ERR_NONE);
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 2, 4, 7, (int32_t[]){ 2 }, 1, &live),
                     KN_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 3, 7, (int32_t[]){ 1 }, 1, &live),
                     KN_ERR_FENCED_LEADER_EPOCH);
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 6, (int32_t[]){ 1 }, 1, &live),
                     KN_ERR_INVALID_UPDATE_VERSION);
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, NULL, 0, &live),
                     KN_ERR_INVALID_REQUEST);
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, (int32_t[]){ 2 }, 1, &live),
                     KN_ERR_INVALID_REQUEST);          /* leader missing */
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, (int32_t[]){ 1, 1 }, 2, &live),
                     KN_ERR_INVALID_REQUEST);          /* duplicate */
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, (int32_t[]){ 1, 8 }, 2, &live),
                     KN_ERR_INVALID_REQUEST);          /* not a replica */
    assert_int_equal(kn_ctl_part_check_alter_isr(&p, 1, 4, 7, (int32_t[]){ 1, 2, 3 }, 3, &live),
                     KN_ERR_INELIGIBLE_REPLICA);       /* 3 is not alive */
    kn_ctl_ids_free(&live);
    part_free(&p);
}

static void test_assign_replicas(void **state)
{
    const int32_t brokers[] = { 10, 11, 12 };
    int32_t out[6 * 2];

    assert_int_equal(kn_ctl_assign_replicas(brokers, 3, 6, 2, 0, out), KN_OK);
    int lead[3] = {0};
    for (int p = 0; p < 6; p++) {
        int32_t a = out[p * 2], b = out[p * 2 + 1];
        assert_true(a != b);                  /* distinct replicas */
        assert_true(a >= 10 && a <= 12 && b >= 10 && b <= 12);
        lead[a - 10]++;
    }
    /* First replicas are spread evenly. */
    assert_int_equal(lead[0], 2);
    assert_int_equal(lead[1], 2);
    assert_int_equal(lead[2], 2);
    assert_int_equal(out[0], 10);
    assert_int_equal(out[2], 11);
    /* The follower shift changes after a full round. */
    assert_true(out[1] - out[0] != out[7] - out[6] || out[1] != out[7]);

    int32_t full[3 * 3];
    assert_int_equal(kn_ctl_assign_replicas(brokers, 3, 3, 3, 1, full), KN_OK);
    for (int p = 0; p < 3; p++)
        assert_true(full[p * 3] != full[p * 3 + 1] && full[p * 3] != full[p * 3 + 2] &&
                    full[p * 3 + 1] != full[p * 3 + 2]);
    assert_int_equal(full[0], 11);

    int32_t one[1];
    assert_int_equal(kn_ctl_assign_replicas(brokers, 1, 1, 1, 0, one), KN_OK);
    assert_int_equal(one[0], 10);
    assert_int_equal(kn_ctl_assign_replicas(brokers, 3, 2, 4, 0, out), KN_ERROR);
    assert_int_equal(kn_ctl_assign_replicas(brokers, 3, 0, 1, 0, out), KN_ERROR);
}

static void test_state_json_round_trip(void **state)
{
    const int32_t reps[] = { 1, 2 };
    kn_ctl_part_t p, q;
    part_new(&p, 2, reps);
    part_new(&q, 2, reps);
    kn_ctl_ids_set(&p.isr, reps, 2);
    p.leader = 2;
    p.leader_epoch = 5;
    p.controller_epoch = 3;

    json_t *j = kn_ctl_state_json(&p);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    assert_int_equal(kn_ctl_state_parse(j, &q), KN_OK);
    assert_int_equal(q.leader, 2);
    assert_int_equal(q.leader_epoch, 5);
    assert_int_equal(q.controller_epoch, 3);
    assert_isr(&q, 2, reps);
    json_decref(j);

    j = json_pack("{s:i, s:s}", "leader", 1, "isr", "bad");
    assert_int_equal(kn_ctl_state_parse(j, &q), KN_ERROR);
    json_decref(j);
    part_free(&p);
    part_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_init_state),
        cmocka_unit_test(test_leader_death_elects_from_isr),
        cmocka_unit_test(test_follower_death_shrinks_isr),
        cmocka_unit_test(test_last_isr_member_dies_goes_offline),
        cmocka_unit_test(test_unclean_election),
        cmocka_unit_test(test_assignment_order_wins),
        cmocka_unit_test(test_controlled_shutdown),
        cmocka_unit_test(test_preferred_leader),
        cmocka_unit_test(test_alter_isr_checks),
        cmocka_unit_test(test_assign_replicas),
        cmocka_unit_test(test_state_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
