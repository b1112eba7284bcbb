/* wire.h: the byte encoding of every message nodes exchange.
 * Decoders treat their input as untrusted: any malformed buffer is rejected, never read past. */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

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

typedef enum {
    MSG_JOINREQ = 1, /* exactly one entry: the sender itself */
    MSG_JOINREP = 2, /* the replier's own entry first, then a sample of its table */
    MSG_GOSSIP = 3,  /* the sender's own entry first, then a sample of its table */
} msg_type_t;

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

/* Returns the encoded length, or a negative wire_status_t. */
int wire_encode_member(const member_msg_t *m, uint8_t *buf, size_t cap);
/* Fills *out; returns WIRE_OK or a negative wire_status_t. */
int wire_decode_member(const uint8_t *buf, size_t len, member_msg_t *out);
/* The type byte of a well-framed message (magic and version checked), or a negative status. */
int wire_peek_type(const uint8_t *buf, size_t len);
const char *wire_strerror(int status);

#endif
