/* dbglog.h: the one reader of dbg.log shared by the checkers in tools/ (README "Outputs",
 * classic-compat.md section 3). It frames and classifies lines; what a line means to a rubric
 * stays in each tool. It shares no code with the simulator (src/), so a checker built on it
 * cannot inherit the simulator's bugs.
 *
 * Strictness: the first line is "131" (without it, line 1 is read as an entry, unless the reader
 * is DBGLOG_STRICT); entries are " <addr> [<tick>] <message>"
 * (one space before the address, one on each side of "[tick]"); LF or CRLF endings. A message of
 * a known form must parse completely, and a line that uses a phrase the format reserves
 * (joined, removed, "Node failed at time", "Node restarted at time", OPERATION, and
 * "<op> success" / "<op> fail" for the four operations, in any case) must be one of the known
 * forms, framed. A line without the frame that uses no reserved phrase (a blank line, stray
 * output) is skipped, unless the reader is DBGLOG_STRICT: the classic framework's own writer
 * puts a blank line after the header.
 * Every error names the file and line: "path:line: what is wrong". */
#ifndef DBGLOG_H
#define DBGLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DBGLOG_MAGIC "131"
#define DBGLOG_MAX_TICK 999999999999999999ULL /* ticks and times: at most 18 digits */
#define DBGLOG_ADDR_LEN 22                    /* "255.255.255.255:65535" and the NUL */
#define DBGLOG_ERR_LEN 512

/* An address a.b.c.d:port; id holds the four bytes little-endian (1.0.0.0 is id 1). */
struct dbglog_addr {
    uint32_t id;
    uint16_t port;
};

enum dbglog_kind {
    DBGLOG_OTHER,     /* any other line */
    DBGLOG_JOIN,      /* "Node <member> joined at time <t>" */
    DBGLOG_REMOVAL,   /* "Node <member> removed at time <t>" */
    DBGLOG_FAILURE,   /* "Node failed at time=<t>", under the failed node */
    DBGLOG_RESTART,   /* "Node restarted at time=<t>", under the restarted node */
    DBGLOG_OPERATION, /* "<OP> OPERATION KEY: <k>[ VALUE: <v>] at time: <t>" */
    DBGLOG_RESULT,    /* "<coordinator|server>: <op> <success|fail> at time <t>, transID=<id>,
                       *  key=<k>[, value=<v>]" */
};

/* A kind as a bit of a mask, for dbglog_only. */
#define DBGLOG_BIT(kind) (1u << (kind))

enum dbglog_op { DBGLOG_CREATE, DBGLOG_READ, DBGLOG_UPDATE, DBGLOG_DELETE, DBGLOG_NOPS };

/* One line, valid until the next dbglog_next or dbglog_close (the strings live in the reader). */
struct dbglog_line {
    enum dbglog_kind kind;
    unsigned long lineno;      /* 1-based; the header is line 1 */
    struct dbglog_addr logger; /* the logging node */
    uint64_t tick;             /* the bracketed tick */
    const char *text;          /* the whole line, without its line ending */
    const char *message;       /* the text after "[tick] " */
    uint64_t time;             /* every kind but OTHER: the time the message states */
    struct dbglog_addr member; /* JOIN, REMOVAL: the member that joined or was removed */
    enum dbglog_op op;         /* OPERATION, RESULT */
    bool coordinator;          /* RESULT: a coordinator's line (else a server's) */
    bool success;              /* RESULT */
    uint64_t transid;          /* RESULT */
    const char *key;           /* OPERATION, RESULT: never empty, no blanks or control bytes */
    const char *value;         /* OPERATION, RESULT: NULL when the line has no value part */
};

/* A reader. Fields are private: use the functions. */
struct dbglog {
    FILE *f;
    FILE *copy;                /* DBGLOG_REREAD of a pipe: what was read, for dbglog_rewind */
    const char *path;
    unsigned flags;
    char *buf;                 /* what was read, split into lines in place; cap + 1 bytes */
    size_t cap, start, end;    /* buf[start, end): read, not yet returned as lines */
    bool eof;
    bool failed;               /* a line of this pass did not parse */
    bool checked;              /* this pass reads lines a previous pass parsed without error */
    unsigned only;             /* dbglog_only's mask */
    char *fields;              /* the current line's key and value, NUL-terminated */
    size_t fieldcap;
    unsigned long lineno;
    bool headerless;           /* line 1 was not the header: it is read as an entry */
    char *pending;             /* that line, until dbglog_next returns it */
    size_t pending_len;
    char error[DBGLOG_ERR_LEN];
};

/* Flags of dbglog_open. */
enum {
    DBGLOG_REREAD = 1, /* the log will be read again (dbglog_rewind): a file that cannot seek,
                        * such as a pipe, is copied to a temporary file as it is read */
    DBGLOG_STRICT = 2, /* every line after the header must be framed: none is skipped. For a
                        * checker of this simulator's own logs (check-history); the graders grade
                        * logs of any writer and skip what carries nothing they count */
};

/* Opens path (borrowed: it must outlive the reader) and reads its header line. Returns 0, or -1
 * after writing "path:line: what is wrong" (or "cannot open path: reason") into err. A log whose
 * first line is not the header (other builds of the classic framework write none) is read all
 * the same, its first line as an entry, unless the reader is DBGLOG_STRICT: dbglog_headerless
 * says so, and a tool says so on stderr. An empty file is an error. */
int dbglog_open(const char *path, unsigned flags, struct dbglog *r, char *err, size_t errlen);

/* Reads the next line into *line. Returns 1 for a line, 0 at the end of the file, -1 on a
 * malformed line or a read error (then dbglog_error says "path:line: what is wrong"). */
int dbglog_next(struct dbglog *r, struct dbglog_line *line);

/* From now on dbglog_next returns only lines of the kinds in mask (DBGLOG_BIT of each; all kinds
 * until this is called) and skips the others, which are still read and checked like every line.
 * On a pass after dbglog_rewind over lines that all parsed the first time, joins and removals
 * are recognised by their end, so a mask of those kinds alone skips every other line without
 * parsing it: the fast path of grade-membership's second pass, which wants the 25 million
 * removals among the 75 million lines of a 10,000-node log. */
void dbglog_only(struct dbglog *r, unsigned mask);

/* Starts a second pass: dbglog_next reads from line 2 again (line 1 if it was no header). Only for a reader opened with
 * DBGLOG_REREAD whose dbglog_next returned 0 (the end). Returns 0, or -1 (then dbglog_error
 * says why). */
int dbglog_rewind(struct dbglog *r);

/* Whether the log lacked the header line (see dbglog_open). */
bool dbglog_headerless(const struct dbglog *r);
/* If it did, says so on stderr: "prog: note: path has no header line '131' ...". */
void dbglog_note_headerless(const struct dbglog *r, const char *prog);

/* The last error of dbglog_next or dbglog_rewind. */
const char *dbglog_error(const struct dbglog *r);

/* Closes the file and frees the buffers; safe on a reader whose open failed. */
void dbglog_close(struct dbglog *r);

/* "create", "read", "update", "delete". */
const char *dbglog_op_name(enum dbglog_op op);

/* "a.b.c.d:port" into buf; returns buf. */
const char *dbglog_addr_text(struct dbglog_addr a, char buf[DBGLOG_ADDR_LEN]);

/* A total order of addresses: id, then port. */
uint64_t dbglog_addr_order(struct dbglog_addr a);

/* Parsers the tools share for their other inputs; each advances *p past what it read and
 * leaves it alone on failure. A decimal number of 1 to max_digits digits, at most max
 * (canonical: no leading zero): */
bool dbglog_parse_num(const char **p, int max_digits, unsigned long long max, bool canonical,
                      unsigned long long *out);
/* An address "a.b.c.d:port", bytes 0..255, port 0..65535: */
bool dbglog_parse_addr(const char **p, bool canonical, struct dbglog_addr *out);

#endif
