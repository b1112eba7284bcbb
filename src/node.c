/* node.c: dispatch by wire type for one peer (node.h). */
#include "node.h"

#include "wire.h"

int node_receive(const node_t *n, const uint8_t *data, size_t len, uint32_t now)
{
    int type = wire_peek_type(data, len);
    if (wire_is_kv_type(type)) {
        if (n->kv)
            kv_receive(n->kv, data, len, now);
        return NODE_OK;
    }
    if (type >= MSG_JOINREQ && type <= MSG_PULLREQ) {
        member_receive(n->member, data, len, now);
        return NODE_OK;
    }
    return NODE_EUNKNOWN;
}

void node_tick(const node_t *n, uint32_t now)
{
    member_tick(n->member, now);
    if (n->kv)
        kv_tick(n->kv, now);
}
