/* spool.h: a FILE whose bytes a background thread writes.
 * A 10,000-node run writes 4.3 GB of dbg.log; the kernel's copy of those bytes into the page
 * cache took 12-18 s of the run's 87 (perf: copy_folio_from_iter_atomic), in the thread that
 * runs the nodes. Through a spool, that thread only copies each full buffer into a free chunk
 * and goes on; a writer thread on the other core makes the write(2) calls, in order. The bytes
 * of the file are exactly those written to the FILE. */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdio.h>

typedef struct spool spool_t;

/* Takes fd (closed by fclose of the FILE, or here on failure) and returns a FILE that writes
 * to it through a writer thread, in chunks of `chunk` bytes, at most `depth` of them waiting;
 * *handle (may be NULL) is set for spool_sync. NULL (errno set, fd left open) if the thread or
 * memory cannot be had: the caller writes to fd directly then.
 * fclose of the FILE waits for every byte to be written and closes fd: it fails (EOF, errno
 * of the first failed write) if any write failed, as it would for an ordinary FILE. */
FILE *spool_open(int fd, size_t chunk, unsigned depth, spool_t **handle);

/* Flushes f (the spool's FILE) and waits until every byte written to it so far is in the file,
 * for a reader of the file. Returns 0, or -1 (errno set) if a write failed. */
int spool_sync(spool_t *s, FILE *f);

#endif
