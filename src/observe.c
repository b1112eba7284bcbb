/* observe.c: the observers of a run and the dispatch of events to them. */
#include "observe.h"

int obs_attach(obs_bus_t *bus, const observer_t *o)
{
    if (bus->n == OBS_MAX_OBSERVERS)
        return -1;
    bus->obs[bus->n++] = *o;
    if (o->messages)
        bus->nmessages++;
    return 0;
}

void obs_dispatch(const obs_bus_t *bus, const obs_event_t *ev)
{
    for (uint32_t i = 0; i < bus->n; i++)
        if (ev->kind != OBS_MESSAGE || bus->obs[i].messages)
            bus->obs[i].on_event(bus->obs[i].ctx, ev);
}
