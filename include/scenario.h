/* scenario.h: parses and validates testcase files into plain settings and a time-ordered list
 * of events. Knows nothing of nodes; the Application carries the events out. */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCENARIO_MAX_NODES 10000
#define SCENARIO_MAX_KEYS 1000000
#define SCENARIO_CLASSIC_KEYS 100
#define SCENARIO_ERR_LEN 1536
#define SCENARIO_MAX_TICKS 10000000
#define SCENARIO_DEFAULT_TICKS 700

typedef enum { CRUD_NONE = 0, CRUD_CREATE, CRUD_READ, CRUD_UPDATE, CRUD_DELETE } crud_test_t;

typedef enum {
    EV_FAIL_RANDOM_NODE,  /* one node chosen uniformly at random fails */
    EV_FAIL_RANDOM_BLOCK, /* `count` consecutive nodes fail, first index random in [0, n - count) */
    EV_KV_INSERT,         /* `count` random distinct keys are created, each through a random
                             live coordinator; they are then referred to in byte order */
    EV_FAIL_REPLICAS,     /* `count` live replicas of key `key` fail, from the tertiary down */
    EV_FAIL_NON_REPLICA,  /* a random live node that is not a replica of key `key` fails */
    EV_KV_OP,             /* client operation `op` on key `key` through a random live node,
                             or through `node` (via) */
    EV_FAIL_NODE,         /* node `node` (an id) fails */
    EV_FAIL_RANDOM,       /* `count` distinct live nodes chosen at random fail */
    EV_FAIL_ROLE,         /* replica `role` (0 primary, 1 secondary, 2 tertiary) of a key fails */
    EV_EXPECT_REMOVED,    /* check: no live node lists node `node` any more */
    EV_RESTART,           /* failed node `node` runs again: new incarnation, empty store (or,
                             with keep_data, the store it had when it failed) */
    EV_ADD_NODES,         /* `count` new nodes start (ids after the last existing one) */
    EV_WORKLOAD,          /* from `tick` until `until`: `rate` random operations per tick on
                             `nkeys` keys named w0, w1, ..., with read/update/delete mix `mix` */
    EV_EXPECT_REPLICATED, /* check: key_name is on exactly its 3 live replicas, one version */
    EV_EXPECT_NO_LOST_WRITES, /* check at the end (or at `tick` when checkpoint): every
                                 acknowledged write is in place */
    EV_PAUSE,             /* node `node` freezes for `count` ticks, then goes on as it was */
    EV_EXPECT_CONVERGED,  /* check: every live node lists exactly the live nodes */
    EV_EXPECT_LISTED,     /* check: every live node lists node `node` */
    EV_EXPECT_KEY_ON,     /* check: exactly `count` live nodes hold key_name's value */
} event_kind_t;

/* EXPECT_LATEST (reads): the newest acknowledged value of the key when the read is decided
 * (by version), or a failure if there is none (never written, or deleted). */
typedef enum { EXPECT_NONE = 0, EXPECT_SUCCESS, EXPECT_FAIL, EXPECT_VALUE, EXPECT_LATEST } expect_t;

/* Key references of KV events: an index into the inserted keys in byte order, or these. */
#define EV_KEY_INVALID (-1) /* the literal key "invalidKey", which is never created */
#define EV_KEY_NAMED (-2)   /* the key named in key_name */

typedef struct {
    uint32_t tick;
    event_kind_t kind;
    uint32_t count;
    int op;         /* EV_KV_OP: a kv_op_t (KV_CREATE..KV_DELETE) */
    int32_t key;    /* KV events: key reference */
    char *key_name; /* EV_KEY_NAMED: the key (owned) */
    char *value;    /* EV_KV_OP: the value (owned), or NULL for the inserted key's own value */
    uint32_t node;  /* EV_FAIL_NODE, EV_EXPECT_REMOVED, EV_RESTART, EV_KV_OP with via: node id
                       (1 = the introducer) */
    bool via;       /* EV_KV_OP: coordinated by `node`, not by a random live node */
    bool keep_data; /* EV_RESTART: the node keeps its store (crash-recovery) */
    bool checkpoint; /* EV_EXPECT_NO_LOST_WRITES: judged at `tick`, not at the end */
    uint32_t node_name; /* events naming a node: its name's number plus one (node is then 0),
                           or 0 when the node is given by id or address */
    uint32_t *binds;    /* failures with 'as': the numbers of the names bound (owned) */
    uint32_t nbinds;    /* to the nodes they fail, in the order they are picked */
    int role;       /* EV_FAIL_ROLE */
    expect_t expect;      /* EV_KV_OP: what the file expects of the outcome */
    char *expect_value;   /* EXPECT_VALUE: the value a read must return (owned) */
    uint32_t until, rate, nkeys; /* EV_WORKLOAD */
    uint8_t mix[3];              /* EV_WORKLOAD: percent read, update, delete of existing keys */
    unsigned line, col;   /* where the file says it; 0 for events derived from classic keys */
    unsigned node_col;    /* where it names its node, for errors about that node */
    uint32_t seq;         /* order of creation, to keep file order within a tick */
} event_t;

typedef struct {
    uint32_t from, to; /* ticks [from, to) */
    double p;
    unsigned line, col; /* where the file says it; 0 for the classic DROP_MSG window */
} loss_spec_t;

/* A fault on the links between two groups of nodes (or on every link): a partition (cut), a
 * delay, loss, duplication or reordering; one way or both. */
typedef struct {
    uint32_t from, to; /* ticks [from, to) */
    bool cut;
    uint32_t delay;
    uint8_t *groups; /* groups[id]: bit 0 group A, bit 1 group B; NULL: every link (owned) */
    size_t ngroups;
    bool one_way;     /* only messages from group A to group B ("->") */
    double loss;      /* "drop P between ...": lost with probability P */
    double duplicate; /* "duplicate P": delivered twice with probability P */
    uint32_t reorder; /* "reorder D": 0 to D extra ticks at random */
    unsigned line, col;
} link_spec_t;

typedef struct {
    /* Settings, as written in the file (or their defaults). */
    uint32_t nodes;        /* MAX_NNB */
    bool single_failure;   /* SINGLE_FAILURE */
    bool drop_msg;         /* DROP_MSG */
    double drop_prob;      /* MSG_DROP_PROB */
    crud_test_t crud_test; /* CRUD_TEST */
    uint32_t keys;         /* NUM_KEYS: keys a CRUD test creates (100 by default) */
    uint64_t seed;         /* SEED, used when the command line gives none */
    bool seed_set;
    /* Protocol settings; 0 where the file leaves them to the defaults. */
    uint32_t ticks_setting; /* TICKS */
    uint32_t gossip_period, fanout, t_fail, t_remove, coord_timeout;
    uint32_t replicas, quorum; /* REPLICAS, QUORUM: only 3 and 2 are accepted */
    uint32_t probe_timeout; /* PROBE_TIMEOUT; 0: derived from the worst loss and delay */
    bool kv_store;          /* KV_STORE: the store runs even if no statement uses it */
    /* Derived: what the run does, tick by tick. */
    uint32_t ticks; /* the run covers ticks [0, ticks), or more when fit_to_size */
    bool fit_to_size; /* a classic membership file without TICKS: the run is made long enough
                       * for every node to boot and every failure to be detected (app_ticks) */
    event_t *events; /* sorted by tick, then by their order in the file */
    size_t nevents, events_cap;
    size_t nexpect;  /* events that carry an expectation */
    loss_spec_t *loss;
    size_t nloss;
    link_spec_t *links;
    size_t nlinks;
    uint32_t added; /* nodes added by `at T add K nodes`, in all */
    char **names;   /* node names bound by 'as' (owned); events refer to them by number */
    size_t nnames;
    char *warnings; /* "file:line:col: warning: ..." lines, or NULL (owned) */
} scenario_t;

/* Parses the file at `path`. On failure returns -1, leaves *sc empty and writes one line
 * "path:line:col: what is wrong" (or "path: what is wrong") into err. */
int scenario_load(const char *path, scenario_t *sc, char *err, size_t errlen);
/* Same, from text in memory; `name` stands for the file name in messages. */
int scenario_parse(const char *name, const char *text, size_t len, scenario_t *sc, char *err,
                   size_t errlen);
/* Frees what the scenario holds and zeroes it. */
void scenario_free(scenario_t *sc);
const char *crud_test_name(crud_test_t t);
/* The word of words closest to s[0..len) if it is close enough to be a likely typo (about one
 * edit per three letters, case ignored), else NULL: the parser's "did you mean ...?", which
 * the console gives for its commands too. */
const char *scenario_nearest(const char *s, size_t len, const char *const *words, size_t n);

#endif
