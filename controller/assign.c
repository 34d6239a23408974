/*
 * controller/assign.c -- the controller's decisions as pure functions.
 *
 * Leader election, ISR shrinking on broker death, controlled-shutdown
 * moves, AlterIsr validation and replica assignment all live here, free of
 * ZooKeeper and sockets, so the unit tests can check every rule directly.
 * The callers (events.c) write the results with a fenced multi and push
 * them to the brokers.
 *
 * The rules are Kafka's: a leader comes from the ISR, in assignment order
 * (the first replica is the "preferred" leader); the ISR is never emptied,
 * because its last member is the only replica known to hold every
 * committed record; going outside the ISR ("unclean") is allowed only when
 * configured. Every controller-made change bumps leader_epoch, which the
 * brokers use to fence old leaders and to truncate followers.
 */
#include "config.h"

#include <string.h>

#include "controller/controller.h"

/* ---- id sets ---------------------------------------------------------- */

void kn_ctl_ids_free(kn_ctl_ids_t *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void kn_ctl_ids_clear(kn_ctl_ids_t *s)
{
    s->n = 0;
}

bool kn_ctl_ids_has(const kn_ctl_ids_t *s, int32_t id)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == id)
            return true;
    return false;
}

static void ids_reserve(kn_ctl_ids_t *s, int n)
{
    if (n <= s->cap)
        return;
    int cap = s->cap > 0 ? s->cap : 4;
    while (cap < n)
        cap *= 2;
    s->v = kn_realloc(s->v, (size_t)cap * sizeof *s->v);
    s->cap = cap;
}

void kn_ctl_ids_add(kn_ctl_ids_t *s, int32_t id)
{
    if (kn_ctl_ids_has(s, id))
        return;
    ids_reserve(s, s->n + 1);
    s->v[s->n++] = id;
}

bool kn_ctl_ids_remove(kn_ctl_ids_t *s, int32_t id)
{
    for (int i = 0; i < s->n; i++) {
        if (s->v[i] == id) {
            memmove(&s->v[i], &s->v[i + 1], (size_t)(s->n - i - 1) * sizeof *s->v);
            s->n--;
            return true;
        }
    }
    return false;
}

void kn_ctl_ids_set(kn_ctl_ids_t *dst, const int32_t *v, int n)
{
    ids_reserve(dst, n);
    if (n > 0)
        memcpy(dst->v, v, (size_t)n * sizeof *v);
    dst->n = n;
}

void kn_ctl_ids_copy(kn_ctl_ids_t *dst, const kn_ctl_ids_t *src)
{
    kn_ctl_ids_set(dst, src->v, src->n);
}

bool kn_ctl_ids_equal(const kn_ctl_ids_t *a, const kn_ctl_ids_t *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->v[i] != b->v[i])
            return false;
    return true;
}

/* ---- partition state rules -------------------------------------------- */

void kn_ctl_part_init_state(kn_ctl_part_t *p, const kn_ctl_ids_t *live)
{
    kn_ctl_ids_clear(&p->isr);
    for (int i = 0; i < p->replicas.n; i++)
        if (kn_ctl_ids_has(live, p->replicas.v[i]))
            kn_ctl_ids_add(&p->isr, p->replicas.v[i]);
    if (p->isr.n > 0) {
        p->leader = p->isr.v[0];
    } else {
        p->leader = -1;
        kn_ctl_ids_copy(&p->isr, &p->replicas);
    }
    p->leader_epoch = 0;
}

/* First replica, in assignment order, that is in `isr` (if non-NULL) and
 * live, and is not `exclude`; -1 if none. */
static int32_t pick_leader(const kn_ctl_part_t *p, const kn_ctl_ids_t *isr,
                           const kn_ctl_ids_t *live, int32_t exclude)
{
    for (int i = 0; i < p->replicas.n; i++) {
        int32_t r = p->replicas.v[i];
        if (r == exclude || !kn_ctl_ids_has(live, r))
            continue;
        if (isr != NULL && !kn_ctl_ids_has(isr, r))
            continue;
        return r;
    }
    return -1;
}

bool kn_ctl_part_reconcile(kn_ctl_part_t *p, const kn_ctl_ids_t *live, bool unclean)
{
    kn_ctl_ids_t live_isr = {0};
    bool changed = false;

    for (int i = 0; i < p->isr.n; i++)
        if (kn_ctl_ids_has(live, p->isr.v[i]))
            kn_ctl_ids_add(&live_isr, p->isr.v[i]);

    if (p->leader >= 0 && kn_ctl_ids_has(live, p->leader)) {
        /* Leader fine: only shrink the ISR to its live members (the leader
         * itself is one of them, so it cannot become empty). */
        if (live_isr.n > 0 && !kn_ctl_ids_equal(&live_isr, &p->isr)) {
            kn_ctl_ids_copy(&p->isr, &live_isr);
            changed = true;
        }
    } else {
        int32_t leader = pick_leader(p, &live_isr, live, -1);
        if (leader >= 0) {
            p->leader = leader;
            kn_ctl_ids_copy(&p->isr, &live_isr);
            changed = true;
        } else if (unclean && (leader = pick_leader(p, NULL, live, -1)) >= 0) {
            /* Data loss accepted by configuration: the new leader's log
             * becomes the truth, so it alone is in sync. */
            p->leader = leader;
            kn_ctl_ids_set(&p->isr, &leader, 1);
            changed = true;
        } else if (p->leader != -1) {
            /* Offline. The ISR keeps its (dead) members: the first of them
             * to return is the only safe leader. */
            p->leader = -1;
            changed = true;
        }
    }
    kn_ctl_ids_free(&live_isr);
    if (changed)
        p->leader_epoch++;
    return changed;
}

int kn_ctl_part_move_leader(kn_ctl_part_t *p, int32_t leaving, const kn_ctl_ids_t *live)
{
    if (p->leader == leaving) {
        int32_t leader = pick_leader(p, &p->isr, live, leaving);
        if (leader < 0)
            return -1;
        p->leader = leader;
        kn_ctl_ids_remove(&p->isr, leaving);
        p->leader_epoch++;
        return 1;
    }
    if (kn_ctl_ids_has(&p->isr, leaving) && p->isr.n > 1) {
        kn_ctl_ids_remove(&p->isr, leaving);
        p->leader_epoch++;
        return 1;
    }
    return 0;
}

bool kn_ctl_part_prefer_leader(kn_ctl_part_t *p, const kn_ctl_ids_t *live)
{
    if (p->replicas.n == 0)
        return false;
    int32_t pref = p->replicas.v[0];
    if (pref == p->leader || !kn_ctl_ids_has(live, pref) || !kn_ctl_ids_has(&p->isr, pref))
        return false;
    p->leader = pref;
    p->leader_epoch++;
    return true;
}

kn_err_t kn_ctl_part_check_alter_isr(const kn_ctl_part_t *p, int32_t broker, int32_t leader_epoch,
                                     int32_t zk_version, const int32_t *new_isr, int n,
                                     const kn_ctl_ids_t *live)
{
    if (p->leader != broker)
        return KN_ERR_NOT_LEADER_OR_FOLLOWER;
    if (leader_epoch != p->leader_epoch)
        return KN_ERR_FENCED_LEADER_EPOCH;
    if (zk_version != p->zk_version)
        return KN_ERR_INVALID_UPDATE_VERSION;
    if (n < 1)
        return KN_ERR_INVALID_REQUEST;
    bool has_leader = false;
    for (int i = 0; i < n; i++) {
        if (!kn_ctl_ids_has(&p->replicas, new_isr[i]))
            return KN_ERR_INVALID_REQUEST;
        for (int j = 0; j < i; j++)
            if (new_isr[j] == new_isr[i])
                return KN_ERR_INVALID_REQUEST;
        if (new_isr[i] == broker)
            has_leader = true;
    }
    if (!has_leader)
        return KN_ERR_INVALID_REQUEST;
    /* A replica joining the ISR must be alive: a dead one could never be
     * elected safely. Members already in the ISR may stay. */
    for (int i = 0; i < n; i++)
        if (!kn_ctl_ids_has(&p->isr, new_isr[i]) && !kn_ctl_ids_has(live, new_isr[i]))
            return KN_ERR_INELIGIBLE_REPLICA;
    return KN_ERR_NONE;
}

/* ---- replica assignment ------------------------------------------------ */

int kn_ctl_assign_replicas(const int32_t *brokers, int nbrokers, int nparts, int rf,
                           int start, int32_t *out)
{
    if (nbrokers < 1 || nparts < 1 || rf < 1 || rf > nbrokers || start < 0)
        return KN_ERROR;
    /* The first replicas go round-robin from `start`; followers sit at a
     * distance (shift) from the first replica that changes every time the
     * round-robin wraps, so two brokers do not follow each other for every
     * partition and a broker's failure spreads its load over all others. */
    int shift = start % KN_MAX(nbrokers - 1, 1);
    for (int p = 0; p < nparts; p++) {
        if (p > 0 && p % nbrokers == 0)
            shift++;
        int first = (start + p) % nbrokers;
        int32_t *row = out + (size_t)p * (size_t)rf;
        row[0] = brokers[first];
        for (int j = 0; j < rf - 1; j++) {
            int d = 1 + (shift + j) % (nbrokers - 1);
            row[j + 1] = brokers[(first + d) % nbrokers];
        }
    }
    return KN_OK;
}
