/* console.h: ./Application --console [FILE], a driver that reads commands (typed, with line
 * editing, or piped) and applies them to a running ring: time, client operations, faults in the
 * scenario language, inspection, and `save` of the session as a scenario file that replays to
 * the same dbg.log (README, "Console"). */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *file;       /* the scenario to start from; NULL: 10 nodes and nothing else */
    uint64_t seed;
    bool seed_given;        /* else the file's SEED, else the clock's seed_default */
    uint64_t seed_default;
    const char *state_path; /* --dump-state, written at the end; may be NULL */
} console_opts_t;

/* Runs the session until `quit` or the end of input; returns the exit status: that of app_run
 * for the run as finished, 2 if FILE is unreadable or invalid (nothing written then), or 1 if a
 * piped session had a command that failed (a typed one never changes the status). */
int console_main(const console_opts_t *opts);

#endif
