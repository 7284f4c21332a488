/* lc_serialize.h: save and load; included by lc.h.
 *
 * A lucid save file holds one value: a tensor, a boolean, an integer, a
 * float, a string, or a table of key/value pairs whose keys are integers or
 * strings and whose values are any of these. The byte layout is specified in
 * docs/save_load.md; in short: a 32-byte little-endian header (magic, format
 * version, flags, payload size, FNV-1a 64 checksum of the payload), then the
 * payload, a pre-order stream of records.
 *
 * Writing: open a writer, write the root value's records, finish. A table is
 * written as lc_write_table(w, n) followed by n key/value pairs, each a key
 * record (integer or string) then a value (which may itself be a table). The
 * writer checks this structure, so a finished stream always reads back.
 * File writers are atomic: records go to a temporary file in the target's
 * directory that lc_writer_finish fsyncs and renames over the target; closing
 * an unfinished writer removes the temporary file and leaves the target as it
 * was.
 *
 * Reading: opening checks magic, version, size and checksum before any
 * record is parsed; lc_read then pulls records in the same pre-order. Every
 * length is bounds-checked against the bytes left, so a crafted file yields
 * an error, never a crash or a huge allocation.
 *
 * All functions return 0 / a pointer on success and -1 / NULL with
 * lc_error() set ("save: '<path>': ..." or "load: '<path>': ..."). After an
 * error a writer or reader only accepts close.
 */
#ifndef LC_SERIALIZE_H
#define LC_SERIALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_SAVE_MAGIC "\x89LUCID\r\n"   /* 8 bytes, no terminator in the file */
#define LC_SAVE_VERSION 1               /* the newest format this build reads and writes */
#define LC_SAVE_HEADER_SIZE 32
#define LC_SAVE_MAX_DEPTH 100           /* nested tables, root table = depth 1 */

typedef enum {
  LC_REC_FALSE = 1,
  LC_REC_TRUE = 2,
  LC_REC_INT = 3,     /* int64 */
  LC_REC_FLOAT = 4,   /* IEEE-754 binary64 */
  LC_REC_STRING = 5,  /* bytes, any content */
  LC_REC_TENSOR = 6,
  LC_REC_TABLE = 7,   /* followed by `count` key/value pairs */
} lc_record_type;

typedef struct lc_writer lc_writer;
typedef struct lc_reader lc_reader;

/* ---- writing ------------------------------------------------------------- */
/* Writes to a temporary file next to path; path is replaced only by a
 * successful lc_writer_finish. */
LC_API lc_writer *lc_writer_open_file(const char *path);
/* Writes to memory; lc_writer_buffer gives the bytes after finish. */
LC_API lc_writer *lc_writer_open_buffer(void);

LC_API int lc_write_bool(lc_writer *w, bool v);
LC_API int lc_write_int(lc_writer *w, int64_t v);
LC_API int lc_write_float(lc_writer *w, double v);
LC_API int lc_write_string(lc_writer *w, const char *s, size_t len);
/* Only the elements the view covers, in row-major order (a narrow of a big
 * tensor writes just its elements; an expanded one its full logical size).
 * requires_grad is kept as a flag; the gradient and history are not saved. */
LC_API int lc_write_tensor(lc_writer *w, const lc_tensor *t);
LC_API int lc_write_table(lc_writer *w, uint64_t count);

/* Completes the file: header with size and checksum; for file writers also
 * fsync, rename into place and fsync of the directory. Fails unless exactly
 * one complete root value was written. */
LC_API int lc_writer_finish(lc_writer *w);
/* The finished bytes of a buffer writer (owned by w), or NULL. */
LC_API const void *lc_writer_buffer(const lc_writer *w, size_t *len);
/* Frees w; an unfinished file writer removes its temporary file. NULL is fine. */
LC_API void lc_writer_close(lc_writer *w);

/* ---- reading ------------------------------------------------------------- */
LC_API lc_reader *lc_reader_open_file(const char *path);
/* Reads from data[0..len), which must outlive the reader. */
LC_API lc_reader *lc_reader_open_buffer(const void *data, size_t len);

typedef struct {
  lc_record_type type;
  bool b;              /* LC_REC_FALSE / LC_REC_TRUE */
  int64_t i;           /* LC_REC_INT */
  double f;            /* LC_REC_FLOAT */
  const char *str;     /* LC_REC_STRING: owned by the reader, valid until the next */
  size_t len;          /*   lc_read; NUL-terminated for convenience */
  lc_tensor *tensor;   /* LC_REC_TENSOR: a new reference, contiguous leaf */
  uint64_t count;      /* LC_REC_TABLE: key/value pairs that follow */
} lc_item;

/* The next record. Returns 0, or -1 on malformed data or when the root
 * value has been read completely. */
LC_API int lc_read(lc_reader *r, lc_item *item);
/* Current table nesting (0 at the root level) and whether the next record is
 * a table key. */
LC_API int lc_reader_depth(const lc_reader *r);
LC_API bool lc_reader_expects_key(const lc_reader *r);
/* Checks the root value was read completely and nothing follows it. */
LC_API int lc_reader_finish(lc_reader *r);
LC_API void lc_reader_close(lc_reader *r);

/* ---- one tensor, for C hosts ---------------------------------------------- */
LC_API int lc_save_tensor_file(const lc_tensor *t, const char *path);
LC_API lc_tensor *lc_load_tensor_file(const char *path);

/* FNV-1a 64 over n bytes, continuing from h (start with LC_FNV_OFFSET). */
#define LC_FNV_OFFSET 0xcbf29ce484222325ULL
LC_API uint64_t lc_fnv1a64(uint64_t h, const void *data, size_t n);

#endif
