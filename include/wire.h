/* wire.h: the byte encoding of every message nodes exchange.
 * Decoders treat their input as untrusted: any malformed buffer is rejected, never read past. */
#ifndef WIRE_H
#define WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

/* Header: magic (1) version (1) type (1) sender id (4, LE) sender port (2, LE) count (2, LE),
 * then `count` membership entries of 14 bytes: id (4) port (2) incarnation (4) heartbeat (4). */
#define WIRE_MAGIC 0xC5
#define WIRE_VERSION 1
#define WIRE_HEADER_SIZE 11
#define WIRE_ENTRY_SIZE 14
/* Upper bound on entries in one membership message: messages stay bounded as N grows. */
#define WIRE_MAX_ENTRIES 256
#define WIRE_MAX_MEMBER_MSG (WIRE_HEADER_SIZE + WIRE_MAX_ENTRIES * WIRE_ENTRY_SIZE)
/* A pull request may end with a digest of what its sender knows (membership.c, "Pull
 * digests"): a u16 LE length, then that many bytes, at most WIRE_MAX_PULL_DIGEST. */
#define WIRE_MAX_PULL_DIGEST 2048

typedef enum {
    MSG_JOINREQ = 1, /* exactly one entry: the sender itself */
    MSG_JOINREP = 2, /* the replier's own entry first, then a sample of its table */
    MSG_GOSSIP = 3,  /* the sender's own entry first, then a sample of its table */
    MSG_PING = 4,    /* exactly one entry: the sender itself; asks for an MSG_ACK */
    MSG_ACK = 5,     /* exactly one entry: the sender itself, answering a ping */
    MSG_PULLREQ = 6, /* exactly one entry: the sender itself; asks for recent changes; an
                      * optional digest follows (WIRE_MAX_PULL_DIGEST) */
    MSG_KV_REQUEST = 10,  /* coordinator -> replica: one CRUD operation */
    MSG_KV_REPLY = 11,    /* replica -> coordinator: its outcome */
    MSG_KV_TRANSFER = 12, /* stabilization: a key's newest version handed to a replica */
    MSG_KV_TRANSFER_ACK = 13, /* the version the receiver now holds */
    MSG_KV_DIGEST = 14,   /* anti-entropy: (key, version) pairs the sender holds */
    MSG_KV_OFFER = 15,    /* handoff: (key, version) pairs the sender is handing over */
    MSG_KV_HAVE = 16,     /* the answer to an offer: the version held of each key offered */
    MSG_CLIENT_REQUEST = 20, /* a client (tools/kv) -> a node process: an operation or a query */
    MSG_CLIENT_REPLY = 21,   /* the node's answer: a status and one line of text */
} msg_type_t;

/* Whether a message type belongs to the key-value layer (the rest are membership's). */
static inline int wire_is_kv_type(int type)
{
    return type >= MSG_KV_REQUEST && type <= MSG_KV_HAVE;
}

/* A heartbeat with WIRE_HB_DEAD_FLAG set announces that the entry's incarnation has failed;
 * the other bits are the last heartbeat the announcer had seen from it (heartbeats count ticks,
 * so they stay below 2^31). WIRE_HB_DEAD is a notice that claims no heartbeat at all. */
#define WIRE_HB_DEAD_FLAG 0x80000000u
#define WIRE_HB_DEAD UINT32_MAX

static inline int wire_hb_is_dead(uint32_t hb)
{
    return (hb & WIRE_HB_DEAD_FLAG) != 0;
}

typedef struct {
    addr_t addr;
    uint32_t incarnation;
    uint32_t heartbeat;
} wire_entry_t;

typedef struct {
    msg_type_t type;
    addr_t from;
    uint16_t count;
    wire_entry_t entries[WIRE_MAX_ENTRIES];
} member_msg_t;

typedef enum {
    WIRE_OK = 0,
    WIRE_ETRUNCATED = -1, /* shorter than its header or its declared entries */
    WIRE_EOVERSIZED = -2, /* more entries than WIRE_MAX_ENTRIES, or trailing bytes */
    WIRE_EMAGIC = -3,     /* wrong magic or version */
    WIRE_ETYPE = -4,      /* unknown message type */
    WIRE_EINVALID = -5,   /* fields that cannot be: id 0, a JOINREQ that is not about its sender */
    WIRE_ENOSPACE = -6,   /* encode: output buffer too small */
} wire_status_t;

/* KV messages: magic, version, type, sender id (4), sender port (2), then
 * txid (4) op (1) flags (1) version stamp (8) version node (4) key length (2) value length (2),
 * then the key and the value. Keys and values are printable ASCII without spaces (0x21-0x7e),
 * since they appear in dbg.log lines; keys are 1..KV_MAX_KEY bytes. */
#define KV_MAX_KEY 255
#define KV_MAX_VALUE 4096
#define WIRE_KV_HEADER_SIZE 31
#define WIRE_MAX_KV_MSG (WIRE_KV_HEADER_SIZE + KV_MAX_KEY + KV_MAX_VALUE)

typedef enum { KV_CREATE = 1, KV_READ = 2, KV_UPDATE = 3, KV_DELETE = 4 } kv_op_t;

#define KV_FLAG_OK 0x01      /* reply: the replica succeeded */
#define KV_FLAG_DELETED 0x02 /* transfer / ack: the version is a deletion (a tombstone) */
#define KV_FLAGS_KNOWN (KV_FLAG_OK | KV_FLAG_DELETED)

/* Versions order writes: a larger stamp wins, then a larger node id. */
typedef struct {
    uint64_t stamp;
    uint32_t node;
} kv_version_t;

typedef struct {
    msg_type_t type;
    addr_t from;
    /* Requests and replies: the transaction. A transfer: the incarnation the sender believes the
     * receiver has, which the acknowledgement carries back (an acknowledgement from an earlier
     * life of a restarted node is then told apart); 0 in anti-entropy's transfers. */
    uint32_t txid;
    kv_op_t op; /* requests and replies; 0 in transfers and acks */
    uint8_t flags;
    kv_version_t version;
    uint16_t klen, vlen;
    char key[KV_MAX_KEY + 1];     /* NUL-terminated after decoding */
    char value[KV_MAX_VALUE + 1]; /* NUL-terminated after decoding */
} kv_msg_t;

/* Client messages, between tools/kv and a node process (never between nodes): magic, version,
 * type, sender id (4), sender port (2), request id (4), command (1), status (1), key length (2),
 * text length (2), then the key and the text. A request's text is the value (create, update);
 * a reply's is one line of printable ASCII (spaces allowed): the value read, or the answer to a
 * query. */
#define WIRE_CLIENT_HEADER_SIZE 19
#define WIRE_CLIENT_MAX_TEXT 4096
#define WIRE_MAX_CLIENT_MSG (WIRE_CLIENT_HEADER_SIZE + KV_MAX_KEY + WIRE_CLIENT_MAX_TEXT)
typedef enum {
    CLIENT_CREATE = 1, CLIENT_READ = 2, CLIENT_UPDATE = 3, CLIENT_DELETE = 4, /* = kv_op_t */
    CLIENT_STATS = 5,   /* the node's counters */
    CLIENT_MEMBERS = 6, /* its membership list */
    CLIENT_WHERE = 7,   /* a key's replicas in its view, and whether it holds the key */
} client_cmd_t;
enum { CLIENT_OK = 0, CLIENT_FAILED = 1 /* the operation failed */, CLIENT_EBAD = 2 /* refused */ };
typedef struct {
    msg_type_t type;
    addr_t from;
    uint32_t reqid;
    uint8_t cmd, status;
    uint16_t klen, tlen;
    char key[KV_MAX_KEY + 1];           /* NUL-terminated after decoding; may be empty */
    char text[WIRE_CLIENT_MAX_TEXT + 1]; /* NUL-terminated after decoding */
} client_msg_t;
/* Encoded length, or a negative wire_status_t (WIRE_EINVALID for an unknown command, a key or
 * text that is not allowed, a request value with spaces). */
int wire_encode_client(const client_msg_t *m, uint8_t *buf, size_t cap);
/* Strict: exact length, known type and command, valid key and text. */
int wire_decode_client(const uint8_t *buf, size_t len, client_msg_t *out);

/* Returns the encoded length, or a negative wire_status_t. */
int wire_encode_member(const member_msg_t *m, uint8_t *buf, size_t cap);

/* In place, for the membership hot path: a message is built straight into its buffer and read
 * straight out of the received bytes, with no member_msg_t in between (a gossip message carries
 * up to 64 entries, and every node sends and reads several per tick). wire_encode_member and
 * wire_decode_member are these functions plus the copy. */
/* Little-endian fields: on a little-endian host a single unaligned load or store (gcc turned
 * the byte-by-byte form into a dozen shifts per field, a tenth of a 1,000-node run). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WIRE_HOST_LE 1
#else
#define WIRE_HOST_LE 0
#endif
static inline void wire_put16(uint8_t *p, uint16_t v)
{
    if (WIRE_HOST_LE) {
        memcpy(p, &v, 2);
        return;
    }
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wire_put32(uint8_t *p, uint32_t v)
{
    if (WIRE_HOST_LE) {
        memcpy(p, &v, 4);
        return;
    }
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t wire_get16(const uint8_t *p)
{
    if (WIRE_HOST_LE) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t wire_get32(const uint8_t *p)
{
    if (WIRE_HOST_LE) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* A membership message being built in buf, which holds WIRE_MAX_MEMBER_MSG bytes. */
typedef struct {
    uint8_t *buf;
    uint16_t count;
} wire_builder_t;

/* Writes the header of a message of a known membership type; no entries yet. */
void wire_build_member(wire_builder_t *b, uint8_t *buf, msg_type_t type, addr_t from);
/* Appends an entry; the caller keeps count below WIRE_MAX_ENTRIES. */
static inline void wire_build_entry(wire_builder_t *b, addr_t a, uint32_t incarnation,
                                    uint32_t heartbeat)
{
    uint8_t *p = b->buf + WIRE_HEADER_SIZE + (size_t)b->count++ * WIRE_ENTRY_SIZE;
    wire_put32(p, a.id);
    wire_put16(p + 4, a.port);
    wire_put32(p + 6, incarnation);
    wire_put32(p + 10, heartbeat);
}
/* Sets the count in the header; returns the message's length. */
size_t wire_build_end(wire_builder_t *b);
/* Ends a pull request (one entry) with a digest of nbytes <= WIRE_MAX_PULL_DIGEST bytes, all
 * zero, at *digest for the caller to fill; returns the message's length. */
size_t wire_build_end_digest(wire_builder_t *b, uint16_t nbytes, uint8_t **digest);

/* A received membership message, checked as wire_decode_member checks it; its entries are read
 * from the bytes, which must outlive the view. */
typedef struct {
    msg_type_t type;
    addr_t from;
    uint16_t count;
    const uint8_t *entries;
    const uint8_t *digest; /* a pull request's digest (NULL: none) */
    uint16_t digest_len;
} wire_view_t;

/* Returns WIRE_OK (and fills *v) or a negative wire_status_t. */
int wire_view_member(const uint8_t *buf, size_t len, wire_view_t *v);
static inline addr_t wire_view_addr(const wire_view_t *v, uint16_t i)
{
    const uint8_t *p = v->entries + (size_t)i * WIRE_ENTRY_SIZE;
    return addr_make(wire_get32(p), wire_get16(p + 4));
}
static inline wire_entry_t wire_view_entry(const wire_view_t *v, uint16_t i)
{
    const uint8_t *p = v->entries + (size_t)i * WIRE_ENTRY_SIZE;
    return (wire_entry_t){ addr_make(wire_get32(p), wire_get16(p + 4)), wire_get32(p + 6),
                           wire_get32(p + 10) };
}
/* Fills *out; returns WIRE_OK or a negative wire_status_t. */
int wire_decode_member(const uint8_t *buf, size_t len, member_msg_t *out);
/* The type byte of a well-framed message (magic and version checked), or a negative status. */
int wire_peek_type(const uint8_t *buf, size_t len);
/* Digest: magic, version, type, sender id (4), sender port (2), count (2), tag (4), then
 * `count` entries: key length (1, >= 1), key, flags (1: KV_FLAG_DELETED), stamp (8), node (4).
 * The tag is 0 in digests; an offer carries the incarnation the sender believes the receiver
 * has, and the answer carries it back, so that an answer from an earlier life of a restarted
 * node is told apart. */
#define WIRE_DIGEST_HEADER_SIZE 15
#define WIRE_DIGEST_MAX_ENTRIES 64
#define WIRE_MAX_DIGEST_MSG (WIRE_DIGEST_HEADER_SIZE + WIRE_DIGEST_MAX_ENTRIES * (1 + KV_MAX_KEY + 13))

typedef struct {
    uint8_t klen;
    const char *key; /* decoding: points into the message, not NUL-terminated */
    bool deleted;
    kv_version_t version;
} kv_digest_entry_t;

/* Starts a digest in buf (at least WIRE_DIGEST_HEADER_SIZE bytes); returns its length.
 * Offers and their answers (MSG_KV_OFFER, MSG_KV_HAVE) share the digest's layout:
 * wire_digest_begin_as starts one of those. */
size_t wire_digest_begin(uint8_t *buf, addr_t from);
size_t wire_digest_begin_as(uint8_t *buf, msg_type_t type, addr_t from, uint32_t tag);
/* The tag of a checked digest, offer or answer. */
uint32_t wire_digest_tag(const uint8_t *buf);
/* Appends an entry to the digest of length *len; -1 (nothing written) if it does not fit in
 * cap, holds WIRE_DIGEST_MAX_ENTRIES already, or the entry is invalid. */
int wire_digest_add(uint8_t *buf, size_t cap, size_t *len, const kv_digest_entry_t *e);
/* Checks a whole digest, offer or answer; returns its entry count (>= 0) and sets *from, or
 * a negative wire_status_t. */
int wire_digest_check(const uint8_t *buf, size_t len, addr_t *from);
/* Reads the entry at *pos (start at WIRE_DIGEST_HEADER_SIZE) of a checked digest and moves
 * *pos past it. */
void wire_digest_entry(const uint8_t *buf, size_t *pos, kv_digest_entry_t *e);

/* Returns the encoded length, or a negative wire_status_t. */
int wire_encode_kv(const kv_msg_t *m, uint8_t *buf, size_t cap);
/* Fills *out; returns WIRE_OK or a negative wire_status_t. */
int wire_decode_kv(const uint8_t *buf, size_t len, kv_msg_t *out);
/* Whether a byte string may be a key (non-empty) or a value: printable, no spaces. */
int wire_kv_text_ok(const char *s, size_t len, int is_key);
int kv_version_cmp(kv_version_t a, kv_version_t b);
const char *kv_op_name(kv_op_t op); /* "create", "read", "update", "delete" */
const char *wire_strerror(int status);

#endif
