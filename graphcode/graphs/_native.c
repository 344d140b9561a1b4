/* graphcode.graphs._native: the AST walk, the data-flow query and the data-flow passes, in C.
 *
 * The pure-Python path (graphcode/graphs/build.py and dataflow.py) reads every tree-sitter node
 * through py-tree-sitter: about five Python-level calls per node. This module does the same work
 * against tree-sitter's C API and hands back plain lists, so the per-node cost leaves Python:
 *
 *   engine = Engine(language_capsule, names, named, query_text | None)
 *   engine.build(source: bytes, collect: bytes, child, next_token)
 *       -> (types, named, starts, ends, parent, leaves, errors, missing, collected, captures,
 *           child edges | None, next_token edges | None)
 *
 * - types/named/starts/ends/parent: (N,) node columns in pre-order (node ids are positions), as
 *   the Python walk produces them (types and named looked up by kind id in the tuples given);
 *   leaves, errors (ERROR nodes), missing (MISSING nodes) and collected (nodes whose kind id k has
 *   collect[k] != 0) are id lists in document order.
 * - captures: {capture id: [node id, ...]} for the query, each list sorted and without repeats,
 *   after the text predicates #eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of? (and
 *   their #any- forms) hold. Directives (#set! ...) are left to the caller.
 *
 * The data-flow engine's passes (graphcode/graphs/dataflow.py), each a module function that takes
 * and returns what its Python counterpart does and gives the same result (the tests compare them):
 * events (the event list), resolve (event scopes and _resolve), flow_cfg (_schedule and _build_cfg),
 * reach (_reach) and computed_from (_group_assignments and _computed_from).
 *
 * It is built against the tree-sitter runtime of the pinned py-tree-sitter release (see
 * graphcode/graphs/native.py) and, like py-tree-sitter, gives that runtime Python's allocator
 * (pymalloc is faster for the parser's many small blocks) and parses holding the GIL. An Engine
 * keeps one parser; calls on it are serialised by the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#define ERROR_SYMBOL ((TSSymbol)65535)
#ifndef GRAPHCODE_NATIVE_ABI /* set by graphcode/graphs/native.py, which checks both at import */
#define GRAPHCODE_NATIVE_ABI 0
#endif
#ifndef GRAPHCODE_TREE_SITTER_VERSION
#define GRAPHCODE_TREE_SITTER_VERSION "unknown"
#endif

/* ascending int64 keys: (high, low) pairs packed into one, for qsort */
static int cmp_pair(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------ growable int arrays */
typedef struct {
    int32_t *data;
    size_t len, cap;
} IntVec;

static int vec_push(IntVec *v, int32_t x) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        int32_t *data = realloc(v->data, cap * sizeof(int32_t));
        if (!data) return -1;
        v->data = data;
        v->cap = cap;
    }
    v->data[v->len++] = x;
    return 0;
}

/* Python ints for 0..n-1, each made once: node ids recur across columns and edges, and sharing them
 * saves most of the objects a graph would otherwise allocate and free (byte offsets: offset_lists). */
typedef struct {
    PyObject **objs;
    size_t n;
} IntCache;

static int cache_init(IntCache *c, size_t n) {
    c->n = n;
    c->objs = calloc(n ? n : 1, sizeof(PyObject *));
    return c->objs ? 0 : -1;
}

static void cache_free(IntCache *c) {
    if (!c->objs) return;
    for (size_t i = 0; i < c->n; i++) Py_XDECREF(c->objs[i]);
    free(c->objs);
    c->objs = NULL;
}

/* a new reference to the int x */
static PyObject *cache_get(IntCache *c, int32_t x) {
    if (x < 0 || (size_t)x >= c->n) return PyLong_FromLong(x);
    PyObject *o = c->objs[x];
    if (!o) {
        o = c->objs[x] = PyLong_FromLong(x);
        if (!o) return NULL;
    }
    Py_INCREF(o);
    return o;
}

static PyObject *vec_to_list(const int32_t *data, size_t len, IntCache *cache) {
    PyObject *list = PyList_New((Py_ssize_t)len);
    if (!list) return NULL;
    for (size_t i = 0; i < len; i++) {
        PyObject *x = cache_get(cache, data[i]);
        if (!x) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    return list;
}

/* [(a[i], b[i]) ...] (b NULL: b[i] = b_first + i) as tuples of two ints. Like CPython's own collector
 * would on its first pass, they are untracked at once: tuples of ints cannot be in a cycle, and a
 * graph has thousands. */
static PyObject *pair_list(const int32_t *a, const int32_t *b, int32_t b_first, size_t n, IntCache *cache) {
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x = cache_get(cache, a[i]), *y = cache_get(cache, b ? b[i] : b_first + (int32_t)i);
        PyObject *t = (x && y) ? PyTuple_New(2) : NULL;
        if (!t) {
            Py_XDECREF(x);
            Py_XDECREF(y);
            Py_DECREF(list);
            return NULL;
        }
        PyTuple_SET_ITEM(t, 0, x);
        PyTuple_SET_ITEM(t, 1, y);
        PyObject_GC_UnTrack(t);
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

/* The starts and ends columns as lists of ints that share objects where offsets repeat: a first child
 * starts where its parent does, a last child ends where its parent does, adjacent tokens meet. Only
 * neighbours in pre-order and parents are compared, so no table the size of the source is needed. */
static int offset_lists(const IntVec *starts, const IntVec *ends, const IntVec *parent, PyObject **s_out,
                        PyObject **e_out) {
    Py_ssize_t n = (Py_ssize_t)starts->len;
    PyObject *sl = PyList_New(n), *el = PyList_New(n);
    if (!sl || !el) goto fail;
    const int32_t *s = starts->data, *e = ends->data, *par = parent->data;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a;
        if (i > 0 && s[i] == s[i - 1]) a = PyList_GET_ITEM(sl, i - 1);
        else if (i > 0 && s[i] == e[i - 1]) a = PyList_GET_ITEM(el, i - 1);
        else a = NULL;
        if (a) Py_INCREF(a);
        else if (!(a = PyLong_FromLong(s[i]))) goto fail;
        PyList_SET_ITEM(sl, i, a);
        PyObject *b;
        if (par[i] >= 0 && e[i] == e[par[i]]) b = PyList_GET_ITEM(el, par[i]);
        else if (e[i] == s[i]) b = a;
        else b = NULL;
        if (b) Py_INCREF(b);
        else if (!(b = PyLong_FromLong(e[i]))) goto fail;
        PyList_SET_ITEM(el, i, b);
    }
    *s_out = sl, *e_out = el;
    return 0;
fail:
    Py_XDECREF(sl), Py_XDECREF(el);
    return -1;
}

/* table[kinds[i]] for each node: the type names (or named flags) column, sharing the table's objects */
static PyObject *lookup_list(PyObject *table, const IntVec *kinds) {
    PyObject *list = PyList_New((Py_ssize_t)kinds->len);
    if (!list) return NULL;
    for (size_t i = 0; i < kinds->len; i++) {
        PyObject *x = PyTuple_GET_ITEM(table, (uint16_t)kinds->data[i]);
        Py_INCREF(x);
        PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    return list;
}

/* ------------------------------------------------------------------ text predicates */
enum { P_EQ, P_MATCH, P_ANY_OF };

typedef struct {
    int op;
    bool positive;     /* #eq? vs #not-eq? */
    bool any;          /* #any-eq?: one node of a quantified capture suffices */
    uint32_t capture;  /* the captured node(s) tested */
    bool other_is_capture;
    uint32_t other;    /* #eq? @a @b */
    const char *str;   /* #eq? @a "text" (owned by the query) */
    uint32_t str_len;
    regex_t re;
    bool has_re;
    const char **values; /* #any-of? @a "x" "y" ... */
    uint32_t *value_lens;
    uint32_t n_values;
} Predicate;

typedef struct {
    Predicate *preds;
    uint32_t n;
} PatternPredicates;

typedef struct {
    PyObject_HEAD
    const TSLanguage *language;
    PyObject *capsule; /* keeps the grammar's language alive */
    TSParser *parser;
    PyObject *names;   /* tuple: type name by kind id */
    PyObject *named;   /* tuple: bool by kind id */
    TSQuery *query;
    PatternPredicates *patterns;
    uint32_t pattern_count;
} Engine;

static void free_patterns(Engine *self) {
    if (!self->patterns) return;
    for (uint32_t p = 0; p < self->pattern_count; p++) {
        PatternPredicates *pp = &self->patterns[p];
        for (uint32_t k = 0; k < pp->n; k++) {
            if (pp->preds[k].has_re) regfree(&pp->preds[k].re);
            free(pp->preds[k].values);
            free(pp->preds[k].value_lens);
        }
        free(pp->preds);
    }
    free(self->patterns);
    self->patterns = NULL;
}

/* Read one pattern's predicates; a predicate graphcode cannot evaluate is a ValueError. */
static int compile_predicates(Engine *self, uint32_t pattern) {
    uint32_t n_steps;
    const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(self->query, pattern, &n_steps);
    PatternPredicates *pp = &self->patterns[pattern];
    uint32_t i = 0;
    while (i < n_steps) {
        uint32_t j = i;
        while (j < n_steps && steps[j].type != TSQueryPredicateStepTypeDone) j++;
        /* steps[i..j) is one predicate: a name, then arguments */
        uint32_t name_len;
        const char *name = ts_query_string_value_for_id(self->query, steps[i].value_id, &name_len);
        if (name_len > 0 && name[name_len - 1] == '!') { /* a directive such as #set! */
            i = j + 1;
            continue;
        }
        Predicate pr;
        memset(&pr, 0, sizeof pr);
        const char *base = name;
        size_t base_len = name_len;
        pr.positive = true;
        /* #any-not-eq?: any- first (but #any-of? is a name of its own), then not- */
        if (base_len > 4 && strncmp(base, "any-", 4) == 0 && !(base_len == 7 && strncmp(base, "any-of?", 7) == 0)) {
            pr.any = true;
            base += 4;
            base_len -= 4;
        }
        if (base_len > 4 && strncmp(base, "not-", 4) == 0) {
            pr.positive = false;
            base += 4;
            base_len -= 4;
        }
        uint32_t n_args = j - i - 1;
        const TSQueryPredicateStep *args = steps + i + 1;
        if (base_len == 3 && strncmp(base, "eq?", 3) == 0) {
            pr.op = P_EQ;
            if (n_args != 2 || args[0].type != TSQueryPredicateStepTypeCapture) goto bad;
            pr.capture = args[0].value_id;
            if (args[1].type == TSQueryPredicateStepTypeCapture) {
                pr.other_is_capture = true;
                pr.other = args[1].value_id;
            } else {
                pr.str = ts_query_string_value_for_id(self->query, args[1].value_id, &pr.str_len);
            }
        } else if (base_len == 6 && strncmp(base, "match?", 6) == 0) {
            pr.op = P_MATCH;
            if (n_args != 2 || args[0].type != TSQueryPredicateStepTypeCapture
                || args[1].type != TSQueryPredicateStepTypeString) goto bad;
            pr.capture = args[0].value_id;
            uint32_t len;
            const char *pattern_text = ts_query_string_value_for_id(self->query, args[1].value_id, &len);
            char *z = malloc(len + 1);
            if (!z) {
                PyErr_NoMemory();
                return -1;
            }
            memcpy(z, pattern_text, len);
            z[len] = 0;
            int rc = regcomp(&pr.re, z, REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                PyErr_Format(PyExc_ValueError, "pattern %u: expected a POSIX extended regular expression in #match?, "
                             "found \"%s\"", pattern, z);
                free(z);
                return -1;
            }
            free(z);
            pr.has_re = true;
        } else if (base_len == 7 && strncmp(base, "any-of?", 7) == 0) {
            pr.op = P_ANY_OF;
            if (n_args < 1 || args[0].type != TSQueryPredicateStepTypeCapture) goto bad;
            pr.capture = args[0].value_id;
            pr.n_values = n_args - 1;
            pr.values = calloc(pr.n_values + 1, sizeof(char *));
            pr.value_lens = calloc(pr.n_values + 1, sizeof(uint32_t));
            if (!pr.values || !pr.value_lens) {
                free(pr.values);
                free(pr.value_lens);
                PyErr_NoMemory();
                return -1;
            }
            for (uint32_t a = 0; a < pr.n_values; a++) {
                if (args[a + 1].type != TSQueryPredicateStepTypeString) {
                    free(pr.values);
                    free(pr.value_lens);
                    goto bad;
                }
                pr.values[a] = ts_query_string_value_for_id(self->query, args[a + 1].value_id, &pr.value_lens[a]);
            }
        } else {
            goto bad;
        }
        Predicate *grown = realloc(pp->preds, (pp->n + 1) * sizeof(Predicate));
        if (!grown) {
            if (pr.has_re) regfree(&pr.re);
            free(pr.values);
            free(pr.value_lens);
            PyErr_NoMemory();
            return -1;
        }
        pp->preds = grown;
        pp->preds[pp->n++] = pr;
        i = j + 1;
        continue;
    bad:
        {
            PyObject *found = PyUnicode_DecodeUTF8(name, name_len, "replace");
            if (found) {
                PyErr_Format(PyExc_ValueError,
                             "pattern %u: expected a predicate graphcode evaluates in C (#eq?, #match?, #any-of? and "
                             "their not-/any- forms, with a capture first), found #%U with %u arguments",
                             pattern, found, n_args);
                Py_DECREF(found);
            }
        }
        return -1;
    }
    return 0;
}

static bool text_equals(const char *src, TSNode node, const char *s, uint32_t len) {
    uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
    return b - a == len && memcmp(src + a, s, len) == 0;
}

/* Does one node satisfy the predicate (before negation)? */
static bool node_holds(const Predicate *pr, const char *src, TSNode node, const TSQueryMatch *m, char **buf,
                       size_t *buf_cap) {
    if (pr->op == P_EQ) {
        if (!pr->other_is_capture) return text_equals(src, node, pr->str, pr->str_len);
        for (uint16_t k = 0; k < m->capture_count; k++) {
            if (m->captures[k].index == pr->other) {
                TSNode o = m->captures[k].node;
                uint32_t a = ts_node_start_byte(o), b = ts_node_end_byte(o);
                return text_equals(src, node, src + a, b - a);
            }
        }
        return false;
    }
    if (pr->op == P_ANY_OF) {
        for (uint32_t a = 0; a < pr->n_values; a++)
            if (text_equals(src, node, pr->values[a], pr->value_lens[a])) return true;
        return false;
    }
    /* P_MATCH: regexec wants a NUL-terminated string */
    uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
    size_t len = b - a;
    if (len + 1 > *buf_cap) {
        char *grown = realloc(*buf, len + 1);
        if (!grown) return false;
        *buf = grown;
        *buf_cap = len + 1;
    }
    memcpy(*buf, src + a, len);
    (*buf)[len] = 0;
    return regexec(&pr->re, *buf, 0, NULL, 0) == 0;
}

static bool match_holds(const Engine *self, const TSQueryMatch *m, const char *src, char **buf, size_t *buf_cap) {
    const PatternPredicates *pp = &self->patterns[m->pattern_index];
    for (uint32_t k = 0; k < pp->n; k++) {
        const Predicate *pr = &pp->preds[k];
        bool seen = false, any_ok = false, all_ok = true;
        for (uint16_t c = 0; c < m->capture_count; c++) {
            if (m->captures[c].index != pr->capture) continue;
            seen = true;
            bool ok = node_holds(pr, src, m->captures[c].node, m, buf, buf_cap) == pr->positive;
            any_ok = any_ok || ok;
            all_ok = all_ok && ok;
        }
        if (seen && !(pr->any ? any_ok : all_ok)) return false;
    }
    return true;
}


/* ------------------------------------------------------------------ may-reach (dataflow._reach in C) */
/* A list of ints as an int32 array (malloc'd); -1 and an exception if it is not one. */
static int32_t *int_array(PyObject *list, Py_ssize_t *n_out) {
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "expected a list of ints, found %s", Py_TYPE(list)->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    int32_t *out = malloc((n ? n : 1) * sizeof(int32_t));
    if (!out) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long x = PyLong_AsLong(PyList_GET_ITEM(list, i));
        if (x == -1 && PyErr_Occurred()) {
            free(out);
            return NULL;
        }
        out[i] = (int32_t)x;
    }
    *n_out = n;
    return out;
}

/* A list of lists of ints, flattened: items of row r are flat[start[r]:start[r + 1]]. */
typedef struct {
    int32_t *flat, *start;
    Py_ssize_t rows;
} Rows;

static int rows_read(PyObject *list, Rows *r) {
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "expected a list of lists, found %s", Py_TYPE(list)->tp_name);
        return -1;
    }
    Py_ssize_t rows = PyList_GET_SIZE(list), total = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject *row = PyList_GET_ITEM(list, i);
        if (!PyList_Check(row)) {
            PyErr_Format(PyExc_TypeError, "expected a list of lists, found a %s inside", Py_TYPE(row)->tp_name);
            return -1;
        }
        total += PyList_GET_SIZE(row);
    }
    r->flat = malloc((total ? total : 1) * sizeof(int32_t));
    r->start = malloc((rows + 1) * sizeof(int32_t));
    r->rows = rows;
    if (!r->flat || !r->start) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject *row = PyList_GET_ITEM(list, i);
        r->start[i] = (int32_t)k;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(row); j++) {
            long x = PyLong_AsLong(PyList_GET_ITEM(row, j));
            if (x == -1 && PyErr_Occurred()) return -1;
            r->flat[k++] = (int32_t)x;
        }
    }
    r->start[rows] = (int32_t)k;
    return 0;
}

static int emit(IntVec *src, IntVec *dst, int32_t a, int32_t b) {
    if (a == b) return 0; /* no self edges */
    return vec_push(src, a) || vec_push(dst, b) ? -1 : 0;
}

/* sorted unique (src, dst) pairs as a list of untracked tuples */
static PyObject *unique_pairs(IntVec *src, IntVec *dst) {
    size_t n = src->len;
    int64_t *pairs = malloc((n ? n : 1) * sizeof(int64_t));
    if (!pairs) return PyErr_NoMemory();
    for (size_t k = 0; k < n; k++) pairs[k] = ((int64_t)src->data[k] << 32) | (uint32_t)dst->data[k];
    qsort(pairs, n, sizeof(int64_t), cmp_pair);
    size_t u = 0;
    for (size_t k = 0; k < n; k++)
        if (k == 0 || pairs[k] != pairs[k - 1]) {
            src->data[u] = (int32_t)(pairs[k] >> 32);
            dst->data[u] = (int32_t)(pairs[k] & 0xffffffff);
            u++;
        }
    free(pairs);
    int32_t top = 0;
    for (size_t k = 0; k < u; k++) {
        if (src->data[k] > top) top = src->data[k];
        if (dst->data[k] > top) top = dst->data[k];
    }
    IntCache cache;
    if (cache_init(&cache, u ? (size_t)top + 1 : 0) < 0) return PyErr_NoMemory();
    PyObject *list = pair_list(src->data, dst->data, 0, u, &cache);
    cache_free(&cache);
    return list;
}

static bool scope_within(const int32_t *parent, const int32_t *depth, int32_t s, int32_t owner) {
    int32_t d = depth[owner];
    while (s >= 0 && depth[s] > d) s = parent[s];
    return s == owner;
}

typedef uint64_t word;
#define WBITS 64

/* reach(events, preds, flow, entry, owner, catch, ev_node, ev_kind, ev_var, var_home, scope_parent,
 *       scope_depth) -> (last_write, last_read): the bit-vector analysis of dataflow._reach, same
 * arguments (catch as [(handler block, first body block, end), ...]) and same result. Unlike the
 * Python pass it keeps no mask per variable: time and memory grow with blocks x events of a flow,
 * not variables x events. */
static PyObject *native_reach(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *o_events, *o_preds, *o_flow, *o_entry, *o_owner, *o_catch, *o_node, *o_kind, *o_var, *o_home, *o_sp, *o_sd;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOO", &o_events, &o_preds, &o_flow, &o_entry, &o_owner, &o_catch, &o_node,
                          &o_kind, &o_var, &o_home, &o_sp, &o_sd)) return NULL;
    PyObject *result = NULL;
    Rows events = {0}, preds = {0};
    int32_t *flow = NULL, *entry = NULL, *owner = NULL, *node = NULL, *kind = NULL, *var = NULL, *home = NULL, *sp = NULL,
            *sd = NULL, *catch = NULL;
    int32_t *blocks = NULL, *local_block = NULL, *bit_of = NULL, *node_of = NULL, *var_local = NULL, *vars = NULL;
    int32_t *def_start = NULL, *def_node = NULL, *handler_of = NULL;
    word *mem = NULL;
    IntVec w_src = {0}, w_dst = {0}, r_src = {0}, r_dst = {0};
    Py_ssize_t n_blocks, n_flows, n_owner, n_ev, n_kind, n_var, n_vars, n_sp, n_sd, n_catch = 0;
    if (rows_read(o_events, &events) < 0 || rows_read(o_preds, &preds) < 0) goto out;
    if (!(flow = int_array(o_flow, &n_blocks)) || !(entry = int_array(o_entry, &n_flows))
        || !(owner = int_array(o_owner, &n_owner)) || !(node = int_array(o_node, &n_ev))
        || !(kind = int_array(o_kind, &n_kind)) || !(var = int_array(o_var, &n_var))
        || !(home = int_array(o_home, &n_vars)) || !(sp = int_array(o_sp, &n_sp)) || !(sd = int_array(o_sd, &n_sd)))
        goto out;
    if (events.rows != n_blocks || preds.rows != n_blocks || n_owner != n_flows || n_kind != n_ev || n_var != n_ev
        || n_sp != n_sd) {
        PyErr_SetString(PyExc_ValueError, "reach: expected columns of matching lengths, found a mismatch");
        goto out;
    }
    {
        Rows catch_rows = {0};
        if (rows_read(o_catch, &catch_rows) < 0) {
            free(catch_rows.flat);
            free(catch_rows.start);
            goto out;
        }
        n_catch = catch_rows.rows;
        catch = catch_rows.flat; /* (handler, first, end) triples */
        free(catch_rows.start);
    }
    /* definitions (writes) of each variable, in event order */
    def_start = calloc(n_vars + 1, sizeof(int32_t));
    def_node = malloc((n_ev ? n_ev : 1) * sizeof(int32_t));
    blocks = malloc((n_blocks ? n_blocks : 1) * sizeof(int32_t));
    local_block = malloc((n_blocks ? n_blocks : 1) * sizeof(int32_t));
    bit_of = malloc((n_ev ? n_ev : 1) * sizeof(int32_t));
    node_of = malloc((n_ev + n_vars + 1) * sizeof(int32_t));
    var_local = malloc((n_vars ? n_vars : 1) * sizeof(int32_t));
    vars = malloc((n_vars ? n_vars : 1) * sizeof(int32_t));
    handler_of = malloc((n_blocks ? n_blocks : 1) * sizeof(int32_t));
    if (!def_start || !def_node || !blocks || !local_block || !bit_of || !node_of || !var_local || !vars || !handler_of) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t e = 0; e < n_ev; e++) {
        if (var[e] < 0 || var[e] >= n_vars) {
            PyErr_Format(PyExc_ValueError, "reach: expected variable ids below %zd, found %d", n_vars, var[e]);
            goto out;
        }
        if (kind[e] != 0) def_start[var[e] + 1]++;
    }
    for (Py_ssize_t v = 0; v < n_vars; v++) def_start[v + 1] += def_start[v];
    {
        int32_t *fill = malloc((n_vars ? n_vars : 1) * sizeof(int32_t));
        if (!fill) {
            PyErr_NoMemory();
            goto out;
        }
        memcpy(fill, def_start, n_vars * sizeof(int32_t));
        for (Py_ssize_t e = 0; e < n_ev; e++)
            if (kind[e] != 0) def_node[fill[var[e]]++] = node[e];
        free(fill);
    }
    for (Py_ssize_t v = 0; v < n_vars; v++) var_local[v] = -1;
    for (Py_ssize_t b = 0; b < n_blocks; b++) handler_of[b] = -1;
    for (Py_ssize_t h = 0; h < n_catch; h++) handler_of[catch[3 * h]] = (int32_t)h;

    /* Per flow: block states are dense bit sets (one bit per event of the flow, plus one per outside
     * variable); everything per variable is sparse, so a long flat module costs linear memory. A block
     * kills the bits of each (variable, read or write) it touches and generates its last read and last
     * write of each variable, as the masks of dataflow._reach do. */
    size_t max_bits = (size_t)n_ev + (size_t)n_vars + 1;
    int32_t *bit_slot = malloc(max_bits * sizeof(int32_t)); /* 2 * local var + (1: a write) */
    int32_t *gen = malloc((n_ev + 1) * sizeof(int32_t)), *gen_start = malloc((n_blocks + 1) * sizeof(int32_t));
    int32_t *touched = malloc((n_ev + 1) * sizeof(int32_t)), *touched_start = malloc((n_blocks + 1) * sizeof(int32_t));
    int32_t *live = malloc(max_bits * sizeof(int32_t)), *need = malloc((2 * (size_t)n_ev + 2) * sizeof(int32_t));
    size_t n_slots = 2 * (size_t)n_vars + 2;
    int64_t *stamp_of = calloc(n_slots, sizeof(int64_t));
    int32_t *last = malloc(n_slots * sizeof(int32_t)), *override = malloc(n_slots * sizeof(int32_t));
    int32_t *r_start = malloc(n_slots * sizeof(int32_t)), *r_end = malloc(n_slots * sizeof(int32_t));
    int64_t stamp = 0;
    if (!bit_slot || !gen || !gen_start || !touched || !touched_start || !live || !need || !stamp_of || !last || !override
        || !r_start || !r_end) goto reach_oom;
    for (Py_ssize_t f = 0; f < n_flows; f++) {
        /* this flow's blocks, in index order; its events numbered in that order */
        Py_ssize_t nb = 0, n_bits = 0, nv = 0;
        for (Py_ssize_t b = 0; b < n_blocks; b++)
            if (flow[b] == f) {
                local_block[b] = (int32_t)nb;
                blocks[nb++] = (int32_t)b;
            }
        for (Py_ssize_t i = 0; i < nb; i++) {
            int32_t b = blocks[i];
            for (int32_t k = events.start[b]; k < events.start[b + 1]; k++) {
                int32_t e = events.flat[k];
                if (e < 0 || e >= n_ev) {
                    PyErr_Format(PyExc_ValueError, "reach: expected event ids below %zd, found %d", n_ev, e);
                    goto reach_out;
                }
                if (var_local[var[e]] < 0) {
                    var_local[var[e]] = (int32_t)nv;
                    vars[nv++] = var[e];
                }
                bit_of[e] = (int32_t)n_bits;
                bit_slot[n_bits] = 2 * var_local[var[e]] + (kind[e] != 0);
                node_of[n_bits++] = node[e];
            }
        }
        /* one "outside" bit per variable owned outside a function's flow that has definitions: a write */
        Py_ssize_t first_outside = n_bits;
        if (f > 0)
            for (Py_ssize_t j = 0; j < nv; j++) {
                int32_t v = vars[j];
                if (def_start[v + 1] > def_start[v] && !scope_within(sp, sd, home[v], owner[f])) {
                    bit_slot[n_bits] = 2 * (int32_t)j + 1;
                    node_of[n_bits++] = -1 - v;
                }
            }
        for (Py_ssize_t s = 0; s < 2 * nv; s++) stamp_of[s] = 0;
        /* per block: the slots it touches, and what it generates (the last bit of each slot) */
        Py_ssize_t n_gen = 0, n_touched = 0;
        for (Py_ssize_t i = 0; i < nb; i++) {
            int32_t b = blocks[i];
            gen_start[i] = (int32_t)n_gen;
            touched_start[i] = (int32_t)n_touched;
            stamp++;
            for (int32_t k = events.start[b]; k < events.start[b + 1]; k++) {
                int32_t bit = bit_of[events.flat[k]], slot = bit_slot[bit];
                if (stamp_of[slot] != stamp) {
                    stamp_of[slot] = stamp;
                    touched[n_touched++] = slot;
                }
                last[slot] = bit;
            }
            for (Py_ssize_t t = touched_start[i]; t < n_touched; t++) gen[n_gen++] = last[touched[t]];
        }
        gen_start[nb] = (int32_t)n_gen;
        touched_start[nb] = (int32_t)n_touched;
        Py_ssize_t W = (n_bits + WBITS - 1) / WBITS;
        if (W == 0) W = 1;
        free(mem);
        mem = calloc((size_t)W * (2 * (size_t)nb + 2), sizeof(word));
        if (!mem) goto reach_oom;
        word *in = mem, *outs = in + W * nb, *init = outs + W * nb, *tmp = init + W;
#define SET(m, i) ((m)[(i) / WBITS] |= (word)1 << ((i) % WBITS))
        for (Py_ssize_t bit = first_outside; bit < n_bits; bit++) SET(init, bit);
        /* fixed point (at most 100 rounds, as in Python) */
        bool changed = true;
        int rounds = 0;
        int32_t entry_block = entry[f];
        while (changed && rounds < 100) {
            changed = false;
            rounds++;
            for (Py_ssize_t i = 0; i < nb; i++) {
                int32_t b = blocks[i];
                word *s_in = in + W * i;
                if (b == entry_block) memcpy(s_in, init, W * sizeof(word));
                else memset(s_in, 0, W * sizeof(word));
                int32_t h = handler_of[b];
                if (h >= 0) /* a handler may start after any event of its try body */
                    for (int32_t body = catch[3 * h + 1]; body < catch[3 * h + 2]; body++) {
                        if (body < 0 || body >= n_blocks || flow[body] != f) continue;
                        for (int32_t k = events.start[body]; k < events.start[body + 1]; k++) SET(s_in, bit_of[events.flat[k]]);
                    }
                for (int32_t k = preds.start[b]; k < preds.start[b + 1]; k++) {
                    int32_t p = preds.flat[k];
                    if (p < 0 || p >= n_blocks || flow[p] != f) continue;
                    const word *po = outs + W * local_block[p];
                    for (Py_ssize_t w = 0; w < W; w++) s_in[w] |= po[w];
                }
                /* out = (in without the bits of the slots this block touches) | gen */
                stamp++;
                for (int32_t t = touched_start[i]; t < touched_start[i + 1]; t++) stamp_of[touched[t]] = stamp;
                for (Py_ssize_t w = 0; w < W; w++) {
                    word x = s_in[w], y = x;
                    if (touched_start[i + 1] > touched_start[i])
                        while (x) {
                            int bit = (int)(w * WBITS) + __builtin_ctzll(x);
                            if (stamp_of[bit_slot[bit]] == stamp) y &= ~((word)1 << (bit % WBITS));
                            x &= x - 1;
                        }
                    tmp[w] = y;
                }
                for (int32_t g = gen_start[i]; g < gen_start[i + 1]; g++) SET(tmp, gen[g]);
                word *o = outs + W * i;
                if (memcmp(o, tmp, W * sizeof(word)) != 0) {
                    memcpy(o, tmp, W * sizeof(word));
                    changed = true;
                }
            }
        }
        /* replay each block from its entry state and emit the edges: the live bits of each slot it
         * touches, bucketed from the entry state, then replaced as the block's events happen */
        for (Py_ssize_t i = 0; i < nb; i++) {
            int32_t b = blocks[i];
            const word *st = in + W * i;
            /* the slots the replay reads: those the block touches, and the writes of each variable it reads */
            stamp++;
            Py_ssize_t n_need = 0;
            for (int32_t t = touched_start[i]; t < touched_start[i + 1]; t++)
                for (int32_t slot = touched[t], end = slot | 1; slot <= end; slot += 1 + (slot & 1)) {
                    if (stamp_of[slot] == stamp) continue;
                    stamp_of[slot] = stamp;
                    need[n_need++] = slot;
                    override[slot] = -1;
                    r_end[slot] = 0; /* a count, for now */
                }
            for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) { /* counts to ranges */
                    int32_t pos = 0;
                    for (Py_ssize_t t = 0; t < n_need; t++) {
                        int32_t slot = need[t];
                        r_start[slot] = pos;
                        pos += r_end[slot];
                        r_end[slot] = r_start[slot];
                    }
                }
                for (Py_ssize_t w = 0; w < W; w++)
                    for (word x = st[w]; x; x &= x - 1) {
                        int32_t bit = (int32_t)(w * WBITS) + __builtin_ctzll(x), slot = bit_slot[bit];
                        if (stamp_of[slot] != stamp) continue;
                        if (pass == 0) r_end[slot]++;
                        else live[r_end[slot]++] = bit;
                    }
            }
            for (int32_t k = events.start[b]; k < events.start[b + 1]; k++) {
                int32_t e = events.flat[k], bit = bit_of[e], slot = bit_slot[bit];
                if (kind[e] != 0) { /* a write: the only live write of its variable now */
                    override[slot] = bit;
                    continue;
                }
                int32_t ws = slot + 1; /* the same variable's writes */
                int32_t one[1];
                const int32_t *targets = override[ws] >= 0 ? (one[0] = override[ws], one) : live + r_start[ws];
                Py_ssize_t n_targets = override[ws] >= 0 ? 1 : r_end[ws] - r_start[ws];
                for (Py_ssize_t q = 0; q < n_targets; q++) {
                    int32_t target = node_of[targets[q]];
                    if (target >= 0) {
                        if (emit(&w_src, &w_dst, node[e], target) < 0) goto reach_oom;
                    } else {
                        int32_t v = -1 - target;
                        for (int32_t d = def_start[v]; d < def_start[v + 1]; d++)
                            if (emit(&w_src, &w_dst, node[e], def_node[d]) < 0) goto reach_oom;
                    }
                }
                if (override[slot] >= 0) {
                    if (emit(&r_src, &r_dst, node[e], node_of[override[slot]]) < 0) goto reach_oom;
                } else
                    for (int32_t q = r_start[slot]; q < r_end[slot]; q++)
                        if (emit(&r_src, &r_dst, node[e], node_of[live[q]]) < 0) goto reach_oom;
                override[slot] = bit;
            }
        }
#undef SET
        for (Py_ssize_t j = 0; j < nv; j++) var_local[vars[j]] = -1;
    }
    goto reach_done;
reach_oom:
    PyErr_NoMemory();
reach_out:
    free(bit_slot), free(gen), free(gen_start), free(touched), free(touched_start), free(live), free(need), free(stamp_of);
    free(last), free(override), free(r_start), free(r_end);
    goto out;
reach_done:
    free(bit_slot), free(gen), free(gen_start), free(touched), free(touched_start), free(live), free(need), free(stamp_of);
    free(last), free(override), free(r_start), free(r_end);
    {
        PyObject *lw = unique_pairs(&w_src, &w_dst), *lr = lw ? unique_pairs(&r_src, &r_dst) : NULL;
        if (lw && lr) result = PyTuple_Pack(2, lw, lr);
        Py_XDECREF(lw);
        Py_XDECREF(lr);
    }
out:
    free(events.flat), free(events.start), free(preds.flat), free(preds.start);
    free(flow), free(entry), free(owner), free(node), free(kind), free(var), free(home), free(sp), free(sd), free(catch);
    free(blocks), free(local_block), free(bit_of), free(node_of), free(var_local), free(vars);
    free(def_start), free(def_node), free(handler_of), free(mem);
    free(w_src.data), free(w_dst.data), free(r_src.data), free(r_dst.data);
    return result;
}

/* ------------------------------------------------------------------ schedule and CFG (dataflow._schedule, _build_cfg) */
/* capture categories and region priorities, numbered as in dataflow.py (FLOW_CATEGORIES lets it check) */
enum { C_BRANCH = 11, C_ARM, C_DEFAULT, C_LOOP, C_ONCE, C_LAST, C_TRY, C_HANDLER, C_FINALLY, C_DEFERRED, C_RETURN,
       C_BREAK, C_CONTINUE };
enum { R_DEFERRED, R_PART, R_TRY, R_LOOP, R_BRANCH, R_ASSIGN, R_JUMP };
enum { K_EVENT, K_ENTER, K_EXIT, K_JUMP };

static int region_prio(int cat) {
    switch (cat) {
    case C_DEFERRED: return R_DEFERRED;
    case C_TRY: return R_TRY;
    case C_LOOP: return R_LOOP;
    default: return R_BRANCH;
    }
}

/* Sort keys: dataflow._schedule's integer key is hi * scale + lo with lo < scale; comparing (hi, lo)
 * and then the creation index gives its stable order. */
typedef struct {
    uint64_t big;
} Keys;

static uint64_t close_key(const Keys *k, uint64_t pos, uint64_t start, uint64_t prio, uint64_t tail) {
    return (((pos * 4 + 1) * k->big + (k->big - 1 - start)) * 8 + (7 - prio)) * 2 + tail;
}

static uint64_t open_key(const Keys *k, uint64_t pos, uint64_t end, uint64_t prio, uint64_t tail) {
    return (((pos * 4 + 2) * k->big + (k->big - 1 - end)) * 8 + prio) * 2 + tail;
}

static uint64_t normal_key(const Keys *k, uint64_t pos, uint64_t kind) {
    return (((pos * 4 + 3) * k->big) * 8 + kind) * 2;
}

typedef struct {
    uint64_t hi, lo;
    int32_t idx, tag, cat, sb, eb, aux; /* aux: the event (K_EVENT) or breakable (K_ENTER) */
} Item;

static int cmp_item(const void *a, const void *b) {
    const Item *x = a, *y = b;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
    int32_t start, end, scope, idx;
    uint64_t key;
} Anchor;

/* by start, then longest first, then creation order */
static int cmp_anchor(const void *a, const void *b) {
    const Anchor *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
    const int32_t *start, *end, *parent, *depth;
    Py_ssize_t n;
} Scopes;

/* _Scopes.innermost: the innermost scope containing each span, spans sorted by start */
static int scopes_innermost(const Scopes *s, const int32_t *sb, const int32_t *eb, Py_ssize_t n, int32_t *out) {
    IntVec stack = {0};
    if (vec_push(&stack, 0) < 0) return -1;
    Py_ssize_t k = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t a = sb[i], b = eb[i];
        while (k < s->n && s->start[k] <= a) {
            while (stack.len > 1 && s->end[stack.data[stack.len - 1]] <= s->start[k]) stack.len--;
            if (vec_push(&stack, (int32_t)k++) < 0) {
                free(stack.data);
                return -1;
            }
        }
        while (stack.len > 1) {
            int32_t top = stack.data[stack.len - 1];
            if (s->start[top] <= a && b <= s->end[top]) break;
            stack.len--;
        }
        out[i] = stack.data[stack.len - 1];
    }
    free(stack.data);
    return 0;
}

/* _Scopes.of_span: the scope of exactly (sb, eb), else the innermost one containing it */
static int32_t scopes_of_span(const Scopes *s, int32_t sb, int32_t eb) {
    Py_ssize_t lo = 1, hi = s->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (s->start[mid] < sb) lo = mid + 1;
        else hi = mid;
    }
    for (Py_ssize_t k = lo; k < s->n && s->start[k] == sb; k++)
        if (s->end[k] == eb) return (int32_t)k;
    int32_t out = 0;
    scopes_innermost(s, &sb, &eb, 1, &out); /* out of memory leaves the root: never for one span */
    return out;
}

static int vec_set(IntVec *v, const int32_t *src, size_t n) {
    v->len = 0;
    for (size_t i = 0; i < n; i++)
        if (vec_push(v, src[i]) < 0) return -1;
    return 0;
}

static int vec_extend(IntVec *v, const int32_t *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (vec_push(v, src[i]) < 0) return -1;
    return 0;
}

/* growable arrays of IntVec (blocks' events and preds; flows' current points) */
typedef struct {
    IntVec *v;
    size_t len, cap;
} VecList;

static IntVec *veclist_add(VecList *l) {
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        IntVec *v = realloc(l->v, cap * sizeof(IntVec));
        if (!v) return NULL;
        l->v = v;
        l->cap = cap;
    }
    IntVec *out = &l->v[l->len++];
    memset(out, 0, sizeof *out);
    return out;
}

static void veclist_free(VecList *l) {
    for (size_t i = 0; i < l->len; i++) free(l->v[i].data);
    free(l->v);
}

static PyObject *veclist_to_list(const VecList *l, IntCache *cache) {
    PyObject *list = PyList_New((Py_ssize_t)l->len);
    if (!list) return NULL;
    for (size_t i = 0; i < l->len; i++) {
        PyObject *row = vec_to_list(l->v[i].data, l->v[i].len, cache);
        if (!row) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, row);
    }
    return list;
}

typedef struct {
    int32_t kind, key, flow, head, first_block;
    bool exhaustive, breakable, has_handler_preds;
    IntVec spine, exits, entry, normal_exit;
} Frame;

static void frame_free(Frame *f) {
    free(f->spine.data), free(f->exits.data), free(f->entry.data), free(f->normal_exit.data);
}

typedef struct {
    VecList events, preds, point; /* per block, per block, per flow */
    IntVec flow, entry, owner, open_b, deferred, catch; /* catch: (handler, first, end) triples */
    Frame *frames;
    size_t n_frames, cap_frames;
} Cfg;

static int cfg_new_block(Cfg *g, int32_t flow, const int32_t *preds, size_t n) {
    IntVec *ev = veclist_add(&g->events);
    if (!ev) return -1;
    IntVec *pr = veclist_add(&g->preds);
    if (!pr || vec_set(pr, preds, n) < 0 || vec_push(&g->flow, flow) < 0) return -1;
    return (int)(g->preds.len - 1);
}

static Frame *cfg_push_frame(Cfg *g, int32_t kind, int32_t key, int32_t flow) {
    if (g->n_frames == g->cap_frames) {
        size_t cap = g->cap_frames ? g->cap_frames * 2 : 16;
        Frame *f = realloc(g->frames, cap * sizeof(Frame));
        if (!f) return NULL;
        g->frames = f;
        g->cap_frames = cap;
    }
    Frame *f = &g->frames[g->n_frames++];
    memset(f, 0, sizeof *f);
    f->kind = kind, f->key = key, f->flow = flow, f->head = -1;
    return f;
}

/* point[flow] = src[:n] + tail[:m]; no open block */
static int cfg_goto(Cfg *g, int32_t flow, const int32_t *src, size_t n, const int32_t *tail, size_t m) {
    IntVec fresh = {0};
    if (vec_extend(&fresh, src, n) < 0 || vec_extend(&fresh, tail, m) < 0) {
        free(fresh.data);
        return -1;
    }
    free(g->point.v[flow].data);
    g->point.v[flow] = fresh;
    g->open_b.data[flow] = -1;
    return 0;
}

static void cfg_free(Cfg *g) {
    veclist_free(&g->events), veclist_free(&g->preds), veclist_free(&g->point);
    free(g->flow.data), free(g->entry.data), free(g->owner.data), free(g->open_b.data), free(g->deferred.data);
    free(g->catch.data);
    for (size_t i = 0; i < g->n_frames; i++) frame_free(&g->frames[i]);
    free(g->frames);
}

/* _build_cfg: one sweep over the schedule */
static int cfg_build(Cfg *g, const Item *items, size_t n_items, const int32_t *ev_scope, const int32_t *moved,
                     const Scopes *sc) {
    int b0 = cfg_new_block(g, 0, NULL, 0);
    IntVec *p0 = veclist_add(&g->point);
    if (b0 < 0 || !p0 || vec_push(p0, b0) < 0 || vec_push(&g->entry, b0) < 0 || vec_push(&g->owner, 0) < 0
        || vec_push(&g->open_b, b0) < 0 || !cfg_push_frame(g, -1, -1, 0) || vec_push(&g->deferred, 0) < 0)
        return -1;
    for (size_t i = 0; i < n_items; i++) {
        const Item *it = &items[i];
        if (it->tag == K_EVENT) {
            int32_t e = it->aux, flow = g->deferred.data[g->deferred.len - 1];
            if (moved[e] && flow) /* a definition placed in an enclosing scope: the innermost flow holding it */
                for (size_t k = g->deferred.len; k-- > 0;) {
                    int32_t f = g->deferred.data[k];
                    if (f == 0 || scope_within(sc->parent, sc->depth, ev_scope[e], g->owner.data[f])) {
                        flow = f;
                        break;
                    }
                }
            int32_t b = g->open_b.data[flow];
            if (b < 0) {
                IntVec *pt = &g->point.v[flow];
                if ((b = cfg_new_block(g, flow, pt->data, pt->len)) < 0) return -1;
                pt = &g->point.v[flow];
                pt->len = 0;
                if (vec_push(pt, b) < 0) return -1;
                g->open_b.data[flow] = b;
            }
            if (vec_push(&g->events.v[b], e) < 0) return -1;
            continue;
        }
        if (it->tag == K_ENTER) {
            int32_t cat = it->cat, sb = it->sb, flow = g->frames[g->n_frames - 1].flow;
            if (cat == C_DEFERRED) {
                int32_t f = (int32_t)g->entry.len;
                int b = cfg_new_block(g, f, NULL, 0);
                IntVec *pt = veclist_add(&g->point);
                if (b < 0 || !pt || vec_push(pt, b) < 0 || vec_push(&g->owner, scopes_of_span(sc, sb, it->eb)) < 0
                    || vec_push(&g->entry, b) < 0 || vec_push(&g->open_b, b) < 0 || !cfg_push_frame(g, cat, sb, f)
                    || vec_push(&g->deferred, f) < 0)
                    return -1;
                continue;
            }
            Frame *top = &g->frames[g->n_frames - 1];
            IntVec *pt = &g->point.v[flow];
            Frame fr = {.kind = cat, .key = sb, .flow = flow, .head = -1};
            int rc = 0;
            if (cat == C_BRANCH) {
                rc = vec_set(&fr.spine, pt->data, pt->len);
                fr.breakable = it->aux != 0;
            } else if (cat == C_LOOP) {
                int head = cfg_new_block(g, flow, pt->data, pt->len);
                fr.head = head;
                rc = head < 0 ? -1 : cfg_goto(g, flow, &fr.head, 1, NULL, 0);
            } else if (cat == C_TRY) {
                rc = vec_set(&fr.entry, pt->data, pt->len);
                fr.first_block = (int32_t)g->preds.len;
                g->open_b.data[flow] = -1; /* the try body starts a block of its own */
            } else if ((cat == C_ARM || cat == C_DEFAULT) && top->kind == C_BRANCH) {
                rc = vec_set(&top->spine, pt->data, pt->len);
                top->exhaustive = top->exhaustive || cat == C_DEFAULT;
                g->open_b.data[flow] = -1;
            } else if (cat == C_HANDLER && top->kind == C_TRY) {
                if (!top->has_handler_preds) {
                    top->has_handler_preds = true;
                    rc = vec_set(&top->normal_exit, pt->data, pt->len);
                    IntVec hp = {0};
                    int32_t first = top->first_block, end = (int32_t)g->preds.len;
                    rc = rc || vec_extend(&hp, top->entry.data, top->entry.len);
                    for (int32_t b = first; !rc && b < end; b++)
                        if (g->flow.data[b] == flow) rc = vec_push(&hp, b);
                    top->head = end; /* the handlers' shared entry block, made next */
                    rc = rc || vec_push(&g->catch, end) || vec_push(&g->catch, first) || vec_push(&g->catch, end);
                    if (!rc && cfg_new_block(g, flow, hp.data, hp.len) < 0) rc = -1;
                    free(hp.data);
                    top = &g->frames[g->n_frames - 1];
                }
                rc = rc || cfg_goto(g, flow, &top->head, 1, NULL, 0);
            } else if (cat == C_FINALLY && top->kind == C_TRY) {
                rc = cfg_goto(g, flow, pt->data, pt->len, top->exits.data, top->exits.len);
                top->exits.len = 0;
                top->has_handler_preds = true;
                pt = &g->point.v[flow];
                rc = rc || vec_set(&top->normal_exit, pt->data, pt->len);
            }
            Frame *slot = rc ? NULL : cfg_push_frame(g, cat, sb, flow);
            if (!slot) {
                frame_free(&fr);
                return -1;
            }
            *slot = fr;
            continue;
        }
        if (it->tag == K_EXIT) {
            int32_t cat = it->cat, sb = it->sb;
            size_t k = g->n_frames - 1;
            while (k > 0 && !(g->frames[k].kind == cat && g->frames[k].key == sb)) k--;
            if (k == 0) continue; /* defensive: an exit without its enter */
            while (g->n_frames > k + 1) frame_free(&g->frames[--g->n_frames]);
            Frame fr = g->frames[--g->n_frames];
            int32_t flow = fr.flow;
            IntVec *pt = &g->point.v[flow];
            int rc = 0;
            if (cat == C_DEFERRED) {
                g->deferred.len--;
            } else if (cat == C_BRANCH) {
                rc = fr.exhaustive ? cfg_goto(g, flow, fr.exits.data, fr.exits.len, NULL, 0)
                                   : cfg_goto(g, flow, fr.exits.data, fr.exits.len, pt->data, pt->len);
            } else if (cat == C_LOOP) {
                rc = vec_extend(&g->preds.v[fr.head], pt->data, pt->len)
                     || cfg_goto(g, flow, &fr.head, 1, fr.exits.data, fr.exits.len);
            } else if (cat == C_TRY) {
                rc = cfg_goto(g, flow, pt->data, pt->len, fr.exits.data, fr.exits.len);
            } else {
                Frame *top = &g->frames[g->n_frames - 1];
                if ((cat == C_ARM || cat == C_DEFAULT) && top->kind == C_BRANCH) {
                    rc = vec_extend(&top->exits, pt->data, pt->len)
                         || cfg_goto(g, flow, top->spine.data, top->spine.len, NULL, 0);
                } else if (cat == C_HANDLER && top->kind == C_TRY) {
                    rc = vec_extend(&top->exits, pt->data, pt->len)
                         || cfg_goto(g, flow, top->normal_exit.data, top->normal_exit.len, NULL, 0);
                }
            }
            frame_free(&fr);
            if (rc) return -1;
            continue;
        }
        /* a jump */
        int32_t cat = it->cat, flow = g->frames[g->n_frames - 1].flow;
        IntVec *pt = &g->point.v[flow];
        if (cat == C_BREAK || cat == C_CONTINUE)
            for (size_t k = g->n_frames - 1; k > 0; k--) {
                Frame *fr = &g->frames[k];
                if (fr->flow != flow) break;
                if (fr->kind == C_LOOP) {
                    if (vec_extend(cat == C_BREAK ? &fr->exits : &g->preds.v[fr->head], pt->data, pt->len) < 0) return -1;
                    break;
                }
                if (cat == C_BREAK && fr->kind == C_BRANCH && fr->breakable) {
                    if (vec_extend(&fr->exits, pt->data, pt->len) < 0) return -1;
                    break;
                }
            }
        if (cfg_goto(g, flow, NULL, 0, NULL, 0) < 0) return -1;
    }
    return 0;
}

/* flow_cfg(ev_kind, ev_start, ev_end, ev_scope, hoisted, moved, regions, parts, jumps, relocate, scope_start,
 *          scope_end, scope_parent, scope_depth, size) -> (events, preds, flow, entry, owner, catch) or None
 * dataflow._build_cfg(*dataflow._schedule(...)) in C, with flat int lists: regions (start, end, category,
 * breakable), parts and jumps (start, end, category), relocate (start, end) of @flow.assign nodes. catch
 * is [[handler block, first body block, end], ...]. None: a source too large for 64-bit keys. */
static PyObject *native_flow_cfg(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *o[14];
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOn", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8],
                          &o[9], &o[10], &o[11], &o[12], &o[13], &size)) return NULL;
    if (size < 0 || size > (1 << 27)) Py_RETURN_NONE; /* keys would pass 64 bits: the Python path runs */
    int32_t *col[14] = {0};
    Py_ssize_t len[14] = {0};
    PyObject *result = NULL;
    Item *items = NULL;
    Anchor *anchors = NULL, *loops = NULL;
    int32_t *a_scope = NULL, *a_sb = NULL, *a_eb = NULL;
    IntVec stack = {0};
    Cfg g;
    memset(&g, 0, sizeof g);
    for (int i = 0; i < 14; i++)
        if (!(col[i] = int_array(o[i], &len[i]))) goto out;
    const int32_t *ev_kind = col[0], *ev_start = col[1], *ev_end = col[2], *ev_scope = col[3], *hoisted = col[4],
                  *moved = col[5], *regions = col[6], *parts = col[7], *jumps = col[8], *relocate = col[9];
    Py_ssize_t n_ev = len[0], n_regions = len[6] / 4, n_parts = len[7] / 3, n_jumps = len[8] / 3, n_reloc = len[9] / 2;
    Scopes sc = {col[10], col[11], col[12], col[13], len[10]};
    if (len[1] != n_ev || len[2] != n_ev || len[3] != n_ev || len[4] != n_ev || len[5] != n_ev || len[6] % 4
        || len[7] % 3 || len[8] % 3 || len[9] % 2 || len[11] != sc.n || len[12] != sc.n || len[13] != sc.n || sc.n < 1) {
        PyErr_SetString(PyExc_ValueError, "flow_cfg: expected columns of matching lengths, found a mismatch");
        goto out;
    }
    for (Py_ssize_t e = 0; e < n_ev; e++)
        if (ev_scope[e] < 0 || ev_scope[e] >= sc.n) {
            PyErr_Format(PyExc_ValueError, "flow_cfg: expected scope ids below %zd, found %d", sc.n, ev_scope[e]);
            goto out;
        }
    Keys kk = {(uint64_t)size + 2};
    /* anchors: assignments (writes in their scope move to the end), loop parts (once: before the loop; last: at
     * the end of each iteration) */
    anchors = malloc((n_reloc + n_parts + 1) * sizeof(Anchor));
    loops = malloc((n_regions + 1) * sizeof(Anchor));
    a_scope = malloc((n_reloc + 1) * sizeof(int32_t));
    a_sb = malloc((n_reloc + 1) * sizeof(int32_t));
    a_eb = malloc((n_reloc + 1) * sizeof(int32_t));
    items = malloc((n_ev + 2 * n_regions + 2 * n_parts + n_jumps + 1) * sizeof(Item));
    if (!anchors || !loops || !a_scope || !a_sb || !a_eb || !items) goto oom;
    Py_ssize_t n_anchors = 0, n_loops = 0;
    for (Py_ssize_t i = 0; i < n_reloc; i++)
        anchors[i] = (Anchor){relocate[2 * i], relocate[2 * i + 1], 0, 0, 0};
    qsort(anchors, n_reloc, sizeof(Anchor), cmp_anchor); /* idx all 0: sort by (start, -end) */
    for (Py_ssize_t i = 0; i < n_reloc; i++) /* sorted by (start, end), unique, as Python's sorted(set(...)) */
        if (n_anchors == 0 || anchors[n_anchors - 1].start != anchors[i].start || anchors[n_anchors - 1].end != anchors[i].end)
            anchors[n_anchors++] = anchors[i];
    for (Py_ssize_t i = 0; i < n_anchors;) { /* (start, -end) → (start, end): reverse each equal-start run */
        Py_ssize_t j = i;
        while (j < n_anchors && anchors[j].start == anchors[i].start) j++;
        for (Py_ssize_t a = i, b = j - 1; a < b; a++, b--) {
            Anchor t = anchors[a];
            anchors[a] = anchors[b];
            anchors[b] = t;
        }
        i = j;
    }
    for (Py_ssize_t i = 0; i < n_anchors; i++) { /* (start, end) columns for the scope sweep */
        a_sb[i] = anchors[i].start;
        a_eb[i] = anchors[i].end;
    }
    if (scopes_innermost(&sc, a_sb, a_eb, n_anchors, a_scope) < 0) goto oom;
    for (Py_ssize_t i = 0; i < n_anchors; i++) {
        anchors[i].scope = a_scope[i];
        anchors[i].key = close_key(&kk, anchors[i].end, anchors[i].start, R_ASSIGN, 0);
        anchors[i].idx = (int32_t)i;
    }
    for (Py_ssize_t r = 0; r < n_regions; r++)
        if (regions[4 * r + 2] == C_LOOP)
            loops[n_loops++] = (Anchor){regions[4 * r], regions[4 * r + 1], -1, (int32_t)r, 0};
    qsort(loops, n_loops, sizeof(Anchor), cmp_anchor);
    for (Py_ssize_t p = 0; p < n_parts; p++) {
        int32_t sb = parts[3 * p], eb = parts[3 * p + 1], cat = parts[3 * p + 2];
        if (cat != C_ONCE && cat != C_LAST) continue;
        Py_ssize_t lo = 0, hi = n_loops; /* the innermost loop containing the part */
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi) / 2;
            if (loops[mid].start <= sb) lo = mid + 1;
            else hi = mid;
        }
        Py_ssize_t j = lo - 1;
        while (j >= 0 && !(loops[j].start <= sb && eb <= loops[j].end)) j--;
        if (j < 0) continue;
        uint64_t key = cat == C_ONCE ? open_key(&kk, loops[j].start, loops[j].end, R_LOOP, 0)
                                     : close_key(&kk, loops[j].end, loops[j].start, R_LOOP, 0);
        anchors[n_anchors] = (Anchor){sb, eb, -1, (int32_t)n_anchors, key};
        n_anchors++;
    }
    qsort(anchors, n_anchors, sizeof(Anchor), cmp_anchor);

    /* events, with the moves the anchors make */
    size_t n_items = 0;
    Py_ssize_t k = 0;
    for (Py_ssize_t e = 0; e < n_ev; e++) {
        int32_t sb = ev_start[e], eb = ev_end[e];
        while (k < n_anchors && anchors[k].start <= sb) {
            while (stack.len && anchors[stack.data[stack.len - 1]].end <= anchors[k].start) stack.len--;
            if (vec_push(&stack, (int32_t)k++) < 0) goto oom;
        }
        while (stack.len) {
            const Anchor *a = &anchors[stack.data[stack.len - 1]];
            if (a->start <= sb && eb <= a->end) break;
            stack.len--;
        }
        Item *it = &items[n_items];
        *it = (Item){0, 0, (int32_t)n_items, K_EVENT, 0, sb, eb, (int32_t)e};
        n_items++;
        if (!stack.len && !hoisted[e]) { /* the common case: nothing moves this event */
            it->hi = normal_key(&kk, sb, ev_kind[e]);
            continue;
        }
        int32_t s0 = sc.start[ev_scope[e]];
        uint64_t own = hoisted[e] ? open_key(&kk, s0 > 0 ? s0 : 0, 0, 7, 1) : normal_key(&kk, sb, ev_kind[e]);
        it->hi = own;
        bool relocated = hoisted[e];
        for (size_t q = stack.len; q-- > 0;) { /* innermost first */
            const Anchor *a = &anchors[stack.data[q]];
            if (!(a->start <= sb && eb <= a->end)) continue;
            if (a->scope < 0) {
                it->hi = a->key;
                it->lo = own;
                break;
            }
            if (ev_kind[e] != 0 && !relocated && ev_scope[e] == a->scope) {
                own = a->key;
                it->hi = own;
                relocated = true;
            }
        }
    }
    for (Py_ssize_t r = 0; r < n_regions; r++) {
        int32_t sb = regions[4 * r], eb = regions[4 * r + 1], cat = regions[4 * r + 2];
        int prio = region_prio(cat);
        items[n_items] = (Item){open_key(&kk, sb, eb, prio, 1), 0, (int32_t)n_items, K_ENTER, cat, sb, eb, regions[4 * r + 3]};
        n_items++;
        items[n_items] = (Item){close_key(&kk, eb, sb, prio, 1), 0, (int32_t)n_items, K_EXIT, cat, sb, eb, 0};
        n_items++;
    }
    for (Py_ssize_t p = 0; p < n_parts; p++) {
        int32_t sb = parts[3 * p], eb = parts[3 * p + 1], cat = parts[3 * p + 2];
        if (cat != C_ARM && cat != C_DEFAULT && cat != C_HANDLER && cat != C_FINALLY) continue;
        items[n_items] = (Item){open_key(&kk, sb, eb, R_PART, 1), 0, (int32_t)n_items, K_ENTER, cat, sb, eb, 0};
        n_items++;
        items[n_items] = (Item){close_key(&kk, eb, sb, R_PART, 1), 0, (int32_t)n_items, K_EXIT, cat, sb, eb, 0};
        n_items++;
    }
    for (Py_ssize_t j = 0; j < n_jumps; j++) {
        int32_t sb = jumps[3 * j], eb = jumps[3 * j + 1], cat = jumps[3 * j + 2];
        items[n_items] = (Item){close_key(&kk, eb, sb, R_JUMP, 0), 0, (int32_t)n_items, K_JUMP, cat, sb, eb, 0};
        n_items++;
    }
    qsort(items, n_items, sizeof(Item), cmp_item);

    if (cfg_build(&g, items, n_items, ev_scope, moved, &sc) < 0) goto oom;
    {
        IntCache cache;
        size_t top = g.preds.len > (size_t)n_ev ? g.preds.len : (size_t)n_ev;
        if (cache_init(&cache, top + 1) < 0) goto oom;
        PyObject *events = veclist_to_list(&g.events, &cache), *preds = veclist_to_list(&g.preds, &cache),
                 *flow = vec_to_list(g.flow.data, g.flow.len, &cache), *entry = vec_to_list(g.entry.data, g.entry.len, &cache),
                 *owner = vec_to_list(g.owner.data, g.owner.len, &cache), *catch = PyList_New((Py_ssize_t)(g.catch.len / 3));
        for (size_t h = 0; catch && h < g.catch.len / 3; h++) {
            PyObject *row = vec_to_list(g.catch.data + 3 * h, 3, &cache);
            if (!row) {
                Py_CLEAR(catch);
                break;
            }
            PyList_SET_ITEM(catch, (Py_ssize_t)h, row);
        }
        if (events && preds && flow && entry && owner && catch)
            result = PyTuple_Pack(6, events, preds, flow, entry, owner, catch);
        Py_XDECREF(events), Py_XDECREF(preds), Py_XDECREF(flow), Py_XDECREF(entry), Py_XDECREF(owner), Py_XDECREF(catch);
        cache_free(&cache);
    }
    goto out;
oom:
    PyErr_NoMemory();
out:
    for (int i = 0; i < 14; i++) free(col[i]);
    free(items), free(anchors), free(loops), free(a_scope), free(a_sb), free(a_eb), free(stack.data);
    cfg_free(&g);
    return result;
}

/* ------------------------------------------------------------------ computed_from (dataflow._group_assignments
 * and _computed_from) */
typedef struct {
    int32_t group, role, start, end; /* role: 0 the pattern's root (anchor), 1 a target, 2 a value */
} Span;

/* by group, role, start, then longest first */
static int cmp_span(const void *a, const void *b) {
    const Span *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->role != y->role) return x->role < y->role ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return (x->end < y->end) - (x->end > y->end);
}

/* the events of one kind class (writes: kind != 0; reads: kind == 0) inside [sb, eb), appended to out */
static int events_in(const int32_t *ev_start, const int32_t *ev_end, const int32_t *ev_kind, const int32_t *ev_node,
                     Py_ssize_t n, int32_t sb, int32_t eb, bool writes, IntVec *out) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (ev_start[mid] < sb) lo = mid + 1;
        else hi = mid;
    }
    for (Py_ssize_t i = lo; i < n && ev_start[i] < eb; i++)
        if ((ev_kind[i] != 0) == writes && ev_end[i] <= eb && vec_push(out, ev_node[i]) < 0) return -1;
    return 0;
}

/* computed_from(ev_node, ev_kind, ev_start, ev_end, spans) -> [(target event node, value event node), ...]
 * spans: flat (group, role, start, end) quadruples, role 0 for a pattern's root node, 1 a target, 2 a value.
 * Each target or value belongs to the innermost root of its group that strictly contains it; every
 * write inside a root's targets is computed from every read inside its values. Sorted, unique. */
static PyObject *native_computed_from(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *o[5];
    if (!PyArg_ParseTuple(args, "OOOOO", &o[0], &o[1], &o[2], &o[3], &o[4])) return NULL;
    int32_t *col[5] = {0};
    Py_ssize_t len[5] = {0};
    PyObject *result = NULL;
    Span *spans = NULL;
    int64_t *slots = NULL;
    IntVec written = {0}, read = {0}, src = {0}, dst = {0};
    for (int i = 0; i < 5; i++)
        if (!(col[i] = int_array(o[i], &len[i]))) goto out;
    const int32_t *ev_node = col[0], *ev_kind = col[1], *ev_start = col[2], *ev_end = col[3];
    Py_ssize_t n_ev = len[0], n_spans = len[4] / 4;
    if (len[1] != n_ev || len[2] != n_ev || len[3] != n_ev || len[4] % 4) {
        PyErr_SetString(PyExc_ValueError, "computed_from: expected columns of matching lengths, found a mismatch");
        goto out;
    }
    spans = malloc((n_spans + 1) * sizeof(Span));
    slots = malloc((n_spans + 1) * sizeof(int64_t));
    if (!spans || !slots) goto oom;
    for (Py_ssize_t i = 0; i < n_spans; i++) {
        const int32_t *q = col[4] + 4 * i;
        if (q[1] < 0 || q[1] > 2) {
            PyErr_Format(PyExc_ValueError, "computed_from: expected a role of 0, 1 or 2, found %d", q[1]);
            goto out;
        }
        spans[i] = (Span){q[0], q[1], q[2], q[3]};
    }
    qsort(spans, n_spans, sizeof(Span), cmp_span);
    for (Py_ssize_t g = 0; g < n_spans;) {
        Py_ssize_t a0 = g, a1 = g, end = g;
        while (end < n_spans && spans[end].group == spans[g].group) end++;
        while (a1 < end && spans[a1].role == 0) a1++;
        /* unique roots, by (start, -end) */
        Py_ssize_t na = 0;
        for (Py_ssize_t i = a0; i < a1; i++)
            if (na == 0 || spans[a0 + na - 1].start != spans[i].start || spans[a0 + na - 1].end != spans[i].end)
                spans[a0 + na++] = spans[i];
        const Span *roots = spans + a0;
        Py_ssize_t n_slots = 0;
        for (Py_ssize_t i = a1; i < end && na; i++) { /* targets and values: their innermost strictly containing root */
            int32_t sb = spans[i].start, eb = spans[i].end;
            Py_ssize_t lo = 0, hi = na;
            while (lo < hi) {
                Py_ssize_t mid = (lo + hi) / 2;
                if (roots[mid].start <= sb) lo = mid + 1;
                else hi = mid;
            }
            for (Py_ssize_t j = lo - 1; j >= 0; j--)
                if (roots[j].start <= sb && eb <= roots[j].end && !(roots[j].start == sb && roots[j].end == eb)) {
                    slots[n_slots++] = ((int64_t)j << 34) | ((int64_t)spans[i].role << 32) | (int64_t)(uint32_t)i;
                    break;
                }
        }
        qsort(slots, n_slots, sizeof(int64_t), cmp_pair); /* by root, then role: targets first */
        for (Py_ssize_t s = 0; s < n_slots;) {
            int64_t root = slots[s] >> 34;
            Py_ssize_t t = s;
            written.len = read.len = 0;
            for (; t < n_slots && slots[t] >> 34 == root; t++) {
                const Span *x = &spans[(uint32_t)(slots[t] & 0xffffffff)];
                if (events_in(ev_start, ev_end, ev_kind, ev_node, n_ev, x->start, x->end, x->role == 1,
                              x->role == 1 ? &written : &read) < 0) goto oom;
            }
            for (size_t w = 0; w < written.len; w++)
                for (size_t r = 0; r < read.len; r++)
                    if (emit(&src, &dst, written.data[w], read.data[r]) < 0) goto oom;
            s = t;
        }
        g = end;
    }
    result = unique_pairs(&src, &dst);
    goto out;
oom:
    PyErr_NoMemory();
out:
    for (int i = 0; i < 5; i++) free(col[i]);
    free(spans), free(slots), free(written.data), free(read.data), free(src.data), free(dst.data);
    return result;
}

/* ------------------------------------------------------------------ names (dataflow._resolve) */
/* open addressing maps: (scope, name id) → int, and source slices → name id */
typedef struct {
    uint64_t *keys;
    int32_t *vals;
    size_t cap, len;
} PairMap;

#define PAIR_EMPTY UINT64_MAX

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int pairmap_init(PairMap *m, size_t want) {
    size_t cap = 16;
    while (cap < 2 * want) cap *= 2;
    m->keys = malloc(cap * sizeof(uint64_t));
    m->vals = malloc(cap * sizeof(int32_t));
    m->cap = cap, m->len = 0;
    if (!m->keys || !m->vals) return -1;
    for (size_t i = 0; i < cap; i++) m->keys[i] = PAIR_EMPTY;
    return 0;
}

static void pairmap_free(PairMap *m) {
    free(m->keys), free(m->vals);
}

static uint64_t pair_key(int32_t scope, int32_t name) {
    return ((uint64_t)(uint32_t)scope << 32) | (uint32_t)name;
}

/* the slot of key: where it is, or the empty slot where it would go */
static size_t pairmap_slot(const PairMap *m, uint64_t key) {
    size_t i = mix64(key) & (m->cap - 1);
    while (m->keys[i] != PAIR_EMPTY && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

static bool pairmap_get(const PairMap *m, uint64_t key, int32_t *val) {
    size_t i = pairmap_slot(m, key);
    if (m->keys[i] == PAIR_EMPTY) return false;
    if (val) *val = m->vals[i];
    return true;
}

static int pairmap_put(PairMap *m, uint64_t key, int32_t val) {
    size_t i = pairmap_slot(m, key);
    if (m->keys[i] == PAIR_EMPTY) {
        if (2 * (m->len + 1) > m->cap) { /* grow, then find the slot again */
            PairMap bigger;
            if (pairmap_init(&bigger, m->cap) < 0) {
                pairmap_free(&bigger);
                return -1;
            }
            for (size_t j = 0; j < m->cap; j++)
                if (m->keys[j] != PAIR_EMPTY) {
                    size_t k = pairmap_slot(&bigger, m->keys[j]);
                    bigger.keys[k] = m->keys[j];
                    bigger.vals[k] = m->vals[j];
                }
            bigger.len = m->len;
            pairmap_free(m);
            *m = bigger;
            i = pairmap_slot(m, key);
        }
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
    return 0;
}

/* name ids by text: slices of the source, compared bytewise */
typedef struct {
    int32_t *slot_id; /* -1: empty */
    const char *src;
    IntVec starts, ends; /* per id */
    size_t cap;
} Names;

static uint64_t text_hash(const char *s, int32_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (int32_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int names_init(Names *t, const char *src, size_t want) {
    memset(t, 0, sizeof *t);
    t->src = src;
    t->cap = 16;
    while (t->cap < 2 * want + 2) t->cap *= 2;
    t->slot_id = malloc(t->cap * sizeof(int32_t));
    if (!t->slot_id) return -1;
    for (size_t i = 0; i < t->cap; i++) t->slot_id[i] = -1;
    return 0;
}

static void names_free(Names *t) {
    free(t->slot_id), free(t->starts.data), free(t->ends.data);
}

/* the id of source[sb:eb], a new one for a text not seen before; -1: out of memory */
static int32_t names_id(Names *t, int32_t sb, int32_t eb) {
    if (2 * (t->starts.len + 1) > t->cap) {
        size_t cap = t->cap * 2;
        int32_t *slots = malloc(cap * sizeof(int32_t));
        if (!slots) return -1;
        for (size_t i = 0; i < cap; i++) slots[i] = -1;
        for (size_t id = 0; id < t->starts.len; id++) {
            int32_t a = t->starts.data[id], b = t->ends.data[id];
            size_t i = text_hash(t->src + a, b - a) & (cap - 1);
            while (slots[i] >= 0) i = (i + 1) & (cap - 1);
            slots[i] = (int32_t)id;
        }
        free(t->slot_id);
        t->slot_id = slots;
        t->cap = cap;
    }
    int32_t n = eb - sb;
    size_t i = text_hash(t->src + sb, n) & (t->cap - 1);
    for (;; i = (i + 1) & (t->cap - 1)) {
        int32_t id = t->slot_id[i];
        if (id < 0) break;
        int32_t a = t->starts.data[id], b = t->ends.data[id];
        if (b - a == n && memcmp(t->src + a, t->src + sb, (size_t)n) == 0) return id;
    }
    int32_t id = (int32_t)t->starts.len;
    if (vec_push(&t->starts, sb) < 0 || vec_push(&t->ends, eb) < 0) return -1;
    t->slot_id[i] = id;
    return id;
}

/* definition settings, as codes: where the name goes (local.definition.scope) and whether it is hoisted */
enum { PLACE_PARENT = 1, PLACE_GLOBAL = 2, PLACE_FUNCTION = 3, PLACE_MASK = 3, HOIST = 4, HOIST_VALUE = 8 };

typedef struct {
    const int32_t *parent, *by_scope, *hidden;
    PairMap vars, decl_first, memo, globals, nonlocals;
    IntVec home;
} Resolver;

static int32_t resolver_var(Resolver *r, int32_t scope, int32_t name) {
    uint64_t key = pair_key(scope, name);
    int32_t v;
    if (pairmap_get(&r->vars, key, &v)) return v;
    v = (int32_t)r->home.len;
    if (vec_push(&r->home, scope) < 0 || pairmap_put(&r->vars, key, v) < 0) return -1;
    return v;
}

/* dataflow._resolve's lookup: the variable `name` means at `pos` in `scope` */
static int32_t resolver_lookup(Resolver *r, int32_t name, int32_t scope, int32_t pos) {
    uint64_t key = pair_key(scope, name);
    int32_t v;
    if (pairmap_get(&r->memo, key, &v)) return v;
    int32_t s = scope, fallback = -1, found = -1, at;
    bool first = true, depends = false;
    while (s >= 0) {
        if (!first && r->hidden[s]) {
            s = r->parent[s];
            continue;
        }
        uint64_t here = pair_key(s, name);
        if (r->globals.len && pairmap_get(&r->globals, here, NULL)) {
            found = 0;
            break;
        }
        if (r->nonlocals.len && pairmap_get(&r->nonlocals, here, NULL)) {
            s = r->parent[s];
            first = false;
            continue;
        }
        if (pairmap_get(&r->decl_first, here, &at)) {
            if (r->by_scope[s]) {
                found = s;
                break;
            }
            depends = true;
            if (at <= pos) {
                found = s;
                break;
            }
            if (fallback < 0) fallback = s;
        }
        first = false;
        s = r->parent[s];
    }
    if (found < 0) found = fallback >= 0 ? fallback : 0;
    v = resolver_var(r, found, name);
    if (v >= 0 && !depends && pairmap_put(&r->memo, key, v) < 0) return -1;
    return v;
}

/* resolve(source, ev_node, ev_kind, ev_start, ev_end, def_codes, decls, scope_start, scope_end, scope_parent,
 *         scope_by_scope, scope_hidden, scope_function) -> (ev_scope, ev_var, var_home, moved, hoisted)
 * dataflow's name pass in C: each event's innermost scope, global/nonlocal declarations (decls: flat
 * (start, end, is_global) of the declared names, sorted), then _resolve. def_codes: {node id: code} for
 * definitions with settings (PLACE_* | HOIST | HOIST_VALUE); scope_by_scope: 1 where a scope binds by
 * scope (Python) rather than by declaration; scope_function: 1 for function scopes. */
static PyObject *native_resolve(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer source;
    PyObject *o[12];
    if (!PyArg_ParseTuple(args, "y*OOOOOOOOOOOO", &source, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                          &o[8], &o[9], &o[10], &o[11])) return NULL;
    /* o[4] (def_codes) is a dict; the rest are int lists */
    int32_t *col[12] = {0};
    Py_ssize_t len[12] = {0};
    PyObject *result = NULL;
    int32_t *ev_scope = NULL, *ev_var = NULL, *name_of = NULL, *moved = NULL, *hoisted = NULL, *decl_scope = NULL;
    IntVec pending = {0};
    Names names;
    Resolver r;
    memset(&r, 0, sizeof r);
    memset(&names, 0, sizeof names);
    if (!PyDict_Check(o[4])) {
        PyErr_Format(PyExc_TypeError, "resolve: expected a dict of definition codes, found %s", Py_TYPE(o[4])->tp_name);
        goto out;
    }
    for (int i = 0; i < 12; i++)
        if (i != 4 && !(col[i] = int_array(o[i], &len[i]))) goto out;
    const int32_t *ev_kind = col[1], *ev_start = col[2], *ev_end = col[3], *decls = col[5]; /* nodes: o[0] */
    Py_ssize_t n_ev = len[0], n_decls = len[5] / 3;
    Scopes sc = {col[6], col[7], col[8], NULL, len[6]};
    r.parent = col[8], r.by_scope = col[9], r.hidden = col[10];
    const int32_t *is_function = col[11];
    if (len[1] != n_ev || len[2] != n_ev || len[3] != n_ev || len[5] % 3 || sc.n < 1 || len[7] != sc.n
        || len[8] != sc.n || len[9] != sc.n || len[10] != sc.n || len[11] != sc.n) {
        PyErr_SetString(PyExc_ValueError, "resolve: expected columns of matching lengths, found a mismatch");
        goto out;
    }
    for (Py_ssize_t e = 0; e < n_ev; e++)
        if (ev_start[e] < 0 || ev_end[e] < ev_start[e] || ev_end[e] > source.len || (e && ev_start[e] < ev_start[e - 1])) {
            PyErr_Format(PyExc_ValueError, "resolve: expected event spans inside the source, sorted by start, found "
                         "(%d, %d) at event %zd", ev_start[e], ev_end[e], e);
            goto out;
        }
    for (Py_ssize_t d = 0; d < n_decls; d++)
        if (decls[3 * d] < 0 || decls[3 * d + 1] < decls[3 * d] || decls[3 * d + 1] > source.len) {
            PyErr_Format(PyExc_ValueError, "resolve: expected declaration spans inside the source, found (%d, %d)",
                         decls[3 * d], decls[3 * d + 1]);
            goto out;
        }
    for (Py_ssize_t s = 1; s < sc.n; s++)
        if (r.parent[s] < 0 || r.parent[s] >= s) {
            PyErr_Format(PyExc_ValueError, "resolve: expected each scope's parent before it, found %d for scope %zd",
                         r.parent[s], s);
            goto out;
        }
    ev_scope = malloc((n_ev + 1) * sizeof(int32_t));
    ev_var = malloc((n_ev + 1) * sizeof(int32_t));
    name_of = malloc((n_ev + 1) * sizeof(int32_t));
    moved = calloc(n_ev + 1, sizeof(int32_t));
    hoisted = calloc(n_ev + 1, sizeof(int32_t));
    decl_scope = malloc((n_decls + 1) * sizeof(int32_t));
    if (!ev_scope || !ev_var || !name_of || !moved || !hoisted || !decl_scope || names_init(&names, source.buf, 64) < 0
        || pairmap_init(&r.vars, 64) < 0 || pairmap_init(&r.decl_first, 64) < 0 || pairmap_init(&r.memo, 64) < 0
        || pairmap_init(&r.globals, 4) < 0 || pairmap_init(&r.nonlocals, 4) < 0)
        goto oom;
    if (scopes_innermost(&sc, ev_start, ev_end, n_ev, ev_scope) < 0) goto oom;
    for (Py_ssize_t e = 0; e < n_ev; e++) {
        if ((name_of[e] = names_id(&names, ev_start[e], ev_end[e])) < 0) goto oom;
        ev_var[e] = -1;
    }
    /* global and nonlocal declarations, in the scope that holds them */
    {
        int32_t *d_sb = malloc((n_decls + 1) * sizeof(int32_t)), *d_eb = malloc((n_decls + 1) * sizeof(int32_t));
        int rc = d_sb && d_eb ? 0 : -1;
        for (Py_ssize_t d = 0; !rc && d < n_decls; d++) d_sb[d] = decls[3 * d], d_eb[d] = decls[3 * d + 1];
        rc = rc || scopes_innermost(&sc, d_sb, d_eb, n_decls, decl_scope);
        free(d_sb), free(d_eb);
        if (rc) goto oom;
    }
    for (Py_ssize_t d = 0; d < n_decls; d++) {
        int32_t name = names_id(&names, decls[3 * d], decls[3 * d + 1]);
        if (name < 0 || pairmap_put(decls[3 * d + 2] ? &r.globals : &r.nonlocals, pair_key(decl_scope[d], name), 1) < 0)
            goto oom;
    }
    /* definitions: placed, hoisted, and the first position each (scope, name) is declared at */
    for (Py_ssize_t e = 0; e < n_ev; e++) {
        if (ev_kind[e] != 2) continue;
        int32_t s = ev_scope[e];
        long code = 0;
        PyObject *c = PyDict_GetItemWithError(o[4], PyList_GET_ITEM(o[0], e));
        if (c) {
            code = PyLong_AsLong(c);
            if (code == -1 && PyErr_Occurred()) goto out;
        } else if (PyErr_Occurred()) goto out;
        bool hoist = false;
        if (code) {
            int place = (int)(code & PLACE_MASK);
            if (place == PLACE_PARENT && s > 0) s = r.parent[s];
            else if (place == PLACE_GLOBAL) s = 0;
            else if (place == PLACE_FUNCTION)
                while (s > 0 && !is_function[s]) s = r.parent[s];
            hoist = (code & HOIST) != 0;
            hoisted[e] = (code & HOIST_VALUE) != 0;
            if (s != ev_scope[e]) {
                moved[e] = 1;
                ev_scope[e] = s;
            }
        }
        uint64_t key = pair_key(s, name_of[e]);
        if ((r.globals.len && pairmap_get(&r.globals, key, NULL)) || (r.nonlocals.len && pairmap_get(&r.nonlocals, key, NULL))) {
            if (vec_push(&pending, (int32_t)e) < 0) goto oom;
            continue;
        }
        int32_t first = hoist ? -1 : ev_start[e], at;
        if ((!pairmap_get(&r.decl_first, key, &at) || first < at) && pairmap_put(&r.decl_first, key, first) < 0) goto oom;
        if ((ev_var[e] = resolver_var(&r, s, name_of[e])) < 0) goto oom;
    }
    for (size_t k = 0; k < pending.len; k++) {
        int32_t e = pending.data[k];
        if ((ev_var[e] = resolver_lookup(&r, name_of[e], ev_scope[e], ev_start[e])) < 0) goto oom;
    }
    for (Py_ssize_t e = 0; e < n_ev; e++)
        if (ev_var[e] < 0 && (ev_var[e] = resolver_lookup(&r, name_of[e], ev_scope[e], ev_start[e])) < 0) goto oom;
    {
        IntCache cache;
        size_t top = (size_t)n_ev > r.home.len ? (size_t)n_ev : r.home.len;
        if (top < (size_t)sc.n) top = (size_t)sc.n;
        if (cache_init(&cache, top + 1) < 0) goto oom;
        PyObject *a = vec_to_list(ev_scope, n_ev, &cache), *b = vec_to_list(ev_var, n_ev, &cache),
                 *c = vec_to_list(r.home.data, r.home.len, &cache), *d = vec_to_list(moved, n_ev, &cache),
                 *e = vec_to_list(hoisted, n_ev, &cache);
        if (a && b && c && d && e) result = PyTuple_Pack(5, a, b, c, d, e);
        Py_XDECREF(a), Py_XDECREF(b), Py_XDECREF(c), Py_XDECREF(d), Py_XDECREF(e);
        cache_free(&cache);
    }
    goto out;
oom:
    PyErr_NoMemory();
out:
    for (int i = 0; i < 12; i++) free(col[i]);
    free(ev_scope), free(ev_var), free(name_of), free(moved), free(hoisted), free(decl_scope), free(pending.data);
    names_free(&names);
    pairmap_free(&r.vars), pairmap_free(&r.decl_first), pairmap_free(&r.memo), pairmap_free(&r.globals);
    pairmap_free(&r.nonlocals);
    free(r.home.data);
    PyBuffer_Release(&source);
    return result;
}

/* ------------------------------------------------------------------ events (dataflow_edges' event list) */
enum { F_DEF = 1, F_REF = 2, F_WRITE = 4, F_READ = 8, F_IGNORE = 16 };

/* events(n_nodes, references, flagged, starts, ends) -> (ev_node, ev_kind, ev_start, ev_end)
 * references: node ids that are references (F_REF); flagged: [(flag, [node id, ...]), ...] with the
 * F_* flags of dataflow.py. Per node in document order: a read (an explicit read, or a reference that
 * is not also a definition, write or ignored), then a definition or else a write. The ints of the
 * result are those of the arguments (node ids, and starts[n], ends[n]), shared, not copied. */
static PyObject *native_events(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_ssize_t n_nodes;
    PyObject *refs, *flagged, *starts, *ends;
    if (!PyArg_ParseTuple(args, "nO!O!O!O!", &n_nodes, &PyList_Type, &refs, &PyList_Type, &flagged, &PyList_Type,
                          &starts, &PyList_Type, &ends)) return NULL;
    if (n_nodes < 0 || PyList_GET_SIZE(starts) != n_nodes || PyList_GET_SIZE(ends) != n_nodes) {
        PyErr_Format(PyExc_ValueError, "events: expected %zd starts and ends, found %zd and %zd", n_nodes,
                     PyList_GET_SIZE(starts), PyList_GET_SIZE(ends));
        return NULL;
    }
    unsigned char *flags = calloc(n_nodes + 1, 1);
    PyObject **id_obj = calloc(n_nodes + 1, sizeof(PyObject *)); /* borrowed: the argument lists hold them */
    PyObject *result = NULL, *cols[4] = {NULL, NULL, NULL, NULL};
    if (!flags || !id_obj) {
        PyErr_NoMemory();
        goto out;
    }
    Py_ssize_t n_flagged = PyList_GET_SIZE(flagged);
    for (Py_ssize_t g = -1; g < n_flagged; g++) {
        PyObject *ids = refs;
        long flag = F_REF;
        if (g >= 0) {
            PyObject *pair = PyList_GET_ITEM(flagged, g);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyList_Check(PyTuple_GET_ITEM(pair, 1))) {
                PyErr_SetString(PyExc_TypeError, "events: expected (flag, [node id, ...]) pairs");
                goto out;
            }
            flag = PyLong_AsLong(PyTuple_GET_ITEM(pair, 0));
            if (flag == -1 && PyErr_Occurred()) goto out;
            ids = PyTuple_GET_ITEM(pair, 1);
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(ids); i++) {
            PyObject *o = PyList_GET_ITEM(ids, i);
            long n = PyLong_AsLong(o);
            if (n == -1 && PyErr_Occurred()) goto out;
            if (n < 0 || n >= n_nodes) {
                PyErr_Format(PyExc_ValueError, "events: expected node ids below %zd, found %ld", n_nodes, n);
                goto out;
            }
            flags[n] |= (unsigned char)flag;
            id_obj[n] = o;
        }
    }
    Py_ssize_t n_ev = 0;
    for (Py_ssize_t n = 0; n < n_nodes; n++) {
        unsigned f = flags[n];
        if (!f) continue;
        n_ev += ((f & F_READ) || ((f & F_REF) && !(f & (F_DEF | F_WRITE | F_IGNORE)))) + ((f & (F_DEF | F_WRITE)) != 0);
    }
    for (int c = 0; c < 4; c++)
        if (!(cols[c] = PyList_New(n_ev))) goto out;
    PyObject *kinds[3] = {PyLong_FromLong(0), PyLong_FromLong(1), PyLong_FromLong(2)}; /* READ, WRITE, DEF */
    Py_ssize_t e = 0;
    for (Py_ssize_t n = 0; n < n_nodes; n++) {
        unsigned f = flags[n];
        if (!f) continue;
        int k[2], nk = 0;
        if ((f & F_READ) || ((f & F_REF) && !(f & (F_DEF | F_WRITE | F_IGNORE)))) k[nk++] = 0;
        if (f & F_DEF) k[nk++] = 2;
        else if (f & F_WRITE) k[nk++] = 1;
        for (int j = 0; j < nk; j++, e++) {
            PyObject *items[4] = {id_obj[n], kinds[k[j]], PyList_GET_ITEM(starts, n), PyList_GET_ITEM(ends, n)};
            for (int c = 0; c < 4; c++) {
                Py_INCREF(items[c]);
                PyList_SET_ITEM(cols[c], e, items[c]);
            }
        }
    }
    for (int j = 0; j < 3; j++) Py_DECREF(kinds[j]);
    result = PyTuple_Pack(4, cols[0], cols[1], cols[2], cols[3]);
out:
    for (int c = 0; c < 4; c++) Py_XDECREF(cols[c]);
    free(flags);
    free(id_obj);
    return result;
}

/* ------------------------------------------------------------------ Engine */
static void Engine_dealloc(Engine *self) {
    free_patterns(self);
    if (self->query) ts_query_delete(self->query);
    if (self->parser) ts_parser_delete(self->parser);
    Py_XDECREF(self->capsule);
    Py_XDECREF(self->names);
    Py_XDECREF(self->named);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static const char *QUERY_ERRORS[] = {"none", "syntax", "node type", "field", "capture", "structure", "language"};

static int Engine_init(Engine *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"language", "names", "named", "query", NULL};
    PyObject *capsule, *names, *named;
    const char *text = NULL;
    Py_ssize_t text_len = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!|z#", kwlist, &capsule, &PyTuple_Type, &names, &PyTuple_Type,
                                     &named, &text, &text_len)) return -1;
    if (PyTuple_GET_SIZE(names) != 65536 || PyTuple_GET_SIZE(named) != 65536) {
        PyErr_Format(PyExc_ValueError, "names, named: expected tuples indexed by every kind id (65536 items), found %zd and %zd",
                     PyTuple_GET_SIZE(names), PyTuple_GET_SIZE(named));
        return -1;
    }
    if (self->language) {
        PyErr_SetString(PyExc_RuntimeError, "Engine: expected a new engine, found one already initialised");
        return -1;
    }
    if (!PyCapsule_CheckExact(capsule)) {
        PyErr_Format(PyExc_TypeError, "language: expected the PyCapsule a grammar package's language() returns, found %s",
                     Py_TYPE(capsule)->tp_name);
        return -1;
    }
    const TSLanguage *language = PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
    if (!language) return -1;
    uint32_t abi = ts_language_abi_version(language);
    if (abi < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION || abi > TREE_SITTER_LANGUAGE_VERSION) {
        PyErr_Format(PyExc_ValueError, "language: expected grammar ABI %d..%d, found %u",
                     TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, TREE_SITTER_LANGUAGE_VERSION, abi);
        return -1;
    }
    self->parser = ts_parser_new();
    if (!self->parser || !ts_parser_set_language(self->parser, language)) {
        PyErr_SetString(PyExc_RuntimeError, "language: expected a grammar this tree-sitter runtime can load");
        return -1;
    }
    self->language = language;
    Py_INCREF(capsule);
    Py_XSETREF(self->capsule, capsule);
    Py_INCREF(names);
    Py_XSETREF(self->names, names);
    Py_INCREF(named);
    Py_XSETREF(self->named, named);
    if (text) {
        uint32_t offset;
        TSQueryError err;
        self->query = ts_query_new(language, text, (uint32_t)text_len, &offset, &err);
        if (!self->query) {
            PyErr_Format(PyExc_ValueError, "query: expected a valid tree-sitter query, found a %s error at byte %u",
                         QUERY_ERRORS[err < 7 ? err : 0], offset);
            return -1;
        }
        self->pattern_count = ts_query_pattern_count(self->query);
        self->patterns = calloc(self->pattern_count ? self->pattern_count : 1, sizeof(PatternPredicates));
        if (!self->patterns) {
            PyErr_NoMemory();
            return -1;
        }
        for (uint32_t p = 0; p < self->pattern_count; p++)
            if (compile_predicates(self, p) < 0) return -1;
    }
    return 0;
}

static PyObject *Engine_capture_names(Engine *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->query) return PyList_New(0);
    uint32_t n = ts_query_capture_count(self->query);
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t len;
        const char *name = ts_query_capture_name_for_id(self->query, k, &len);
        PyObject *s = PyUnicode_FromStringAndSize(name, len);
        if (!s) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, k, s);
    }
    return list;
}

typedef struct {
    IntVec kinds, starts, ends, parent, leaves, errors, missing, collected, cap_id, cap_node;
} Columns;

static void columns_free(Columns *c) {
    IntVec *all[] = {&c->kinds, &c->starts, &c->ends, &c->parent, &c->leaves, &c->errors,
                     &c->missing, &c->collected, &c->cap_id, &c->cap_node};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]->data);
}

/* Pre-order walk with a cursor; node ids are positions in this order. No recursion. */
static int walk(TSTree *tree, const unsigned char *collect, Py_ssize_t n_collect, Columns *c) {
    TSNode root = ts_tree_root_node(tree);
    bool check_missing = ts_node_has_error(root);
    TSTreeCursor cursor = ts_tree_cursor_new(root);
    IntVec stack = {0};
    int32_t par = -1, i = 0;
    int rc = 0;
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cursor);
        TSSymbol kind = ts_node_symbol(node);
        if (vec_push(&c->kinds, kind) || vec_push(&c->starts, (int32_t)ts_node_start_byte(node))
            || vec_push(&c->ends, (int32_t)ts_node_end_byte(node)) || vec_push(&c->parent, par)) goto oom;
        if (kind < n_collect && collect[kind] && vec_push(&c->collected, i)) goto oom;
        if (kind == ERROR_SYMBOL) {
            if (vec_push(&c->errors, i)) goto oom;
        } else if (check_missing && ts_node_is_missing(node)) {
            if (vec_push(&c->missing, i)) goto oom;
        }
        if (ts_tree_cursor_goto_first_child(&cursor)) {
            if (vec_push(&stack, par)) goto oom;
            par = i++;
            continue;
        }
        if (vec_push(&c->leaves, i)) goto oom;
        i++;
        while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
            if (!ts_tree_cursor_goto_parent(&cursor)) goto done;
            par = stack.data[--stack.len];
        }
    }
oom:
    rc = -1;
done:
    free(stack.data);
    ts_tree_cursor_delete(&cursor);
    return rc;
}

/* The id of a node: the last node in pre-order with its start, end and kind. */
static int32_t node_id(const Columns *c, TSNode node) {
    int32_t sb = (int32_t)ts_node_start_byte(node), eb = (int32_t)ts_node_end_byte(node);
    int32_t kind = ts_node_symbol(node);
    size_t lo = 0, hi = c->starts.len; /* first index with start > sb */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->starts.data[mid] <= sb) lo = mid + 1;
        else hi = mid;
    }
    for (size_t k = lo; k-- > 0 && c->starts.data[k] == sb;)
        if (c->ends.data[k] == eb && c->kinds.data[k] == kind) return (int32_t)k;
    return -1;
}

static int run_query(const Engine *self, TSTree *tree, const char *src, Columns *c) {
    TSQueryCursor *qc = ts_query_cursor_new();
    if (!qc) return -1;
    ts_query_cursor_exec(qc, self->query, ts_tree_root_node(tree));
    TSQueryMatch m;
    uint32_t idx;
    char *buf = NULL;
    size_t buf_cap = 0;
    int rc = 0;
    while (ts_query_cursor_next_capture(qc, &m, &idx)) {
        if (self->patterns[m.pattern_index].n && !match_holds(self, &m, src, &buf, &buf_cap)) {
            ts_query_cursor_remove_match(qc, m.id);
            continue;
        }
        int32_t id = node_id(c, m.captures[idx].node);
        if (id < 0) continue;
        if (vec_push(&c->cap_id, (int32_t)m.captures[idx].index) || vec_push(&c->cap_node, id)) {
            rc = -1;
            break;
        }
    }
    free(buf);
    ts_query_cursor_delete(qc);
    return rc;
}

/* {capture id: sorted unique node ids} */
static PyObject *captures_dict(const Columns *c, IntCache *ids) {
    size_t n = c->cap_id.len;
    int64_t *pairs = malloc((n ? n : 1) * sizeof(int64_t));
    if (!pairs) return PyErr_NoMemory();
    for (size_t k = 0; k < n; k++) pairs[k] = ((int64_t)c->cap_id.data[k] << 32) | (uint32_t)c->cap_node.data[k];
    qsort(pairs, n, sizeof(int64_t), cmp_pair);
    PyObject *dict = PyDict_New();
    size_t k = 0;
    while (dict && k < n) {
        int32_t cap = (int32_t)(pairs[k] >> 32);
        size_t end = k, uniq = 0;
        while (end < n && (int32_t)(pairs[end] >> 32) == cap) {
            if (end == k || pairs[end] != pairs[end - 1]) uniq++;
            end++;
        }
        PyObject *list = PyList_New((Py_ssize_t)uniq);
        PyObject *key = PyLong_FromLong(cap);
        if (!list || !key) {
            Py_XDECREF(list);
            Py_XDECREF(key);
            Py_CLEAR(dict);
            break;
        }
        Py_ssize_t u = 0;
        for (size_t q = k; q < end; q++) {
            if (q != k && pairs[q] == pairs[q - 1]) continue;
            PyObject *x = cache_get(ids, (int32_t)(pairs[q] & 0xffffffff));
            if (!x) {
                Py_DECREF(list);
                Py_DECREF(key);
                Py_CLEAR(dict);
                free(pairs);
                return NULL;
            }
            PyList_SET_ITEM(list, u++, x);
        }
        if (PyDict_SetItem(dict, key, list) < 0) Py_CLEAR(dict);
        Py_DECREF(key);
        Py_DECREF(list);
        k = end;
    }
    free(pairs);
    return dict;
}

static PyObject *Engine_build(Engine *self, PyObject *args) {
    Py_buffer source, collect;
    int want_child = 0, want_next = 0;
    if (!PyArg_ParseTuple(args, "y*y*|pp", &source, &collect, &want_child, &want_next)) return NULL;
    if (source.len > UINT32_MAX / 2) {
        PyBuffer_Release(&source);
        PyBuffer_Release(&collect);
        return PyErr_Format(PyExc_ValueError, "source: expected at most %u bytes, found %zd", UINT32_MAX / 2, source.len);
    }
    PyObject *result = NULL;
    Columns c;
    memset(&c, 0, sizeof c);
    TSTree *tree = ts_parser_parse_string(self->parser, NULL, source.buf, (uint32_t)source.len);
    if (!tree) {
        PyErr_SetString(PyExc_RuntimeError, "source: expected tree-sitter to return a tree, found none");
        goto out;
    }
    if (walk(tree, collect.buf, collect.len, &c) < 0 || (self->query && run_query(self, tree, source.buf, &c) < 0)) {
        PyErr_NoMemory();
        goto out;
    }
    IntCache ids;
    if (cache_init(&ids, c.kinds.len) < 0) {
        PyErr_NoMemory();
        goto out;
    }
    PyObject *starts_list, *ends_list;
    if (offset_lists(&c.starts, &c.ends, &c.parent, &starts_list, &ends_list) < 0) {
        cache_free(&ids);
        goto out;
    }
    PyObject *child = Py_None, *next = Py_None;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (want_child) { /* (parent, child) for every node but the root */
        Py_SETREF(child, c.parent.len ? pair_list(c.parent.data + 1, NULL, 1, c.parent.len - 1, &ids) : PyList_New(0));
    }
    if (want_next) { /* (leaf, next leaf) */
        Py_SETREF(next, c.leaves.len ? pair_list(c.leaves.data, c.leaves.data + 1, 0, c.leaves.len - 1, &ids)
                                     : PyList_New(0));
    }
    result = Py_BuildValue("(NNNNNNNNNNNN)", lookup_list(self->names, &c.kinds), lookup_list(self->named, &c.kinds),
                           starts_list, ends_list, vec_to_list(c.parent.data, c.parent.len, &ids),
                           vec_to_list(c.leaves.data, c.leaves.len, &ids), vec_to_list(c.errors.data, c.errors.len, &ids),
                           vec_to_list(c.missing.data, c.missing.len, &ids),
                           vec_to_list(c.collected.data, c.collected.len, &ids), captures_dict(&c, &ids), child, next);
    cache_free(&ids);
out:
    columns_free(&c);
    if (tree) ts_tree_delete(tree);
    PyBuffer_Release(&source);
    PyBuffer_Release(&collect);
    return result;
}

static PyMethodDef Engine_methods[] = {
    {"build", (PyCFunction)Engine_build, METH_VARARGS,
     "build(source, collect, child=False, next_token=False) -> (types, named, starts, ends, parent, leaves, errors, "
     "missing, collected, captures, child edges or None, next_token edges or None)"},
    {"capture_names", (PyCFunction)Engine_capture_names, METH_NOARGS, "The query's capture names, by capture id."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "graphcode.graphs._native.Engine",
    .tp_doc = "Engine(language_capsule, names, named, query=None): parse, walk and run the data-flow query in C.",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Engine_init,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_methods = Engine_methods,
};

static PyMethodDef module_methods[] = {
    {"reach", native_reach, METH_VARARGS,
     "reach(events, preds, flow, entry, owner, catch, ev_node, ev_kind, ev_var, var_home, scope_parent, scope_depth) "
     "-> (last_write, last_read)"},
    {"events", native_events, METH_VARARGS,
     "events(n_nodes, references, flagged, starts, ends) -> (ev_node, ev_kind, ev_start, ev_end)"},
    {"resolve", native_resolve, METH_VARARGS,
     "resolve(source, ev_node, ev_kind, ev_start, ev_end, def_codes, decls, scope_start, scope_end, scope_parent, "
     "scope_by_scope, scope_hidden, scope_function) -> (ev_scope, ev_var, var_home, moved, hoisted)"},
    {"computed_from", native_computed_from, METH_VARARGS,
     "computed_from(ev_node, ev_kind, ev_start, ev_end, spans) -> [(target, value), ...]"},
    {"flow_cfg", native_flow_cfg, METH_VARARGS,
     "flow_cfg(ev_kind, ev_start, ev_end, ev_scope, hoisted, moved, regions, parts, jumps, relocate, scope_start, "
     "scope_end, scope_parent, scope_depth, size) -> (events, preds, flow, entry, owner, catch) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "graphcode's AST walk, data-flow query and may-reach analysis in C.", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    /* this module's own copy of the runtime: give it pymalloc, as py-tree-sitter does its copy */
    ts_set_allocator(PyMem_Malloc, PyMem_Calloc, PyMem_Realloc, PyMem_Free);
    if (PyType_Ready(&EngineType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&EngineType);
    if (PyModule_AddObject(m, "Engine", (PyObject *)&EngineType) < 0) {
        Py_DECREF(&EngineType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "TREE_SITTER_LANGUAGE_VERSION", TREE_SITTER_LANGUAGE_VERSION);
    PyModule_AddIntConstant(m, "ABI", GRAPHCODE_NATIVE_ABI);
    PyModule_AddStringConstant(m, "TREE_SITTER_VERSION", GRAPHCODE_TREE_SITTER_VERSION);
    PyModule_AddObject(m, "DEFINITION_CODES", Py_BuildValue("{sisisisisi}", "parent", PLACE_PARENT, "global", PLACE_GLOBAL,
                                                            "function", PLACE_FUNCTION, "hoist", HOIST, "value", HOIST_VALUE));
    PyModule_AddObject(m, "EVENT_FLAGS", Py_BuildValue("(iiiii)", F_DEF, F_REF, F_WRITE, F_READ, F_IGNORE));
    /* the category numbers flow_cfg reads, from C_BRANCH to C_CONTINUE, for dataflow.py to check */
    PyModule_AddObject(m, "FLOW_CATEGORIES", Py_BuildValue("(iiiiiiiiiiiii)", C_BRANCH, C_ARM, C_DEFAULT, C_LOOP, C_ONCE,
                                                           C_LAST, C_TRY, C_HANDLER, C_FINALLY, C_DEFERRED, C_RETURN,
                                                           C_BREAK, C_CONTINUE));
    return m;
}
