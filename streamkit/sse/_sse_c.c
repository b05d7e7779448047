/* The compiled text/event-stream decoder: streamkit.sse._sse_c.SSEDecoder.
 *
 * It behaves exactly as streamkit.sse._decoder.PySSEDecoder (frames, errors with their
 * index, offset, excerpt and size, and the state after every feed), which is
 * the reference; tests/test_sse_differential.py holds the two together. See
 * that class for the rules. In short:
 *
 * - Lines end at CRLF, LF or CR; a CR ending one chunk and an LF starting the
 *   next are one line ending. One leading UTF-8 BOM is dropped, also when split.
 * - Lines are interpreted as soon as they are complete. An event's data is
 *   kept as one view while it has one line (of the fed chunk, or of the held
 *   line that completed it); a second data line starts one joined buffer.
 * - An event that lies inside one fed bytes chunk reaches its frame as a
 *   memoryview slice of that chunk. What must outlive a feed (a partial line,
 *   pending data that views the chunk) is copied once; the chunk is never
 *   kept alive by the decoder.
 * - max_event_bytes is checked at the end of every non-blank line and at the
 *   end of every feed that leaves a partial line, before anything is copied;
 *   max_idle_lines at every idle line.
 * - An error after frames of the same feed is deferred to the next call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define EXCERPT 80
#define NAME_CACHE 64 /* direct-mapped cache of event names, a power of two */
#define DEFAULT_MAX_EVENT_BYTES (64 * 1024 * 1024)
#define RETRY_MAX INT64_MAX

/* SSEFrame and the error classes, taken from streamkit.sse._decoder (which imports
 * this module) when the first decoder is created. */
static PyObject *SSEError, *EventTooLargeError, *IdleStreamError, *StreamClosedError;
static PyObject *FrameType;
static PyObject *str_message, *str_empty, *str_index, *str_offset, *str_excerpt;
static PyObject *kwnames_error; /* ("index", "offset", "excerpt") */

typedef struct {
    PyObject *raw;  /* bytes */
    PyObject *name; /* str */
} NameEntry;

enum { DATA_NONE = 0, DATA_ONE = 1, DATA_MANY = 2 };

typedef struct {
    PyObject_HEAD
    Py_ssize_t max_event;
    Py_ssize_t max_idle; /* -1: no limit */
    long long offset;      /* bytes fed */
    long long block_start; /* stream offset where the pending event starts */
    long long count;       /* frames returned by finished feeds */
    long long idle;
    int at_start; /* the start of the stream may still be a BOM */
    int pending_cr;
    int closed;
    int truncated;
    PyObject *error; /* deferred error, or NULL */
    PyObject *line;  /* bytearray: the held partial line, or NULL */
    Py_ssize_t line_len; /* its bytes in use (its size is its capacity) */
    PyObject *event; /* str: the event type buffer, or NULL ("message") */
    int data_kind;
    PyObject *data_obj; /* DATA_ONE: what the data views; DATA_MANY: bytearray */
    Py_ssize_t data_start, data_end;
    PyObject *id_buf;        /* str */
    PyObject *last_event_id; /* str */
    PyObject *retry;         /* committed: int or None */
    PyObject *retry_buf;     /* with the pending event's lines: int or None */
    char head[EXCERPT];      /* the first bytes of the pending event */
    Py_ssize_t head_len;
    NameEntry names[NAME_CACHE];
    /* during one feed() */
    PyObject *frames;   /* list */
    PyObject *chunk;    /* bytes (borrowed) */
    PyObject *chunk_mv; /* memoryview of chunk, made on first use */
    long long base;     /* stream offset of chunk[0] */
} Decoder;

/* -- errors ------------------------------------------------------------------ */

static Py_ssize_t
frames_index(Decoder *d)
{
    return (Py_ssize_t)(d->count + (d->frames ? PyList_GET_SIZE(d->frames) : 0));
}

/* Raise cls(*args, index=, offset=, excerpt=); always returns -1. */
static int
raise_sse(Decoder *d, PyObject *cls, PyObject *arg1, PyObject *arg2, long long offset,
          const char *excerpt, Py_ssize_t excerpt_len)
{
    PyObject *args[5];
    Py_ssize_t nargs = 0;
    PyObject *index = NULL, *off = NULL, *exc_bytes = NULL, *exc = NULL;
    if (arg1 == NULL || (arg2 == NULL && cls == EventTooLargeError)) {
        goto done;
    }
    index = PyLong_FromSsize_t(frames_index(d));
    off = PyLong_FromLongLong(offset);
    exc_bytes = PyBytes_FromStringAndSize(excerpt, excerpt_len);
    if (index == NULL || off == NULL || exc_bytes == NULL) {
        goto done;
    }
    args[nargs++] = arg1;
    if (arg2 != NULL) {
        args[nargs++] = arg2;
    }
    args[nargs] = index;
    args[nargs + 1] = off;
    args[nargs + 2] = exc_bytes;
    exc = PyObject_Vectorcall(cls, args, (size_t)nargs, kwnames_error);
    if (exc != NULL) {
        PyErr_SetObject(cls, exc);
    }
done:
    Py_XDECREF(arg1);
    Py_XDECREF(arg2);
    Py_XDECREF(index);
    Py_XDECREF(off);
    Py_XDECREF(exc_bytes);
    Py_XDECREF(exc);
    return -1;
}

/* EventTooLargeError for the pending event, whose first `end - block_start`
 * bytes (through stream offset `end`) exceed the limit. `buf` is the current
 * chunk, starting at stream offset d->base; earlier bytes of the event come
 * from d->head. */
static int
too_large(Decoder *d, const char *buf, long long end)
{
    long long start = d->block_start;
    long long size = end - start;
    Py_ssize_t n = (Py_ssize_t)(size < EXCERPT ? size : EXCERPT);
    char tmp[EXCERPT];
    if (start >= d->base) {
        memcpy(tmp, buf + (start - d->base), (size_t)n);
    }
    else {
        Py_ssize_t h = d->head_len;
        if (h > n) {
            h = n;
        }
        memcpy(tmp, d->head, (size_t)h);
        memcpy(tmp + h, buf, (size_t)(n - h));
    }
    return raise_sse(d, EventTooLargeError, PyLong_FromSsize_t(d->max_event),
                     PyLong_FromLongLong(size), start, tmp, n);
}

static inline int
idle_line(Decoder *d, const char *s, Py_ssize_t len, long long offset)
{
    d->idle++;
    if (d->max_idle >= 0 && d->idle > d->max_idle) {
        return raise_sse(d, IdleStreamError, PyLong_FromSsize_t(d->max_idle), NULL, offset,
                         s, len < EXCERPT ? len : EXCERPT);
    }
    return 0;
}

/* -- buffers ------------------------------------------------------------------- */

/* Append to the held line. Its capacity grows by a quarter at least (half as
 * many reallocations of a long line fed in small chunks as bytearray's own
 * eighth), so it never exceeds the line by more than a quarter. */
static int
line_append(Decoder *d, const char *s, Py_ssize_t n)
{
    if (d->line == NULL) {
        d->line = PyByteArray_FromStringAndSize(s, n);
        d->line_len = n;
        return d->line == NULL ? -1 : 0;
    }
    Py_ssize_t need = d->line_len + n, cap = PyByteArray_GET_SIZE(d->line);
    if (need > cap) {
        Py_ssize_t grown = cap + (cap >> 2);
        if (PyByteArray_Resize(d->line, need > grown ? need : grown) < 0) {
            return -1;
        }
    }
    memcpy(PyByteArray_AS_STRING(d->line) + d->line_len, s, (size_t)n);
    d->line_len = need;
    return 0;
}

/* Take the held line (its size set to its length); the decoder holds none. */
static PyObject *
line_take(Decoder *d)
{
    PyObject *line = d->line;
    d->line = NULL;
    if (PyByteArray_GET_SIZE(line) != d->line_len && PyByteArray_Resize(line, d->line_len) < 0) {
        Py_DECREF(line);
        return NULL;
    }
    d->line_len = 0;
    return line;
}

static const char *
obj_bytes(PyObject *obj)
{
    return PyBytes_Check(obj) ? PyBytes_AS_STRING(obj) : PyByteArray_AS_STRING(obj);
}

static void
clear_data(Decoder *d)
{
    d->data_kind = DATA_NONE;
    Py_CLEAR(d->data_obj);
}

/* A data line's value `s[0:n]`, which lies in `owner` at [start, start+n). */
static int
add_data(Decoder *d, PyObject *owner, const char *s, Py_ssize_t start, Py_ssize_t n)
{
    if (d->data_kind == DATA_NONE) {
        Py_INCREF(owner);
        d->data_obj = owner;
        d->data_start = start;
        d->data_end = start + n;
        d->data_kind = DATA_ONE;
        return 0;
    }
    if (d->data_kind == DATA_ONE) {
        Py_ssize_t first = d->data_end - d->data_start;
        PyObject *joined = PyByteArray_FromStringAndSize(NULL, first + 1 + n);
        if (joined == NULL) {
            return -1;
        }
        char *p = PyByteArray_AS_STRING(joined);
        memcpy(p, obj_bytes(d->data_obj) + d->data_start, (size_t)first);
        p[first] = '\n';
        memcpy(p + first + 1, s, (size_t)n);
        Py_SETREF(d->data_obj, joined);
        d->data_kind = DATA_MANY;
        return 0;
    }
    Py_ssize_t old = PyByteArray_GET_SIZE(d->data_obj);
    if (PyByteArray_Resize(d->data_obj, old + 1 + n) < 0) {
        return -1;
    }
    char *p = PyByteArray_AS_STRING(d->data_obj) + old;
    p[0] = '\n';
    memcpy(p + 1, s, (size_t)n);
    return 0;
}

/* -- names, ids, retry ----------------------------------------------------------- */

static PyObject *
event_name(Decoder *d, const char *s, Py_ssize_t n)
{
    if (n == 0) {
        return Py_NewRef(str_message);
    }
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    NameEntry *e = &d->names[h & (NAME_CACHE - 1)];
    if (e->raw != NULL && PyBytes_GET_SIZE(e->raw) == n &&
        memcmp(PyBytes_AS_STRING(e->raw), s, (size_t)n) == 0) {
        return Py_NewRef(e->name);
    }
    PyObject *name = PyUnicode_DecodeUTF8(s, n, "replace");
    if (name == NULL) {
        return NULL;
    }
    PyObject *raw = PyBytes_FromStringAndSize(s, n);
    if (raw == NULL) {
        Py_DECREF(name);
        return NULL;
    }
    Py_XSETREF(e->raw, raw);
    Py_XSETREF(e->name, Py_NewRef(name));
    return name;
}

/* ASCII digits only (else leave retry_buf), clamped to RETRY_MAX. */
static int
set_retry(Decoder *d, const char *s, Py_ssize_t n)
{
    if (n == 0) {
        return 0;
    }
    uint64_t v = 0;
    int big = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9) {
            return 0;
        }
        if (!big) {
            if (v > ((uint64_t)RETRY_MAX - c) / 10) {
                big = 1;
            }
            else {
                v = v * 10 + c;
            }
        }
    }
    PyObject *r = PyLong_FromLongLong(big ? RETRY_MAX : (long long)v);
    if (r == NULL) {
        return -1;
    }
    Py_SETREF(d->retry_buf, r);
    return 0;
}

/* -- lines ----------------------------------------------------------------------- */

static int
dispatch(Decoder *d, long long line_off)
{
    Py_SETREF(d->last_event_id, Py_NewRef(d->id_buf));
    if (d->retry != d->retry_buf) {
        Py_SETREF(d->retry, Py_NewRef(d->retry_buf));
    }
    if (d->data_kind == DATA_NONE) {
        Py_CLEAR(d->event);
        return idle_line(d, "", 0, line_off);
    }
    PyObject *view;
    if (d->data_kind == DATA_ONE) {
        if (d->data_obj == d->chunk) {
            if (d->chunk_mv == NULL) {
                d->chunk_mv = PyMemoryView_FromObject(d->chunk);
                if (d->chunk_mv == NULL) {
                    return -1;
                }
            }
            view = PySequence_GetSlice(d->chunk_mv, d->data_start, d->data_end);
        }
        else {
            PyObject *whole = PyMemoryView_FromObject(d->data_obj);
            if (whole == NULL) {
                return -1;
            }
            Py_ssize_t size = PyBytes_Check(d->data_obj) ? PyBytes_GET_SIZE(d->data_obj)
                                                         : PyByteArray_GET_SIZE(d->data_obj);
            if (d->data_start == 0 && d->data_end == size) {
                view = whole;
            }
            else {
                view = PySequence_GetSlice(whole, d->data_start, d->data_end);
                Py_DECREF(whole);
            }
        }
    }
    else {
        view = PyMemoryView_FromObject(d->data_obj);
    }
    if (view == NULL) {
        return -1;
    }
    PyObject *args[4] = {d->event ? d->event : str_message, view, d->id_buf, d->retry};
    PyObject *frame = PyObject_Vectorcall(FrameType, args, 4, NULL);
    Py_DECREF(view);
    if (frame == NULL) {
        return -1;
    }
    int rc = PyList_Append(d->frames, frame);
    Py_DECREF(frame);
    if (rc < 0) {
        return -1;
    }
    clear_data(d);
    Py_CLEAR(d->event);
    d->idle = 0;
    return 0;
}

/* Interpret the non-blank line s[start:end] of `owner`, which starts at stream
 * offset `line_off`. */
static int
field(Decoder *d, PyObject *owner, const char *s, Py_ssize_t start, Py_ssize_t end,
      long long line_off)
{
    const char *p = s + start;
    Py_ssize_t len = end - start;
    if (p[0] == ':') {
        return idle_line(d, p, len, line_off);
    }
    const char *colon = memchr(p, ':', (size_t)len);
    Py_ssize_t name_len, value;
    if (colon == NULL) {
        name_len = len;
        value = len;
    }
    else {
        name_len = colon - p;
        value = name_len + 1;
        if (value < len && p[value] == ' ') {
            value++;
        }
    }
    if (name_len == 4 && memcmp(p, "data", 4) == 0) {
        return add_data(d, owner, p + value, start + value, len - value);
    }
    if (idle_line(d, p, len, line_off) < 0) {
        return -1;
    }
    const char *v = p + value;
    Py_ssize_t vlen = len - value;
    if (name_len == 5 && memcmp(p, "event", 5) == 0) {
        PyObject *name = event_name(d, v, vlen);
        if (name == NULL) {
            return -1;
        }
        Py_XSETREF(d->event, name);
    }
    else if (name_len == 2 && memcmp(p, "id", 2) == 0) {
        if (memchr(v, 0, (size_t)vlen) == NULL) {
            PyObject *id = PyUnicode_DecodeUTF8(v, vlen, "replace");
            if (id == NULL) {
                return -1;
            }
            Py_SETREF(d->id_buf, id);
        }
    }
    else if (name_len == 5 && memcmp(p, "retry", 5) == 0) {
        return set_retry(d, v, vlen);
    }
    return 0;
}

/* -- feed ------------------------------------------------------------------------- */

/* The first bytes of the pending event, for error excerpts, after a feed. */
static void
keep_head(Decoder *d, const char *buf, Py_ssize_t n)
{
    long long start = d->block_start;
    if (start >= d->offset) {
        return;
    }
    if (start >= d->base) {
        Py_ssize_t from = (Py_ssize_t)(start - d->base);
        Py_ssize_t k = n - from < EXCERPT ? n - from : EXCERPT;
        memcpy(d->head, buf + from, (size_t)k);
        d->head_len = k;
    }
    else if (d->head_len < EXCERPT) {
        Py_ssize_t k = EXCERPT - d->head_len;
        if (k > n) {
            k = n;
        }
        memcpy(d->head + d->head_len, buf, (size_t)k);
        d->head_len += k;
    }
}

/* Process one chunk; frames go to d->frames. Returns -1 on error. */
static int
feed_chunk(Decoder *d, const char *buf, Py_ssize_t n)
{
    const long long base = d->base;
    const long long limit = d->max_event;
    Py_ssize_t pos = 0;

    if (d->pending_cr) {
        /* A CR ended the previous chunk: an LF starting this one is part of
         * the same line ending. */
        d->pending_cr = 0;
        if (buf[0] == '\n') {
            pos = 1;
            if (d->block_start == base) {
                d->block_start = base + 1;
            }
            else if (base + 1 - d->block_start > limit) {
                return too_large(d, buf, base + 1);
            }
        }
    }
    if (d->at_start) {
        static const char bom[3] = {'\xef', '\xbb', '\xbf'};
        char tmp[3];
        Py_ssize_t have = d->line ? d->line_len : 0;
        Py_ssize_t take = 3 - have;
        if (take > n - pos) {
            take = n - pos;
        }
        if (have) {
            memcpy(tmp, PyByteArray_AS_STRING(d->line), (size_t)have);
        }
        memcpy(tmp + have, buf + pos, (size_t)take);
        if (have + take < 3 && memcmp(tmp, bom, (size_t)(have + take)) == 0) {
            /* Still a proper prefix of a BOM: hold it. */
            memcpy(d->head, tmp, (size_t)(have + take));
            d->head_len = have + take;
            return line_append(d, buf + pos, n - pos);
        }
        d->at_start = 0;
        if (have + take == 3 && memcmp(tmp, bom, 3) == 0) {
            Py_CLEAR(d->line);
            d->line_len = 0;
            d->block_start = 3;
            pos += take;
        }
    }

    /* The next CR and LF at or after pos (n when none). */
    const char *hit = pos < n ? memchr(buf + pos, '\r', (size_t)(n - pos)) : NULL;
    Py_ssize_t next_cr = hit ? hit - buf : n;
    Py_ssize_t next_lf = -1; /* not searched yet */

#define FIND_EOL(from, eol, nxt)                                                   \
    do {                                                                           \
        if (next_lf < (from)) {                                                    \
            const char *_lf = memchr(buf + (from), '\n', (size_t)(n - (from)));    \
            next_lf = _lf ? _lf - buf : n;                                         \
        }                                                                          \
        if (next_cr < (from)) {                                                    \
            const char *_cr = memchr(buf + (from), '\r', (size_t)(n - (from)));    \
            next_cr = _cr ? _cr - buf : n;                                         \
        }                                                                          \
        if (next_lf < next_cr) {                                                   \
            (eol) = next_lf;                                                       \
            (nxt) = next_lf + 1;                                                   \
        }                                                                          \
        else if (next_cr < n) {                                                    \
            (eol) = next_cr;                                                       \
            (nxt) = next_cr + 1;                                                   \
            if ((nxt) < n) {                                                       \
                if (buf[(nxt)] == '\n') {                                          \
                    (nxt)++;                                                       \
                }                                                                  \
            }                                                                      \
            else {                                                                 \
                d->pending_cr = 1;                                                 \
            }                                                                      \
        }                                                                          \
        else {                                                                     \
            (eol) = -1;                                                            \
            (nxt) = -1;                                                            \
        }                                                                          \
    } while (0)

    if (d->line != NULL && pos < n) {
        /* Complete the held line with this chunk. */
        Py_ssize_t eol, nxt;
        FIND_EOL(pos, eol, nxt);
        if (eol < 0) {
            if (d->offset - d->block_start > limit) {
                return too_large(d, buf, d->offset);
            }
            if (line_append(d, buf + pos, n - pos) < 0) {
                return -1;
            }
            keep_head(d, buf, n);
            return 0;
        }
        if (base + nxt - d->block_start > limit) {
            return too_large(d, buf, base + nxt);
        }
        long long line_off = base + pos - d->line_len;
        if (line_append(d, buf + pos, eol - pos) < 0) {
            return -1;
        }
        /* Handed over: a data line may keep a view of it. */
        PyObject *line = line_take(d);
        if (line == NULL) {
            return -1;
        }
        int rc = field(d, line, PyByteArray_AS_STRING(line), 0, PyByteArray_GET_SIZE(line),
                       line_off);
        Py_DECREF(line);
        if (rc < 0) {
            return -1;
        }
        pos = nxt;
    }

    PyObject *chunk = d->chunk;
    while (pos < n) {
        Py_ssize_t eol, nxt;
        FIND_EOL(pos, eol, nxt);
        if (eol < 0) {
            break;
        }
        if (eol == pos) {
            if (dispatch(d, base + pos) < 0) {
                return -1;
            }
            d->block_start = base + nxt;
        }
        else {
            if (base + nxt - d->block_start > limit) {
                return too_large(d, buf, base + nxt);
            }
            if (eol - pos >= 6 && memcmp(buf + pos, "data: ", 6) == 0) {
                if (add_data(d, chunk, buf + pos + 6, pos + 6, eol - pos - 6) < 0) {
                    return -1;
                }
            }
            else if (field(d, chunk, buf, pos, eol, base + pos) < 0) {
                return -1;
            }
        }
        pos = nxt;
    }
#undef FIND_EOL

    if (pos < n) {
        if (d->offset - d->block_start > limit) {
            return too_large(d, buf, d->offset);
        }
        if (line_append(d, buf + pos, n - pos) < 0) {
            return -1;
        }
    }
    if (d->data_kind == DATA_ONE && d->data_obj == chunk) {
        /* Pending data must not keep the chunk alive: copy it, once. */
        PyObject *copy =
            PyBytes_FromStringAndSize(buf + d->data_start, d->data_end - d->data_start);
        if (copy == NULL) {
            return -1;
        }
        Py_SETREF(d->data_obj, copy);
        d->data_end -= d->data_start;
        d->data_start = 0;
    }
    keep_head(d, buf, n);
    return 0;
}

static PyObject *
raise_deferred(Decoder *d)
{
    PyObject *exc = d->error;
    d->error = NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *
Decoder_feed(Decoder *d, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *data;
    if (nargs == 1 && kwnames == NULL) {
        data = args[0];
    }
    else {
        static const char *const names[] = {"data", NULL};
        PyObject *kw = NULL;
        Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        if (nargs + nkw != 1 || (nkw == 1 && !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)))) {
            PyErr_SetString(PyExc_TypeError, "feed() takes exactly one argument (data)");
            return NULL;
        }
        if (nkw == 1) {
            kw = PyTuple_GET_ITEM(kwnames, 0);
            if (PyUnicode_CompareWithASCIIString(kw, names[0]) != 0) {
                PyErr_Format(PyExc_TypeError, "feed() got an unexpected keyword argument %R",
                             kw);
                return NULL;
            }
        }
        data = args[0];
    }
    PyObject *chunk;
    if (PyBytes_CheckExact(data)) {
        chunk = Py_NewRef(data);
    }
    else {
        chunk = PyObject_CallOneArg((PyObject *)&PyBytes_Type, data);
        if (chunk == NULL) {
            return NULL;
        }
    }
    if (d->error != NULL) {
        Py_DECREF(chunk);
        return raise_deferred(d);
    }
    if (d->closed) {
        Py_DECREF(chunk);
        PyObject *off = PyLong_FromLongLong(d->offset);
        if (off == NULL) {
            return NULL;
        }
        PyObject *msg = PyUnicode_FromString("feed() after close() or after an error");
        if (msg == NULL) {
            Py_DECREF(off);
            return NULL;
        }
        PyObject *a[2] = {msg, off};
        PyObject *kwn = PyTuple_Pack(1, str_offset);
        PyObject *exc = kwn ? PyObject_Vectorcall(StreamClosedError, a, 1, kwn) : NULL;
        Py_XDECREF(kwn);
        Py_DECREF(msg);
        Py_DECREF(off);
        if (exc != NULL) {
            PyErr_SetObject(StreamClosedError, exc);
            Py_DECREF(exc);
        }
        return NULL;
    }
    PyObject *frames = PyList_New(0);
    if (frames == NULL) {
        Py_DECREF(chunk);
        return NULL;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(chunk);
    if (n == 0) {
        Py_DECREF(chunk);
        return frames;
    }
    d->base = d->offset;
    d->offset += n;
    d->frames = frames;
    d->chunk = chunk;
    int rc = feed_chunk(d, PyBytes_AS_STRING(chunk), n);
    d->frames = NULL;
    d->chunk = NULL;
    Py_CLEAR(d->chunk_mv);
    Py_DECREF(chunk);
    if (rc < 0) {
        if (!PyErr_ExceptionMatches(SSEError)) {
            Py_DECREF(frames);
            return NULL;
        }
        d->closed = 1;
        if (PyList_GET_SIZE(frames) == 0) {
            Py_DECREF(frames);
            return NULL;
        }
        /* Return the frames completed before the error; raise it next time. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        d->error = value;
    }
    d->count += PyList_GET_SIZE(frames);
    return frames;
}

static PyObject *
Decoder_close(Decoder *d, PyObject *Py_UNUSED(ignored))
{
    if (d->error != NULL) {
        return raise_deferred(d);
    }
    if (!d->closed) {
        d->closed = 1;
        if (d->retry != d->retry_buf) {
            Py_SETREF(d->retry, Py_NewRef(d->retry_buf));
        }
        d->truncated =
            d->data_kind != DATA_NONE ||
            (d->line != NULL && d->line_len > 0 &&
             PyByteArray_AS_STRING(d->line)[0] != ':');
    }
    return PyList_New(0);
}

/* -- type ------------------------------------------------------------------------- */

static int
load_classes(void)
{
    PyObject *mod = PyImport_ImportModule("streamkit.sse._decoder");
    if (mod == NULL) {
        return -1;
    }
    PyObject **slots[] = {&SSEError, &EventTooLargeError, &IdleStreamError, &StreamClosedError,
                          &FrameType};
    const char *names[] = {"SSEError", "EventTooLargeError", "IdleStreamError",
                           "StreamClosedError", "SSEFrame"};
    for (int i = 0; i < 5; i++) {
        if (*slots[i] == NULL) {
            *slots[i] = PyObject_GetAttrString(mod, names[i]);
            if (*slots[i] == NULL) {
                Py_DECREF(mod);
                return -1;
            }
        }
    }
    Py_DECREF(mod);
    return 0;
}

/* A usable decoder with the default limits even before (or without) __init__. */
static PyObject *
Decoder_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    if (FrameType == NULL && load_classes() < 0) {
        return NULL;
    }
    Decoder *d = (Decoder *)type->tp_alloc(type, 0);
    if (d == NULL) {
        return NULL;
    }
    d->max_event = DEFAULT_MAX_EVENT_BYTES;
    d->max_idle = -1;
    d->at_start = 1;
    d->id_buf = Py_NewRef(str_empty);
    d->last_event_id = Py_NewRef(str_empty);
    d->retry = Py_NewRef(Py_None);
    d->retry_buf = Py_NewRef(Py_None);
    return (PyObject *)d;
}

static int
Decoder_init(Decoder *d, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"max_event_bytes", "max_idle_lines", NULL};
    PyObject *max_event = NULL, *max_idle = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OO:SSEDecoder", kwlist, &max_event,
                                     &max_idle)) {
        return -1;
    }
    Py_ssize_t me = DEFAULT_MAX_EVENT_BYTES, mi = -1;
    if (max_event != NULL) {
        me = PyNumber_AsSsize_t(max_event, NULL);
        if (me == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (me <= 0) {
            PyErr_SetString(PyExc_ValueError, "max_event_bytes must be positive");
            return -1;
        }
    }
    if (max_idle != Py_None) {
        mi = PyNumber_AsSsize_t(max_idle, NULL);
        if (mi == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (mi < 0) {
            PyErr_SetString(PyExc_ValueError, "max_idle_lines must be >= 0 or None");
            return -1;
        }
    }
    d->max_event = me;
    d->max_idle = mi;
    d->offset = d->block_start = d->count = d->idle = 0;
    d->at_start = 1;
    d->pending_cr = d->closed = d->truncated = 0;
    d->head_len = 0;
    Py_CLEAR(d->error);
    Py_CLEAR(d->line);
    d->line_len = 0;
    Py_CLEAR(d->event);
    clear_data(d);
    Py_XSETREF(d->id_buf, Py_NewRef(str_empty));
    Py_XSETREF(d->last_event_id, Py_NewRef(str_empty));
    Py_XSETREF(d->retry, Py_NewRef(Py_None));
    Py_XSETREF(d->retry_buf, Py_NewRef(Py_None));
    return 0;
}

static int
Decoder_traverse(Decoder *d, visitproc visit, void *arg)
{
    /* A deferred error may lead (through its context) back to the decoder. */
    Py_VISIT(d->error);
    Py_VISIT(d->data_obj);
    return 0;
}

static int
Decoder_clear(Decoder *d)
{
    Py_CLEAR(d->error);
    Py_CLEAR(d->data_obj);
    d->data_kind = DATA_NONE;
    return 0;
}

static void
Decoder_dealloc(Decoder *d)
{
    PyObject_GC_UnTrack(d);
    Py_CLEAR(d->error);
    Py_CLEAR(d->line);
    Py_CLEAR(d->event);
    Py_CLEAR(d->data_obj);
    Py_CLEAR(d->id_buf);
    Py_CLEAR(d->last_event_id);
    Py_CLEAR(d->retry);
    Py_CLEAR(d->retry_buf);
    for (int i = 0; i < NAME_CACHE; i++) {
        Py_CLEAR(d->names[i].raw);
        Py_CLEAR(d->names[i].name);
    }
    Py_TYPE(d)->tp_free((PyObject *)d);
}

static PyObject *
get_frames_dispatched(Decoder *d, void *Py_UNUSED(c))
{
    return PyLong_FromLongLong(d->count);
}

static PyObject *
get_bytes_fed(Decoder *d, void *Py_UNUSED(c))
{
    return PyLong_FromLongLong(d->offset);
}

static PyObject *
get_pending_bytes(Decoder *d, void *Py_UNUSED(c))
{
    return PyLong_FromLongLong(d->offset - d->block_start);
}

static PyObject *
get_last_event_id(Decoder *d, void *Py_UNUSED(c))
{
    return Py_NewRef(d->last_event_id);
}

static int
set_last_event_id(Decoder *d, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL || !PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "last_event_id must be a str");
        return -1;
    }
    Py_SETREF(d->last_event_id, Py_NewRef(value));
    return 0;
}

static PyObject *
get_retry(Decoder *d, void *Py_UNUSED(c))
{
    return Py_NewRef(d->retry);
}

static int
set_retry_attr(Decoder *d, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL || (value != Py_None && !PyLong_Check(value))) {
        PyErr_SetString(PyExc_TypeError, "retry must be an int or None");
        return -1;
    }
    Py_SETREF(d->retry, Py_NewRef(value));
    Py_SETREF(d->retry_buf, Py_NewRef(value));
    return 0;
}

static PyObject *
get_truncated(Decoder *d, void *Py_UNUSED(c))
{
    return PyBool_FromLong(d->truncated);
}

static int
set_truncated(Decoder *d, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_TypeError, "cannot delete truncated");
        return -1;
    }
    int t = PyObject_IsTrue(value);
    if (t < 0) {
        return -1;
    }
    d->truncated = t;
    return 0;
}

static PyGetSetDef Decoder_getset[] = {
    {"frames_dispatched", (getter)get_frames_dispatched, NULL,
     "How many frames this decoder has returned so far.", NULL},
    {"bytes_fed", (getter)get_bytes_fed, NULL, "Total bytes fed so far.", NULL},
    {"pending_bytes", (getter)get_pending_bytes, NULL,
     "Bytes received after the last blank line (an event still in progress).", NULL},
    {"last_event_id", (getter)get_last_event_id, (setter)set_last_event_id,
     "The last event ID string (set at each dispatch, kept across events).", NULL},
    {"retry", (getter)get_retry, (setter)set_retry_attr,
     "The reconnection time in ms set by the stream, or None.", NULL},
    {"truncated", (getter)get_truncated, (setter)set_truncated,
     "After close(): True if an undispatched event or partial line was left.", NULL},
    {NULL},
};

static PyMethodDef Decoder_methods[] = {
    {"feed", (PyCFunction)(void (*)(void))Decoder_feed, METH_FASTCALL | METH_KEYWORDS,
     "feed(data) -> list[SSEFrame]\n\nConsume data; return the frames it completes, in "
     "order."},
    {"close", (PyCFunction)Decoder_close, METH_NOARGS,
     "close() -> list[SSEFrame]\n\nEnd of stream. Returns no frames (an unterminated event "
     "is dropped, per the spec) but sets truncated if one was pending."},
    {NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "streamkit.sse._sse_c.SSEDecoder",
    .tp_basicsize = sizeof(Decoder),
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Decoder_traverse,
    .tp_clear = (inquiry)Decoder_clear,
    .tp_doc = "SSEDecoder(*, max_event_bytes=64 MiB, max_idle_lines=None)\n\n"
              "Incremental, sans-IO decoder of a text/event-stream byte stream, compiled.\n"
              "Behaves exactly as streamkit.sse._decoder.PySSEDecoder; see its documentation.",
    .tp_methods = Decoder_methods,
    .tp_getset = Decoder_getset,
    .tp_init = (initproc)Decoder_init,
    .tp_new = Decoder_new,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "streamkit.sse._sse_c",
    .m_doc = "The compiled text/event-stream decoder (see streamkit.sse._decoder).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__sse_c(void)
{
    str_message = PyUnicode_InternFromString("message");
    str_empty = PyUnicode_InternFromString("");
    str_index = PyUnicode_InternFromString("index");
    str_offset = PyUnicode_InternFromString("offset");
    str_excerpt = PyUnicode_InternFromString("excerpt");
    if (!str_message || !str_empty || !str_index || !str_offset || !str_excerpt) {
        return NULL;
    }
    kwnames_error = PyTuple_Pack(3, str_index, str_offset, str_excerpt);
    if (kwnames_error == NULL) {
        return NULL;
    }
    if (PyType_Ready(&DecoderType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "SSEDecoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
