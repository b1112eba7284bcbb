/* quorum.c: 2-of-3 quorum counting for one operation: duplicate, stranger and late replies
 * are told apart and ignored; reads remember the newest version among the successes. */
#include "quorum.h"

void quorum_init(quorum_t *q, const addr_t *replicas, size_t n, uint32_t deadline)
{
    *q = (quorum_t){ .deadline = deadline, .need = QUORUM };
    for (size_t i = 0; i < n && i < RING_REPLICAS; i++)
        q->replicas[q->nreplicas++] = replicas[i];
    if (q->nreplicas < QUORUM)
        q->state = Q_FAIL;
}

q_reply_t quorum_reply(quorum_t *q, addr_t from, bool ok, kv_version_t version)
{
    int who = -1;
    for (int i = 0; i < q->nreplicas; i++)
        if (addr_eq(q->replicas[i], from))
            who = i;
    if (who < 0)
        return QR_STRANGER;
    if (q->answered & (1u << who))
        return QR_DUPLICATE;
    q->answered |= (uint8_t)(1u << who);
    if (q->state != Q_PENDING)
        return QR_LATE;
    q_reply_t r = QR_COUNTED;
    if (ok) {
        q->ok++;
        if (!q->have_newest || kv_version_cmp(version, q->newest) > 0) {
            q->have_newest = true;
            q->newest = version;
            r = QR_NEWEST;
        }
    } else {
        q->failed++;
    }
    if (q->ok >= q->need)
        q->state = Q_SUCCESS;
    else if (q->nreplicas - q->failed < q->need)
        q->state = Q_FAIL;
    return r;
}

void quorum_weaken(quorum_t *q, uint8_t need)
{
    q->need = need;
    if (q->state == Q_FAIL && q->nreplicas >= need && q->ok + q->failed == 0)
        q->state = Q_PENDING;
}

bool quorum_expire(quorum_t *q, uint32_t now)
{
    if (q->state != Q_PENDING || now < q->deadline)
        return false;
    q->state = Q_FAIL;
    return true;
}
