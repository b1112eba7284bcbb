/* journal.c: the durable store file (journal.h). Record layout, little-endian: 'J', kind (1 an
 * item, 2 a key forgotten), deleted (0 or 1), key length (2), value length (2), version stamp
 * (8), version node (4), the key, the value, then the CRC-32 (IEEE 802.3, reflected,
 * polynomial 0xEDB88320) of everything before it in the record. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_HEADER 19
#define REC_ITEM 1
#define REC_REMOVED 2
#define COMPACT_MIN (64u << 10)

struct journal {
    char *path;
    int fd;
    uint64_t bytes;      /* the file's length */
    uint64_t errors;     /* records that could not be written */
    uint64_t next_check; /* the length at which to weigh a rewrite again (amortized O(1)) */
    const store_t *store; /* for snapshots */
    uint8_t buf[REC_HEADER + KV_MAX_KEY + UINT16_MAX + 4];
};

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Encodes a record into buf; its length. */
static size_t encode(uint8_t *buf, int kind, const char *key, size_t klen, const char *value,
                     size_t vlen, kv_version_t v, bool deleted)
{
    buf[0] = 'J';
    buf[1] = (uint8_t)kind;
    buf[2] = deleted;
    wire_put16(buf + 3, (uint16_t)klen);
    wire_put16(buf + 5, (uint16_t)vlen);
    put64(buf + 7, v.stamp);
    wire_put32(buf + 15, v.node);
    memcpy(buf + REC_HEADER, key, klen);
    memcpy(buf + REC_HEADER + klen, value, vlen);
    size_t n = REC_HEADER + klen + vlen;
    wire_put32(buf + n, crc32_of(buf, n));
    return n + 4;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads records from text[0..n) through load; returns the length of the good prefix. */
static size_t replay(const uint8_t *text, size_t n, journal_load_fn load, void *ctx,
                     uint64_t *records)
{
    static char key[KV_MAX_KEY + 1], value[UINT16_MAX + 1];
    size_t pos = 0;
    while (n - pos >= REC_HEADER + 4) {
        const uint8_t *r = text + pos;
        size_t klen = wire_get16(r + 3), vlen = wire_get16(r + 5);
        if (r[0] != 'J' || (r[1] != REC_ITEM && r[1] != REC_REMOVED) || r[2] > 1 || klen == 0 ||
            klen > KV_MAX_KEY || n - pos < REC_HEADER + klen + vlen + 4)
            break;
        size_t body = REC_HEADER + klen + vlen;
        if (wire_get32(r + body) != crc32_of(r, body))
            break;
        memcpy(key, r + REC_HEADER, klen);
        key[klen] = '\0';
        memcpy(value, r + REC_HEADER + klen, vlen);
        value[vlen] = '\0';
        kv_version_t v = { get64(r + 7), wire_get32(r + 15) };
        load(ctx, key, value, v, r[2] == 1, r[1] == REC_REMOVED);
        (*records)++;
        pos += body + 4;
    }
    return pos;
}

journal_t *journal_open(const char *path, journal_load_fn load, void *ctx, journal_info_t *info,
                        char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    journal_t *j = calloc(1, sizeof *j);
    char *p = strdup(path);
    if (!j || !p) {
        free(j);
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->path = p;
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    if (j->fd < 0 || fstat(j->fd, &st) != 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        journal_close(j);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *text = malloc(n ? n : 1);
    size_t got = 0;
    while (text && got < n) {
        ssize_t r = pread(j->fd, text + got, n - got, (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (!text || got < n) {
        snprintf(err, errlen, "cannot read %s: %s", path, text ? strerror(errno) : "out of memory");
        free(text);
        journal_close(j);
        return NULL;
    }
    size_t good = replay(text, n, load, ctx, &info->records);
    free(text);
    if (good < n) {
        info->torn_bytes = n - good;
        if (ftruncate(j->fd, (off_t)good) != 0) {
            snprintf(err, errlen, "cannot cut the torn tail of %s: %s", path, strerror(errno));
            journal_close(j);
            return NULL;
        }
    }
    j->bytes = good;
    return j;
}

void journal_close(journal_t *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    free(j->path);
    free(j);
}

void journal_watch(journal_t *j, const store_t *s)
{
    j->store = s;
}

uint64_t journal_errors(const journal_t *j)
{
    return j->errors;
}

uint64_t journal_bytes(const journal_t *j)
{
    return j->bytes;
}

/* Rewrites the file as one record per item of the store. */
static void compact(journal_t *j)
{
    size_t plen = strlen(j->path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return;
    memcpy(tmp, j->path, plen);
    memcpy(tmp + plen, ".new", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    uint64_t bytes = 0;
    bool ok = fd >= 0;
    for (size_t i = 0; ok && i < store_size(j->store); i++) {
        const store_item_t *it = store_at(j->store, i);
        size_t n = encode(j->buf, REC_ITEM, it->key, it->klen, it->value, it->vlen, it->version,
                          it->deleted);
        ok = write_all(fd, j->buf, n) == 0;
        bytes += n;
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, j->path) == 0) {
        int nfd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC);
        if (nfd >= 0) {
            close(j->fd);
            j->fd = nfd;
            j->bytes = bytes;
        }
    } else {
        unlink(tmp);
    }
    free(tmp);
}

void journal_record(void *ctx, const store_item_t *applied, const char *removed, size_t klen)
{
    journal_t *j = ctx;
    static const kv_version_t none = { 0, 0 };
    size_t n = applied ? encode(j->buf, REC_ITEM, applied->key, applied->klen, applied->value,
                                applied->vlen, applied->version, applied->deleted)
                       : encode(j->buf, REC_REMOVED, removed, klen, "", 0, none, false);
    if (write_all(j->fd, j->buf, n) != 0) {
        j->errors++;
        return;
    }
    j->bytes += n;
    if (j->store && j->bytes >= j->next_check && j->bytes > COMPACT_MIN) {
        uint64_t held = 0;
        for (size_t i = 0; i < store_size(j->store); i++)
            held += REC_HEADER + 4 + store_at(j->store, i)->klen + store_at(j->store, i)->vlen;
        if (j->bytes > 4 * held)
            compact(j);
        j->next_check = j->bytes + (j->bytes / 4 > COMPACT_MIN ? j->bytes / 4 : COMPACT_MIN);
    }
}
