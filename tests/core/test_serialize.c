/* test_serialize.c: the save format's C API: writer/reader round trips to
 * memory and files, views written as their elements, the atomic replace,
 * and rejection of truncated, corrupt, foreign, newer and crafted input. */
#include <stdlib.h>
#include <unistd.h>

#include "lc.h"
#include "test_util.h"

static lc_tensor *seq(lc_dtype dt, int ndim, const int64_t *sizes) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= sizes[i];
  lc_tensor *flat = lc_arange(dt, 0, (double)n, 1);
  lc_tensor *out = lc_reshape(flat, ndim, sizes);
  lc_release(flat);
  return out;
}

static bool same_values(const lc_tensor *a, const lc_tensor *b) {
  if (!a || !b || a->dtype != b->dtype || !lc_same_shape(a, b)) return false;
  for (int64_t i = 0; i < lc_numel(a); i++)
    if (lc_get(a, i) != lc_get(b, i)) return false;
  return true;
}

/* A file of n bytes from data. */
static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  fwrite(data, 1, n, f);
  fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *p = malloc(*n ? *n : 1);
  *n = fread(p, 1, *n, f);
  fclose(f);
  return p;
}

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the header's size and checksum after a payload edit, as a
 * crafted (not merely damaged) file would. */
static void reseal(unsigned char *buf, size_t len) {
  put64(buf + 16, len - LC_SAVE_HEADER_SIZE);
  put64(buf + 24, lc_fnv1a64(LC_FNV_OFFSET, buf + LC_SAVE_HEADER_SIZE, len - LC_SAVE_HEADER_SIZE));
}

static void test_buffer_round_trip(void) {
  lc_writer *w = lc_writer_open_buffer();
  lc_tensor *a = seq(LC_FLOAT32, 2, DIMS(2, 3));
  lc_tensor *b = seq(LC_INT64, 1, DIMS(4));
  lc_tensor *big = seq(LC_FLOAT64, 2, DIMS(50, 40));
  lc_tensor *nar = lc_narrow(big, 0, 10, 2); /* (2, 40): 80 of 2000 elements */
  lc_tensor *tr = lc_transpose(a, 0, 1);
  lc_tensor *one = lc_full(LC_FLOAT64, 1, DIMS(1), 7.5);
  lc_tensor *ex = lc_expand(one, 1, DIMS(5));
  lc_tensor *zero_d = lc_scalar(LC_FLOAT64, -2.25);
  lc_tensor *empty = lc_zeros(LC_FLOAT32, 2, DIMS(3, 0));
  lc_tensor *g = seq(LC_FLOAT32, 1, DIMS(3));
  g->requires_grad = true;

  CHECK(lc_write_table(w, 9) == 0);
  CHECK(lc_write_string(w, "a", 1) == 0 && lc_write_tensor(w, a) == 0);
  CHECK(lc_write_string(w, "b", 1) == 0 && lc_write_tensor(w, b) == 0);
  CHECK(lc_write_string(w, "narrow", 6) == 0 && lc_write_tensor(w, nar) == 0);
  CHECK(lc_write_string(w, "t", 1) == 0 && lc_write_tensor(w, tr) == 0);
  CHECK(lc_write_string(w, "ex", 2) == 0 && lc_write_tensor(w, ex) == 0);
  CHECK(lc_write_int(w, 1) == 0 && lc_write_tensor(w, zero_d) == 0);
  CHECK(lc_write_int(w, 2) == 0 && lc_write_tensor(w, empty) == 0);
  CHECK(lc_write_int(w, -3) == 0 && lc_write_table(w, 4) == 0);
  CHECK(lc_write_int(w, 1) == 0 && lc_write_bool(w, true) == 0);
  CHECK(lc_write_int(w, 2) == 0 && lc_write_int(w, INT64_MIN) == 0);
  CHECK(lc_write_int(w, 3) == 0 && lc_write_float(w, -0.0) == 0);
  CHECK(lc_write_int(w, 4) == 0 && lc_write_string(w, "x\0y", 3) == 0);
  CHECK(lc_write_string(w, "g", 1) == 0 && lc_write_tensor(w, g) == 0);
  CHECK(lc_writer_finish(w) == 0);
  size_t len;
  const unsigned char *buf = lc_writer_buffer(w, &len);
  CHECK(buf && !memcmp(buf, LC_SAVE_MAGIC, 8) && buf[8] == LC_SAVE_VERSION);

  lc_reader *r = lc_reader_open_buffer(buf, len);
  CHECK(r != NULL);
  lc_item it;
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_TABLE && it.count == 9);
  const char *names[] = {"a", "b", "narrow", "t", "ex"};
  const lc_tensor *want[] = {a, b, nar, tr, ex};
  for (int k = 0; k < 5; k++) {
    CHECK(lc_reader_expects_key(r));
    CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_STRING && !strcmp(it.str, names[k]));
    CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_TENSOR);
    CHECK(same_values(it.tensor, want[k]) && lc_is_contiguous(it.tensor));
    CHECK(!it.tensor->requires_grad && it.tensor->grad_fn == NULL);
    if (k == 2) CHECK(it.tensor->storage->nbytes == 80 * sizeof(double)); /* just the view */
    lc_release(it.tensor);
  }
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_INT && it.i == 1);
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_TENSOR && it.tensor->ndim == 0 &&
        lc_get(it.tensor, 0) == -2.25);
  lc_release(it.tensor);
  CHECK(lc_read(r, &it) == 0 && it.i == 2);
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_TENSOR && same_values(it.tensor, empty));
  lc_release(it.tensor);
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_INT && it.i == -3);
  CHECK(lc_read(r, &it) == 0 && it.type == LC_REC_TABLE && it.count == 4);
  CHECK(lc_reader_depth(r) == 2);
  CHECK(lc_read(r, &it) == 0 && lc_read(r, &it) == 0 && it.type == LC_REC_TRUE && it.b);
  CHECK(lc_read(r, &it) == 0 && lc_read(r, &it) == 0 && it.type == LC_REC_INT && it.i == INT64_MIN);
  CHECK(lc_read(r, &it) == 0 && lc_read(r, &it) == 0 && it.type == LC_REC_FLOAT && it.f == 0 &&
        signbit(it.f));
  CHECK(lc_read(r, &it) == 0 && lc_read(r, &it) == 0 && it.type == LC_REC_STRING && it.len == 3 &&
        !memcmp(it.str, "x\0y", 3));
  CHECK(lc_reader_depth(r) == 1);
  CHECK(lc_read(r, &it) == 0 && lc_read(r, &it) == 0 && it.type == LC_REC_TENSOR &&
        it.tensor->requires_grad && same_values(it.tensor, g));
  lc_release(it.tensor);
  CHECK(lc_reader_depth(r) == 0);
  CHECK(lc_reader_finish(r) == 0);
  CHECK(lc_read(r, &it) == -1); /* nothing after the root value */
  CHECK_CONTAINS(lc_error(), "read completely");
  lc_reader_close(r);

  lc_writer_close(w);
  lc_release(a), lc_release(b), lc_release(big), lc_release(nar), lc_release(tr);
  lc_release(one), lc_release(ex), lc_release(zero_d), lc_release(empty), lc_release(g);
}

static void test_writer_structure(void) {
  lc_writer *w = lc_writer_open_buffer();
  CHECK(lc_writer_finish(w) == -1);
  CHECK_CONTAINS(lc_error(), "no value was written");
  lc_writer_close(w);

  w = lc_writer_open_buffer();
  CHECK(lc_write_table(w, 1) == 0);
  CHECK(lc_write_float(w, 1.5) == -1); /* a float key */
  CHECK_CONTAINS(lc_error(), "table keys must be integers or strings");
  CHECK(lc_write_int(w, 1) == -1); /* sticky */
  CHECK(lc_writer_finish(w) == -1);
  lc_writer_close(w);

  w = lc_writer_open_buffer();
  CHECK(lc_write_table(w, 2) == 0 && lc_write_int(w, 1) == 0 && lc_write_int(w, 1) == 0);
  CHECK(lc_writer_finish(w) == -1);
  CHECK_CONTAINS(lc_error(), "incomplete");
  lc_writer_close(w);

  w = lc_writer_open_buffer();
  CHECK(lc_write_int(w, 1) == 0);
  CHECK(lc_write_int(w, 2) == -1);
  CHECK_CONTAINS(lc_error(), "one value");
  lc_writer_close(w);

  w = lc_writer_open_buffer();
  int rc = 0;
  for (int d = 0; d < LC_SAVE_MAX_DEPTH && !rc; d++) rc = lc_write_table(w, 1) || lc_write_int(w, 1);
  CHECK(rc == 0);
  CHECK(lc_write_table(w, 0) == -1);
  CHECK_CONTAINS(lc_error(), "nested deeper");
  lc_writer_close(w);
}

static void test_file_round_trip(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/t.lc", dir);
  lc_tensor *a = seq(LC_FLOAT64, 3, DIMS(2, 3, 4));
  lc_tensor *p = lc_permute(a, (int[]){2, 0, 1});
  CHECK(lc_save_tensor_file(p, path) == 0);
  lc_tensor *b = lc_load_tensor_file(path);
  CHECK(same_values(b, p) && lc_is_contiguous(b));
  lc_release(b);

  /* overwrite: the new value replaces the old, no temporary left */
  lc_tensor *c = seq(LC_INT64, 1, DIMS(3));
  CHECK(lc_save_tensor_file(c, path) == 0);
  b = lc_load_tensor_file(path);
  CHECK(same_values(b, c));
  lc_release(b);

  /* a writer closed before finishing leaves the previous file as it was */
  lc_writer *w = lc_writer_open_file(path);
  CHECK(w && lc_write_table(w, 3) == 0 && lc_write_int(w, 1) == 0 && lc_write_tensor(w, a) == 0);
  lc_writer_close(w);
  b = lc_load_tensor_file(path);
  CHECK(same_values(b, c));
  lc_release(b);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
  CHECK(system(cmd) == 0);

  /* a non-tensor root is not a tensor file */
  w = lc_writer_open_buffer();
  CHECK(lc_write_string(w, "hi", 2) == 0 && lc_writer_finish(w) == 0);
  size_t len;
  const void *buf = lc_writer_buffer(w, &len);
  char other[512];
  snprintf(other, sizeof other, "%s/s.lc", dir);
  write_bytes(other, buf, len);
  lc_writer_close(w);
  CHECK(lc_load_tensor_file(other) == NULL);
  CHECK_CONTAINS(lc_error(), "holds a string, not a tensor");
  remove(other);

  /* no such directory */
  snprintf(other, sizeof other, "%s/missing/x.lc", dir);
  CHECK(lc_save_tensor_file(c, other) == -1);
  CHECK_CONTAINS(lc_error(), "cannot create the temporary file");
  CHECK(lc_load_tensor_file(other) == NULL);
  CHECK_CONTAINS(lc_error(), "no such file");

  remove(path);
  lc_release(a), lc_release(p), lc_release(c);
}

/* Every kind of damage is an error naming the path and the problem. */
static void test_damage(const char *dir) {
  char path[512], bad[512];
  snprintf(path, sizeof path, "%s/good.lc", dir);
  snprintf(bad, sizeof bad, "%s/bad.lc", dir);
  lc_tensor *a = seq(LC_FLOAT32, 2, DIMS(4, 5));
  CHECK(lc_save_tensor_file(a, path) == 0);
  size_t n = 0;
  unsigned char *good = read_bytes(path, &n);
  CHECK(good && n == 32 + 1 + 4 + 16 + 80);
  unsigned char *buf = malloc(n);

  /* truncation at every length */
  int truncated = 0;
  for (size_t cut = 0; cut < n; cut++) {
    write_bytes(bad, good, cut);
    lc_tensor *t = lc_load_tensor_file(bad);
    if (!t && strstr(lc_error(), bad) &&
        (cut == 0 ? strstr(lc_error(), "empty") != NULL : strstr(lc_error(), "truncated") != NULL))
      truncated++;
    else
      fprintf(stderr, "cut %zu: %s\n", cut, lc_error());
    lc_release(t);
  }
  CHECK(truncated == (int)n);

  /* each flipped payload byte is a checksum mismatch */
  int mismatches = 0;
  for (size_t i = 32; i < n; i++) {
    memcpy(buf, good, n);
    buf[i] ^= 0x40;
    lc_reader *r = lc_reader_open_buffer(buf, n);
    if (!r && strstr(lc_error(), "checksum mismatch")) mismatches++;
    lc_reader_close(r);
  }
  CHECK(mismatches == (int)(n - 32));
  memcpy(buf, good, n);
  buf[40] ^= 1;
  write_bytes(bad, buf, n);
  CHECK(lc_load_tensor_file(bad) == NULL);
  CHECK_CONTAINS(lc_error(), "checksum mismatch");

  /* foreign file, newer version, unknown flags, trailing bytes */
  write_bytes(bad, "hello, world\n", 13);
  CHECK(lc_load_tensor_file(bad) == NULL);
  CHECK_CONTAINS(lc_error(), "not a lucid save file");
  memcpy(buf, good, n);
  buf[8] = LC_SAVE_VERSION + 1;
  CHECK(lc_reader_open_buffer(buf, n) == NULL);
  CHECK_CONTAINS(lc_error(), "unsupported format version 2");
  memcpy(buf, good, n);
  buf[12] = 1;
  CHECK(lc_reader_open_buffer(buf, n) == NULL);
  CHECK_CONTAINS(lc_error(), "flags");
  unsigned char *longer = malloc(n + 3);
  memcpy(longer, good, n);
  CHECK(lc_reader_open_buffer(longer, n + 3) == NULL);
  CHECK_CONTAINS(lc_error(), "3 unexpected bytes after");
  free(longer);

  /* crafted with a valid checksum: sizes too big for the file, overflowing
   * sizes, too many dims, a bad dtype; all errors without allocating */
  memcpy(buf, good, n);
  put64(buf + 32 + 5, (uint64_t)1 << 40);
  reseal(buf, n);
  lc_reader *r = lc_reader_open_buffer(buf, n);
  CHECK(r != NULL); /* the header is sound: the tensor record is not */
  lc_item it;
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "only 80 remain");
  lc_reader_close(r);

  memcpy(buf, good, n);
  put64(buf + 32 + 5, (uint64_t)1 << 40);
  put64(buf + 32 + 13, (uint64_t)1 << 40);
  reseal(buf, n);
  r = lc_reader_open_buffer(buf, n);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "overflow");
  lc_reader_close(r);

  memcpy(buf, good, n);
  buf[32 + 2] = LC_MAX_DIMS + 1;
  reseal(buf, n);
  r = lc_reader_open_buffer(buf, n);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "at most 8 are supported");
  lc_reader_close(r);

  memcpy(buf, good, n);
  buf[32 + 1] = 9;
  reseal(buf, n);
  r = lc_reader_open_buffer(buf, n);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "dtype code 9");
  lc_reader_close(r);

  memcpy(buf, good, n);
  buf[32] = 0x42;
  reseal(buf, n);
  r = lc_reader_open_buffer(buf, n);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "unknown record type 66");
  lc_reader_close(r);

  /* a table announcing more entries than bytes, and a huge string */
  unsigned char craft[32 + 9 + 9 + 4];
  memset(craft, 0, sizeof craft);
  memcpy(craft, LC_SAVE_MAGIC, 8);
  craft[8] = 1;
  craft[32] = LC_REC_TABLE;
  put64(craft + 33, UINT64_MAX);
  reseal(craft, 32 + 9);
  r = lc_reader_open_buffer(craft, 32 + 9);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "announces");
  lc_reader_close(r);
  craft[32] = LC_REC_STRING;
  put64(craft + 33, UINT64_MAX - 3);
  reseal(craft, sizeof craft);
  r = lc_reader_open_buffer(craft, sizeof craft);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "a string of");
  lc_reader_close(r);
  /* a table whose key is a boolean */
  craft[32] = LC_REC_TABLE;
  put64(craft + 33, 1);
  craft[41] = LC_REC_TRUE;
  craft[42] = LC_REC_FALSE;
  memset(craft + 43, 0, 8); /* room for the pair a real key would need */
  reseal(craft, 32 + 19);
  r = lc_reader_open_buffer(craft, 32 + 19);
  CHECK(lc_read(r, &it) == 0 && it.count == 1);
  CHECK(lc_read(r, &it) == -1);
  CHECK_CONTAINS(lc_error(), "table key");
  lc_reader_close(r);

  remove(bad);
  remove(path);
  free(buf);
  free(good);
  lc_release(a);
}

int main(void) {
  char dir[] = "/tmp/lucid_test_serialize_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_buffer_round_trip();
  test_writer_structure();
  test_file_round_trip(dir);
  test_damage(dir);
  rmdir(dir);
  return test_summary();
}
