/* spool.c: a FILE (glibc's fopencookie) whose writes are copied into a ring of chunks that a
 * writer thread empties with write(2), oldest first. The producer blocks only when every chunk
 * is waiting; the first failed write is kept, later chunks are dropped, and the error comes
 * back from the next write to the FILE, from spool_sync, and from fclose. */
#define _GNU_SOURCE
#include "spool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct {
    char *buf;
    size_t len;
} chunk_t;

struct spool {
    int fd;
    size_t size;      /* bytes per chunk */
    unsigned depth;   /* chunks in the ring */
    chunk_t *chunks;
    unsigned head;    /* the oldest waiting chunk (being written while count > 0) */
    unsigned count;   /* chunks waiting or being written */
    bool closing;
    int err;          /* errno of the first failed write, 0 if none */
    pthread_mutex_t lock;
    pthread_cond_t filled; /* a chunk was queued, or closing */
    pthread_cond_t emptied; /* a chunk was written */
    pthread_t writer;
};

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    spool_t *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->count == 0 && !s->closing)
            pthread_cond_wait(&s->filled, &s->lock);
        if (s->count == 0)
            break;
        chunk_t *c = &s->chunks[s->head];
        bool skip = s->err != 0;
        pthread_mutex_unlock(&s->lock);
        int err = skip ? 0 : write_all(s->fd, c->buf, c->len);
        pthread_mutex_lock(&s->lock);
        if (err && !s->err)
            s->err = err;
        s->head = (s->head + 1) % s->depth;
        s->count--;
        pthread_cond_broadcast(&s->emptied);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static ssize_t spool_write(void *cookie, const char *data, size_t len)
{
    spool_t *s = cookie;
    size_t done = 0;
    pthread_mutex_lock(&s->lock);
    while (done < len && !s->err) {
        while (s->count == s->depth && !s->err)
            pthread_cond_wait(&s->emptied, &s->lock);
        if (s->err)
            break;
        chunk_t *c = &s->chunks[(s->head + s->count) % s->depth];
        pthread_mutex_unlock(&s->lock);
        /* the writer does not touch this chunk until count covers it */
        c->len = len - done < s->size ? len - done : s->size;
        memcpy(c->buf, data + done, c->len);
        done += c->len;
        pthread_mutex_lock(&s->lock);
        s->count++;
        pthread_cond_signal(&s->filled);
    }
    int err = s->err;
    pthread_mutex_unlock(&s->lock);
    if (err) {
        errno = err;
        return -1;
    }
    return (ssize_t)len;
}

static void spool_free(spool_t *s)
{
    for (unsigned k = 0; k < s->depth; k++)
        free(s->chunks[k].buf);
    free(s->chunks);
    pthread_cond_destroy(&s->emptied);
    pthread_cond_destroy(&s->filled);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int spool_close(void *cookie)
{
    spool_t *s = cookie;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_signal(&s->filled);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer, NULL);
    int err = s->err;
    if (close(s->fd) != 0 && !err)
        err = errno;
    spool_free(s);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

FILE *spool_open(int fd, size_t chunk, unsigned depth, spool_t **handle)
{
    if (chunk == 0 || depth == 0) {
        errno = EINVAL;
        return NULL;
    }
    spool_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->size = chunk;
    s->depth = depth;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->filled, NULL);
    pthread_cond_init(&s->emptied, NULL);
    s->chunks = calloc(depth, sizeof *s->chunks);
    bool ok = s->chunks != NULL;
    for (unsigned k = 0; ok && k < depth; k++)
        ok = (s->chunks[k].buf = malloc(chunk)) != NULL;
    if (!ok) {
        if (!s->chunks)
            s->depth = 0;
        spool_free(s);
        errno = ENOMEM;
        return NULL;
    }
    int err = pthread_create(&s->writer, NULL, writer_main, s);
    if (err) {
        spool_free(s);
        errno = err;
        return NULL;
    }
    cookie_io_functions_t io = { .write = spool_write, .close = spool_close };
    FILE *f = fopencookie(s, "w", io);
    if (!f) {
        int e = errno;
        pthread_mutex_lock(&s->lock);
        s->closing = true;
        pthread_cond_signal(&s->filled);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->writer, NULL);
        spool_free(s);
        errno = e;
        return NULL;
    }
    if (handle)
        *handle = s;
    return f;
}

int spool_sync(spool_t *s, FILE *f)
{
    int rc = fflush(f) == 0 ? 0 : -1;
    pthread_mutex_lock(&s->lock);
    while (s->count > 0)
        pthread_cond_wait(&s->emptied, &s->lock);
    int err = s->err;
    pthread_mutex_unlock(&s->lock);
    if (err) {
        errno = err;
        return -1;
    }
    return rc;
}
