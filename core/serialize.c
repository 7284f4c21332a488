/* serialize.c: the lucid save format (docs/save_load.md): writers and
 * readers of the record stream, to files (atomic replace) or memory. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lc_internal.h"

#define CHUNK (1 << 16) /* staging buffer for strided tensors and checksums */
#define MIN_ENTRY_BYTES 10 /* smallest key + value: an INT key (9) and FALSE (1) */

uint64_t lc_fnv1a64(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* The format is little-endian whatever the host is. */
static bool host_little_endian(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

static void swap_elements(unsigned char *p, size_t nbytes, size_t es) {
  for (size_t i = 0; i + es <= nbytes; i += es)
    for (size_t a = 0, b = es - 1; a < b; a++, b--) {
      unsigned char c = p[i + a];
      p[i + a] = p[i + b];
      p[i + b] = c;
    }
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static uint32_t get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

/* dtype codes of the file, fixed independently of the lc_dtype enum. Bool
 * (3) came later without a version bump: files without bool tensors read as
 * before, and an older lucid names the code it does not know. */
static const lc_dtype code_dtype[] = {LC_FLOAT32, LC_FLOAT64, LC_INT64, LC_BOOL};
static int dtype_code(lc_dtype dt) {
  int c = 0;
  while (code_dtype[c] != dt) c++;
  return c;
}

static const char *record_name(int type) {
  switch (type) {
  case LC_REC_FALSE: case LC_REC_TRUE: return "boolean";
  case LC_REC_INT: return "integer";
  case LC_REC_FLOAT: return "float";
  case LC_REC_STRING: return "string";
  case LC_REC_TENSOR: return "tensor";
  case LC_REC_TABLE: return "table";
  }
  return "unknown record";
}

static char *label_for(const char *path) {
  size_t n = strlen(path) + 3;
  char *s = malloc(n);
  if (s) snprintf(s, n, "'%s'", path);
  return s;
}

/* ==== writer ============================================================== */

struct lc_writer {
  char *label;                  /* "'path'", or "" for a buffer: leads messages */
  /* file sink */
  FILE *f;
  char *path, *tmp;
  bool committed;
  /* buffer sink: the whole file, header included */
  unsigned char *buf;
  size_t len, cap;
  uint64_t payload;             /* bytes after the header */
  uint64_t hash;
  /* structure: items (keys and values) left in each open table */
  int depth;
  uint64_t left[LC_SAVE_MAX_DEPTH + 1];
  bool root_begun, failed, finished;
};

/* What follows a label in a message: buffers have none (an empty label). */
static const char *sep(const char *label) { return *label ? ": " : ""; }

static int wfail(lc_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wfail(lc_writer *w, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lc_fail(LC_ERR_IO, "save", "%s%s%s", w->label, sep(w->label), msg);
  w->failed = true;
  return -1;
}

static int raw_out(lc_writer *w, const void *data, size_t n) {
  if (!n) return 0;
  if (w->f) {
    if (fwrite(data, 1, n, w->f) != n)
      return wfail(w, "writing '%s' failed: %s", w->tmp, strerror(errno));
    return 0;
  }
  if (n > w->cap - w->len) {
    size_t cap = w->cap ? w->cap : 256;
    while (n > cap - w->len) {
      if (cap > SIZE_MAX / 2) return wfail(w, "out of memory");
      cap *= 2;
    }
    unsigned char *p = realloc(w->buf, cap);
    if (!p) return wfail(w, "out of memory growing the buffer to %zu bytes", cap);
    w->buf = p;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, data, n);
  w->len += n;
  return 0;
}

/* Payload bytes: counted and checksummed. */
static int out(lc_writer *w, const void *data, size_t n) {
  w->hash = lc_fnv1a64(w->hash, data, n);
  w->payload += n;
  return raw_out(w, data, n);
}

static void header(unsigned char *h, uint64_t payload, uint64_t hash) {
  memcpy(h, LC_SAVE_MAGIC, 8);
  put_u32(h + 8, LC_SAVE_VERSION);
  put_u32(h + 12, 0);
  put_u64(h + 16, payload);
  put_u64(h + 24, hash);
}

static lc_writer *writer_new(void) {
  lc_writer *w = calloc(1, sizeof *w);
  if (!w) lc_fail(LC_ERR_MEMORY, "save", "out of memory");
  else w->hash = LC_FNV_OFFSET;
  return w;
}

lc_writer *lc_writer_open_buffer(void) {
  lc_writer *w = writer_new();
  if (!w) return NULL;
  w->label = strdup("");
  unsigned char h[LC_SAVE_HEADER_SIZE];
  header(h, 0, 0);
  if (!w->label || raw_out(w, h, sizeof h)) {
    if (!w->label) lc_fail(LC_ERR_MEMORY, "save", "out of memory");
    lc_writer_close(w);
    return NULL;
  }
  return w;
}

lc_writer *lc_writer_open_file(const char *path) {
  if (!path || !*path) {
    lc_fail(LC_ERR_ARG, "save", "the path is empty");
    return NULL;
  }
  /* The save renames a temporary over path: over a device (/dev/null, run
   * as root) that would replace the device with a file. */
  struct stat target;
  if (stat(path, &target) == 0 && !S_ISREG(target.st_mode)) {
    lc_fail(LC_ERR_IO, "save", "'%s' is not a regular file (a directory, a device or a pipe); saves "
                 "replace a file atomically", path);
    return NULL;
  }
  lc_writer *w = writer_new();
  if (!w) return NULL;
  size_t n = strlen(path) + 40;
  w->label = label_for(path);
  w->path = strdup(path);
  w->tmp = malloc(n);
  if (!w->label || !w->path || !w->tmp) {
    lc_fail(LC_ERR_MEMORY, "save", "out of memory");
    lc_writer_close(w);
    return NULL;
  }
  /* The temporary sits next to the target so the rename stays within one
   * file system and is atomic. O_EXCL: never clobber another writer's. */
  int fd = -1;
  static _Atomic int counter; /* distinct names across threads */
  for (int attempt = 0; attempt < 1000 && fd < 0; attempt++) {
    snprintf(w->tmp, n, "%s.tmp-%ld-%d", path, (long)getpid(), counter++);
    fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    wfail(w, "cannot create the temporary file '%s': %s", w->tmp, strerror(errno));
    free(w->tmp); /* nothing to remove */
    w->tmp = NULL;
    lc_writer_close(w);
    return NULL;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) (void)fchmod(fd, st.st_mode & 07777);
  w->f = fdopen(fd, "wb");
  if (!w->f) {
    close(fd);
    wfail(w, "cannot open '%s': %s", w->tmp, strerror(errno));
    lc_writer_close(w);
    return NULL;
  }
  unsigned char h[LC_SAVE_HEADER_SIZE];
  header(h, 0, 0); /* size and checksum are patched in by finish */
  if (raw_out(w, h, sizeof h)) {
    lc_writer_close(w);
    return NULL;
  }
  return w;
}

/* Accounts for one record in the structure before its bytes are written. */
static int begin(lc_writer *w, int type) {
  if (!w) {
    lc_fail(LC_ERR_ARG, "save", "writer is NULL");
    return -1;
  }
  if (w->failed) {
    lc_fail(LC_ERR_STATE, "save", "%s%sthe writer failed earlier and accepts nothing more", w->label, sep(w->label));
    return -1;
  }
  if (w->finished) return wfail(w, "the writer is already finished");
  if (w->depth == 0) {
    if (w->root_begun) return wfail(w, "the root value is already complete; a file holds one value");
    w->root_begun = true;
  } else {
    if (w->left[w->depth] % 2 == 0 && type != LC_REC_INT && type != LC_REC_STRING)
      return wfail(w, "table keys must be integers or strings, got a %s", record_name(type));
    w->left[w->depth]--;
  }
  return 0;
}

/* Closes the tables whose entries are all written. */
static void settle(lc_writer *w) {
  while (w->depth > 0 && w->left[w->depth] == 0) w->depth--;
}

static int write_tagged(lc_writer *w, int type, const void *body, size_t n) {
  unsigned char tag = (unsigned char)type;
  if (begin(w, type) || out(w, &tag, 1) || out(w, body, n)) return -1;
  settle(w);
  return 0;
}

int lc_write_bool(lc_writer *w, bool v) {
  return write_tagged(w, v ? LC_REC_TRUE : LC_REC_FALSE, NULL, 0);
}

int lc_write_int(lc_writer *w, int64_t v) {
  unsigned char b[8];
  put_u64(b, (uint64_t)v);
  return write_tagged(w, LC_REC_INT, b, 8);
}

int lc_write_float(lc_writer *w, double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  unsigned char b[8];
  put_u64(b, bits);
  return write_tagged(w, LC_REC_FLOAT, b, 8);
}

int lc_write_string(lc_writer *w, const char *s, size_t len) {
  unsigned char b[9] = {LC_REC_STRING};
  put_u64(b + 1, len);
  if (begin(w, LC_REC_STRING) || out(w, b, 9) || out(w, s, len)) return -1;
  settle(w);
  return 0;
}

int lc_write_table(lc_writer *w, uint64_t count) {
  if (w && !w->failed && w->depth >= LC_SAVE_MAX_DEPTH)
    return wfail(w, "tables are nested deeper than %d levels", LC_SAVE_MAX_DEPTH);
  if (w && !w->failed && count > UINT64_MAX / 4)
    return wfail(w, "a table of %llu entries is too large", (unsigned long long)count);
  unsigned char b[9] = {LC_REC_TABLE};
  put_u64(b + 1, count);
  if (begin(w, LC_REC_TABLE) || out(w, b, 9)) return -1;
  if (count) w->left[++w->depth] = 2 * count;
  settle(w);
  return 0;
}

int lc_write_tensor(lc_writer *w, const lc_tensor *t) {
  if (!t) {
    if (w) return wfail(w, "the tensor is NULL");
    lc_fail(LC_ERR_ARG, "save", "writer is NULL");
    return -1;
  }
  size_t es = lc_dtype_size(t->dtype);
  unsigned char h[5 + 8 * LC_MAX_DIMS] = {LC_REC_TENSOR, (unsigned char)dtype_code(t->dtype),
                                          (unsigned char)t->ndim, t->requires_grad ? 1 : 0, 0};
  for (int d = 0; d < t->ndim; d++) put_u64(h + 5 + 8 * d, (uint64_t)t->sizes[d]);
  if (begin(w, LC_REC_TENSOR) || out(w, h, 5 + 8 * (size_t)t->ndim)) return -1;
  int64_t n = lc_numel(t);
  if (n > 0 && lc_is_contiguous(t) && host_little_endian()) {
    if (out(w, lc_data(t), (size_t)n * es)) return -1;
  } else if (n > 0) {
    /* Walk the view in row-major order through a staging chunk: a narrow,
     * transpose or expand writes exactly its logical elements. */
    unsigned char *chunk = malloc(CHUNK);
    if (!chunk) return wfail(w, "out of memory");
    const unsigned char *base = lc_data(t);
    int64_t idx[LC_MAX_DIMS] = {0}, off = 0;
    size_t fill = 0;
    int rc = 0;
    for (int64_t k = 0; k < n && !rc; k++) {
      memcpy(chunk + fill, base + off * (int64_t)es, es);
      fill += es;
      if (fill + es > CHUNK || k == n - 1) {
        if (!host_little_endian()) swap_elements(chunk, fill, es);
        rc = out(w, chunk, fill);
        fill = 0;
      }
      for (int d = t->ndim - 1; d >= 0; d--) {
        off += t->strides[d];
        if (++idx[d] < t->sizes[d]) break;
        off -= t->strides[d] * t->sizes[d];
        idx[d] = 0;
      }
    }
    free(chunk);
    if (rc) return -1;
  }
  settle(w);
  return 0;
}

static void sync_dir(const char *path) {
  char *dir = strdup(path);
  if (!dir) return;
  char *slash = strrchr(dir, '/');
  const char *d = ".";
  if (slash == dir) d = "/";
  else if (slash) {
    *slash = '\0';
    d = dir;
  }
  int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd); /* best effort: some file systems refuse it */
    close(fd);
  }
  free(dir);
}

int lc_writer_finish(lc_writer *w) {
  if (!w) {
    lc_fail(LC_ERR_ARG, "save", "writer is NULL");
    return -1;
  }
  if (w->failed) {
    lc_fail(LC_ERR_STATE, "save", "%s%sthe writer failed earlier", w->label, sep(w->label));
    return -1;
  }
  if (w->finished) return wfail(w, "the writer is already finished");
  if (!w->root_begun) return wfail(w, "no value was written");
  if (w->depth > 0)
    return wfail(w, "a table is incomplete: %llu more keys and values expected",
                 (unsigned long long)w->left[w->depth]);
  unsigned char h[LC_SAVE_HEADER_SIZE];
  header(h, w->payload, w->hash);
  if (!w->f) {
    memcpy(w->buf, h, sizeof h);
    w->finished = true;
    return 0;
  }
  FILE *f = w->f;
  w->f = NULL;
  int err = 0;
  const char *step = "flushing";
  if (fflush(f)) err = errno;
  else if (fseek(f, 0, SEEK_SET)) err = errno, step = "seeking in";
  else if (fwrite(h, 1, sizeof h, f) != sizeof h || fflush(f)) err = errno, step = "writing";
  else if (fsync(fileno(f))) err = errno, step = "syncing";
  if (fclose(f) && !err) err = errno, step = "closing";
  if (err) return wfail(w, "%s '%s' failed: %s", step, w->tmp, strerror(err));
  if (rename(w->tmp, w->path))
    return wfail(w, "cannot rename '%s' to the target: %s", w->tmp, strerror(errno));
  w->committed = true;
  w->finished = true;
  sync_dir(w->path); /* makes the rename itself durable */
  return 0;
}

const void *lc_writer_buffer(const lc_writer *w, size_t *len) {
  if (!w || !w->finished || w->path) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = w->len;
  return w->buf;
}

void lc_writer_close(lc_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  if (w->tmp && !w->committed) unlink(w->tmp);
  free(w->tmp);
  free(w->path);
  free(w->label);
  free(w->buf);
  free(w);
}

/* ==== reader ============================================================== */

struct lc_reader {
  char *label;
  FILE *f;                      /* positioned at the next payload byte */
  const unsigned char *data;    /* buffer: the payload */
  uint64_t size, pos;           /* payload size and bytes consumed */
  int depth;
  uint64_t left[LC_SAVE_MAX_DEPTH + 1];
  bool root_begun, failed;
  char *scratch;
  size_t scratch_cap;
};

static int rfail(lc_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rfail(lc_reader *r, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lc_fail(LC_ERR_IO, "load", "%s%s%s", r->label, sep(r->label), msg);
  r->failed = true;
  return -1;
}

/* Checks a header given the first avail (<= 32) bytes and the file size. */
static int check_header(lc_reader *r, const unsigned char *h, size_t avail, uint64_t total) {
  if (total == 0) return rfail(r, "not a lucid save file: the file is empty");
  if (memcmp(h, LC_SAVE_MAGIC, avail < 8 ? avail : 8))
    return rfail(r, "not a lucid save file (wrong magic number)");
  if (avail < LC_SAVE_HEADER_SIZE)
    return rfail(r, "truncated file: %llu bytes, shorter than the %d-byte header",
                 (unsigned long long)total, LC_SAVE_HEADER_SIZE);
  uint32_t version = get_u32(h + 8), flags = get_u32(h + 12);
  if (version == 0) return rfail(r, "corrupt header: format version 0 does not exist");
  if (version > LC_SAVE_VERSION)
    return rfail(r, "unsupported format version %u: written by a newer lucid, this one reads "
                 "versions up to %d", version, LC_SAVE_VERSION);
  if (flags) return rfail(r, "unsupported format flags 0x%x in the header", flags);
  r->size = get_u64(h + 16);
  uint64_t have = total - LC_SAVE_HEADER_SIZE;
  if (have < r->size)
    return rfail(r, "truncated file: the header announces %llu payload bytes, only %llu are present",
                 (unsigned long long)r->size, (unsigned long long)have);
  if (have > r->size)
    return rfail(r, "corrupt file: %llu unexpected bytes after the %llu-byte payload",
                 (unsigned long long)(have - r->size), (unsigned long long)r->size);
  return 0;
}

static int check_sum(lc_reader *r, uint64_t stored, uint64_t computed) {
  if (stored != computed)
    return rfail(r, "checksum mismatch, the file is corrupt (stored FNV-1a 64 %016llx, "
                 "computed %016llx)", (unsigned long long)stored, (unsigned long long)computed);
  return 0;
}

lc_reader *lc_reader_open_buffer(const void *data, size_t len) {
  lc_reader *r = calloc(1, sizeof *r);
  if (r) r->label = strdup("");
  if (!r || !r->label) {
    free(r);
    lc_fail(LC_ERR_MEMORY, "load", "out of memory");
    return NULL;
  }
  const unsigned char *p = data;
  if ((len && !p) || check_header(r, p, len < LC_SAVE_HEADER_SIZE ? len : LC_SAVE_HEADER_SIZE, len)
      || check_sum(r, get_u64(p + 24), lc_fnv1a64(LC_FNV_OFFSET, p + LC_SAVE_HEADER_SIZE, r->size))) {
    if (len && !p) lc_fail(LC_ERR_ARG, "load", "data is NULL");
    lc_reader_close(r);
    return NULL;
  }
  r->data = p + LC_SAVE_HEADER_SIZE;
  return r;
}

lc_reader *lc_reader_open_file(const char *path) {
  lc_reader *r = calloc(1, sizeof *r);
  if (r) r->label = label_for(path ? path : "");
  if (!r || !r->label) {
    free(r);
    lc_fail(LC_ERR_MEMORY, "load", "out of memory");
    return NULL;
  }
  r->f = fopen(path, "rb");
  if (!r->f) {
    int e = errno;
    if (e == ENOENT) rfail(r, "no such file");
    else rfail(r, "cannot open: %s", strerror(e));
    lc_reader_close(r);
    return NULL;
  }
  struct stat st;
  unsigned char h[LC_SAVE_HEADER_SIZE];
  size_t avail = 0;
  if (fstat(fileno(r->f), &st)) rfail(r, "cannot stat: %s", strerror(errno));
  else if (S_ISDIR(st.st_mode)) rfail(r, "is a directory, not a lucid save file");
  /* a device or a pipe has no size to check the header against (/dev/zero
   * would read as "empty", /dev/urandom forever) */
  else if (!S_ISREG(st.st_mode)) rfail(r, "is not a regular file (a device, a pipe or a socket), not a lucid save file");
  else if ((avail = fread(h, 1, sizeof h, r->f)) < sizeof h && ferror(r->f))
    rfail(r, "read failed: %s", strerror(errno));
  if (r->failed || check_header(r, h, avail, (uint64_t)st.st_size)) {
    lc_reader_close(r);
    return NULL;
  }
  /* The whole payload is checksummed before any record is trusted, so a
   * damaged file reports "checksum mismatch" rather than whatever a flipped
   * length would make of the records. */
  unsigned char *chunk = malloc(CHUNK);
  if (!chunk) {
    rfail(r, "out of memory");
    lc_reader_close(r);
    return NULL;
  }
  uint64_t hash = LC_FNV_OFFSET, left = r->size;
  while (left > 0) {
    size_t want = left < CHUNK ? (size_t)left : CHUNK;
    size_t got = fread(chunk, 1, want, r->f);
    hash = lc_fnv1a64(hash, chunk, got);
    left -= got;
    if (got < want) {
      if (ferror(r->f)) rfail(r, "read failed: %s", strerror(errno));
      else rfail(r, "the file shrank while being read");
      break;
    }
  }
  free(chunk);
  if (r->failed || check_sum(r, get_u64(h + 24), hash) ||
      (fseek(r->f, LC_SAVE_HEADER_SIZE, SEEK_SET) && rfail(r, "seek failed: %s", strerror(errno)))) {
    lc_reader_close(r);
    return NULL;
  }
  return r;
}

/* n payload bytes into dst, bounds-checked against what is left. */
static int take(lc_reader *r, void *dst, uint64_t n, const char *what) {
  if (n > r->size - r->pos)
    return rfail(r, "corrupt file: %s at payload offset %llu needs %llu bytes, only %llu remain",
                 what, (unsigned long long)r->pos, (unsigned long long)n,
                 (unsigned long long)(r->size - r->pos));
  if (r->f) {
    if (fread(dst, 1, (size_t)n, r->f) != n)
      return rfail(r, "read failed: %s", ferror(r->f) ? strerror(errno) : "unexpected end of file");
  } else if (n) {
    memcpy(dst, r->data + r->pos, (size_t)n);
  }
  r->pos += n;
  return 0;
}

static int read_tensor(lc_reader *r, lc_item *it) {
  unsigned char h[4];
  if (take(r, h, 4, "a tensor header")) return -1;
  int code = h[0], ndim = h[1], flags = h[2];
  if (code >= (int)(sizeof code_dtype / sizeof *code_dtype))
    return rfail(r, "corrupt file: unknown tensor dtype code %d", code);
  lc_dtype dt = code_dtype[code];
  if (ndim > LC_MAX_DIMS)
    return rfail(r, "corrupt file: a tensor has %d dimensions, at most %d are supported", ndim,
                 LC_MAX_DIMS);
  if ((flags & ~1) || h[3]) return rfail(r, "corrupt file: unknown tensor flags 0x%02x%02x", h[3], flags);
  if ((flags & 1) && !lc_dtype_is_float(dt))
    return rfail(r, "corrupt file: an %s tensor is marked as requiring grad", lc_dtype_name(dt));
  int64_t sizes[LC_MAX_DIMS];
  unsigned char b[8];
  int64_t nonzero = 1; /* product of the nonzero sizes: strides must not overflow either */
  bool empty = false;
  for (int d = 0; d < ndim; d++) {
    if (take(r, b, 8, "a tensor size")) return -1;
    uint64_t s = get_u64(b);
    if (s > (uint64_t)INT64_MAX / 8 || (s && (uint64_t)nonzero > (uint64_t)INT64_MAX / 8 / s))
      return rfail(r, "corrupt file: tensor sizes overflow (dimension %d has size %llu)", d + 1,
                   (unsigned long long)s);
    sizes[d] = (int64_t)s;
    if (s) nonzero *= (int64_t)s;
    else empty = true;
  }
  uint64_t es = lc_dtype_size(dt), numel = empty ? 0 : (uint64_t)nonzero;
  /* Checked before allocating: a crafted size cannot ask for more memory
   * than the file has bytes. */
  if (numel > (r->size - r->pos) / es) {
    char buf[128];
    return rfail(r, "corrupt file: a %s tensor of shape %s needs %llu bytes, only %llu remain",
                 lc_dtype_name(dt), lc_shape_str(buf, ndim, sizes),
                 (unsigned long long)(numel > UINT64_MAX / es ? UINT64_MAX : numel * es),
                 (unsigned long long)(r->size - r->pos));
  }
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  if (!t) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s", lc_error());
    return rfail(r, "%s", msg);
  }
  if (take(r, lc_data(t), numel * es, "tensor data")) {
    lc_release(t);
    return -1;
  }
  if (!host_little_endian()) swap_elements(lc_data(t), (size_t)(numel * es), (size_t)es);
  /* a bool byte other than 0 or 1 is no C bool: refused, not read */
  const unsigned char *bytes = lc_data(t);
  for (uint64_t i = 0; dt == LC_BOOL && i < numel; i++) {
    if (bytes[i] > 1) {
      int byte = bytes[i];
      lc_release(t);
      return rfail(r, "corrupt file: a bool tensor holds the byte %d (expected 0 or 1)", byte);
    }
  }
  t->requires_grad = flags & 1;
  it->tensor = t;
  return 0;
}

int lc_read(lc_reader *r, lc_item *it) {
  if (!r || !it) {
    lc_fail(LC_ERR_ARG, "load", "reader or item is NULL");
    return -1;
  }
  memset(it, 0, sizeof *it);
  if (r->failed) {
    lc_fail(LC_ERR_STATE, "load", "%s%sthe reader failed earlier", r->label, sep(r->label));
    return -1;
  }
  if (r->depth == 0 && r->root_begun) return rfail(r, "the value has been read completely");
  uint64_t at = r->pos;
  unsigned char tag, b[8];
  if (take(r, &tag, 1, "a record")) return -1;
  bool key = r->depth > 0 && r->left[r->depth] % 2 == 0;
  if (tag < LC_REC_FALSE || tag > LC_REC_TABLE)
    return rfail(r, "corrupt file: unknown record type %d at payload offset %llu", tag,
                 (unsigned long long)at);
  if (key && tag != LC_REC_INT && tag != LC_REC_STRING)
    return rfail(r, "corrupt file: a table key at payload offset %llu is a %s, expected an "
                 "integer or a string", (unsigned long long)at, record_name(tag));
  it->type = tag;
  switch (tag) {
  case LC_REC_FALSE: case LC_REC_TRUE:
    it->b = tag == LC_REC_TRUE;
    break;
  case LC_REC_INT:
    if (take(r, b, 8, "an integer")) return -1;
    it->i = (int64_t)get_u64(b);
    break;
  case LC_REC_FLOAT: {
    if (take(r, b, 8, "a float")) return -1;
    uint64_t bits = get_u64(b);
    memcpy(&it->f, &bits, 8);
    break;
  }
  case LC_REC_STRING: {
    if (take(r, b, 8, "a string length")) return -1;
    uint64_t len = get_u64(b);
    if (len > r->size - r->pos)
      return rfail(r, "corrupt file: a string of %llu bytes at payload offset %llu, only %llu remain",
                   (unsigned long long)len, (unsigned long long)at,
                   (unsigned long long)(r->size - r->pos));
    if (len + 1 > r->scratch_cap) {
      char *p = realloc(r->scratch, (size_t)len + 1);
      if (!p) return rfail(r, "out of memory reading a string of %llu bytes", (unsigned long long)len);
      r->scratch = p;
      r->scratch_cap = (size_t)len + 1;
    }
    if (take(r, r->scratch, len, "a string")) return -1;
    r->scratch[len] = '\0';
    it->str = r->scratch;
    it->len = (size_t)len;
    break;
  }
  case LC_REC_TENSOR:
    if (read_tensor(r, it)) return -1;
    break;
  case LC_REC_TABLE:
    if (r->depth >= LC_SAVE_MAX_DEPTH)
      return rfail(r, "corrupt file: tables are nested deeper than %d levels", LC_SAVE_MAX_DEPTH);
    if (take(r, b, 8, "a table size")) return -1;
    it->count = get_u64(b);
    if (it->count > (r->size - r->pos) / MIN_ENTRY_BYTES)
      return rfail(r, "corrupt file: a table at payload offset %llu announces %llu entries, "
                   "more than the %llu bytes left can hold", (unsigned long long)at,
                   (unsigned long long)it->count, (unsigned long long)(r->size - r->pos));
    break;
  }
  if (r->depth == 0) r->root_begun = true;
  else r->left[r->depth]--;
  if (tag == LC_REC_TABLE && it->count) r->left[++r->depth] = 2 * it->count;
  while (r->depth > 0 && r->left[r->depth] == 0) r->depth--;
  return 0;
}

int lc_reader_depth(const lc_reader *r) { return r ? r->depth : 0; }

bool lc_reader_expects_key(const lc_reader *r) {
  return r && r->depth > 0 && r->left[r->depth] % 2 == 0;
}

int lc_reader_finish(lc_reader *r) {
  if (!r) {
    lc_fail(LC_ERR_ARG, "load", "reader is NULL");
    return -1;
  }
  if (r->failed) {
    lc_fail(LC_ERR_STATE, "load", "%s%sthe reader failed earlier", r->label, sep(r->label));
    return -1;
  }
  if (!r->root_begun || r->depth > 0) return rfail(r, "the value was not read completely");
  if (r->pos != r->size)
    return rfail(r, "corrupt file: %llu unexpected bytes after the value",
                 (unsigned long long)(r->size - r->pos));
  return 0;
}

void lc_reader_close(lc_reader *r) {
  if (!r) return;
  if (r->f) fclose(r->f);
  free(r->scratch);
  free(r->label);
  free(r);
}

/* ==== one tensor ========================================================== */

int lc_save_tensor_file(const lc_tensor *t, const char *path) {
  lc_writer *w = lc_writer_open_file(path);
  if (!w) return -1;
  int rc = lc_write_tensor(w, t) || lc_writer_finish(w) ? -1 : 0;
  lc_writer_close(w);
  return rc;
}

lc_tensor *lc_load_tensor_file(const char *path) {
  lc_reader *r = lc_reader_open_file(path);
  if (!r) return NULL;
  lc_item it;
  lc_tensor *t = NULL;
  if (lc_read(r, &it) == 0) {
    if (it.type != LC_REC_TENSOR) rfail(r, "holds a %s, not a tensor", record_name(it.type));
    else if (lc_reader_finish(r) == 0) t = it.tensor;
    else lc_release(it.tensor);
  }
  lc_reader_close(r);
  return t;
}
