/* graphcode.graphs._native: the AST walk and the data-flow query, in C.
 *
 * The pure-Python path (graphcode/graphs/build.py and dataflow.py) reads every tree-sitter node
 * through py-tree-sitter: about five Python-level calls per node. This module does the same work
 * against tree-sitter's C API and hands back plain lists, so the per-node cost leaves Python:
 *
 *   engine = Engine(language_capsule, names, named, query_text | None)
 *   engine.build(source: bytes, collect: bytes)
 *       -> (types, named, starts, ends, parent, leaves, errors, missing, collected, captures, parent_i32, leaves_i32)
 *
 * - types/named/starts/ends/parent: (N,) node columns in pre-order (node ids are positions), as
 *   the Python walk produces them (types and named looked up by kind id in the tuples given);
 *   leaves, errors (ERROR nodes), missing (MISSING nodes) and collected (nodes whose kind id k has
 *   collect[k] != 0) are id lists in document order.
 * - captures: {capture id: [node id, ...]} for the query, each list sorted and without repeats,
 *   after the text predicates #eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of? (and
 *   their #any- forms) hold. Directives (#set! ...) are left to the caller.
 * - parent_i32, leaves_i32: the parent and leaves columns again as native int32 bytes, which the caller turns
 *   into the child and next_token edge columns with array copies (graphcode.graphs.codegraph.EdgeList).
 *
 * The data-flow passes that read these are graphcode/graphs/passes.py, one implementation (compiled by
 * mypyc where it can be); nothing here holds pass logic.
 *
 * It is built against the tree-sitter runtime of the pinned py-tree-sitter release (see
 * graphcode/graphs/native.py) and, like py-tree-sitter, gives that runtime Python's allocator
 * (pymalloc is faster for the parser's many small blocks) and parses holding the GIL. An Engine
 * keeps one parser; calls on it are serialised by the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
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

/* Every list build() returns holds only ints, strings or bools, so none can be part of a
 * reference cycle: each is untracked by the cyclic collector as it is made, as CPython untracks tuples and dicts of
 * such values itself. A graph's columns are tens of thousands of items; tracked, the first collection after a
 * build would visit every item of every column (2-3% of a build), and each older collection again while the graph
 * lives. Reference counting frees them as usual. */

/* Python ints for 0..INT_CACHE_MAX-1, each made once per process, as CPython keeps -5..256: node ids and byte
 * offsets recur within a graph (a parent's id in each child's row, a first child starting where its parent does) and
 * across graphs, and sharing them saves allocating and freeing several ints a node. Made on first use and kept;
 * the cache's size follows the largest id or offset seen below the bound (8 MiB of ints at most). */
#define INT_CACHE_MAX (1 << 18)
static PyObject **int_cache;
static size_t int_cache_len;

/* a new reference to the int x */
static PyObject *cache_get(int32_t x) {
    if (x < 0 || x >= INT_CACHE_MAX) return PyLong_FromLong(x);
    if ((size_t)x >= int_cache_len) {
        size_t len = int_cache_len ? int_cache_len : 4096;
        while (len <= (size_t)x) len *= 2;
        if (len > INT_CACHE_MAX) len = INT_CACHE_MAX;
        PyObject **grown = realloc(int_cache, len * sizeof *grown);
        if (!grown) return PyErr_NoMemory();
        memset(grown + int_cache_len, 0, (len - int_cache_len) * sizeof *grown);
        int_cache = grown, int_cache_len = len;
    }
    PyObject *o = int_cache[x];
    if (!o) {
        o = int_cache[x] = PyLong_FromLong(x);
        if (!o) return NULL;
    }
    Py_INCREF(o);
    return o;
}

static PyObject *vec_to_list(const int32_t *data, size_t len) {
    PyObject *list = PyList_New((Py_ssize_t)len);
    if (!list) return NULL;
    for (size_t i = 0; i < len; i++) {
        PyObject *x = cache_get(data[i]);
        if (!x) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    PyObject_GC_UnTrack(list);
    return list;
}

/* The starts and ends columns as lists of ints that share objects: from the cache below INT_CACHE_MAX, and past it
 * where offsets repeat (a first child starts where its parent does, a last child ends where its parent does,
 * adjacent tokens meet; only neighbours in pre-order and parents are compared). */
static int offset_lists(const IntVec *starts, const IntVec *ends, const IntVec *parent, PyObject **s_out,
                        PyObject **e_out) {
    Py_ssize_t n = (Py_ssize_t)starts->len;
    PyObject *sl = PyList_New(n), *el = PyList_New(n);
    if (!sl || !el) goto fail;
    const int32_t *s = starts->data, *e = ends->data, *par = parent->data;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a;
        if (s[i] < INT_CACHE_MAX) a = cache_get(s[i]);
        else if (i > 0 && s[i] == s[i - 1]) a = Py_NewRef(PyList_GET_ITEM(sl, i - 1));
        else if (i > 0 && s[i] == e[i - 1]) a = Py_NewRef(PyList_GET_ITEM(el, i - 1));
        else a = PyLong_FromLong(s[i]);
        if (!a) goto fail;
        PyList_SET_ITEM(sl, i, a);
        PyObject *b;
        if (e[i] < INT_CACHE_MAX) b = cache_get(e[i]);
        else if (par[i] >= 0 && e[i] == e[par[i]]) b = Py_NewRef(PyList_GET_ITEM(el, par[i]));
        else if (e[i] == s[i]) b = Py_NewRef(a);
        else b = PyLong_FromLong(e[i]);
        if (!b) goto fail;
        PyList_SET_ITEM(el, i, b);
    }
    PyObject_GC_UnTrack(sl);
    PyObject_GC_UnTrack(el);
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
    PyObject_GC_UnTrack(list);
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
    PyObject *re;      /* #match?: re.compile(pattern), as py-tree-sitter compiles it */
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
            Py_XDECREF(pp->preds[k].re);
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
            /* Python's re, exactly as py-tree-sitter: re.compile(str), then .search(node text as str) */
            PyObject *re_module = PyImport_ImportModule("re");
            if (!re_module) return -1;
            pr.re = PyObject_CallMethod(re_module, "compile", "s#", pattern_text, (Py_ssize_t)len);
            Py_DECREF(re_module);
            if (!pr.re) {
                PyObject *type, *value, *trace;
                PyErr_Fetch(&type, &value, &trace);
                PyErr_Format(PyExc_ValueError, "pattern %u: expected a Python regular expression in #match?, found %R",
                             pattern, value ? value : Py_None);
                Py_XDECREF(type);
                Py_XDECREF(value);
                Py_XDECREF(trace);
                return -1;
            }
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
            Py_XDECREF(pr.re);
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

/* re.search on a node's text, as py-tree-sitter calls it: the text as a C string ("s": up to a NUL, decoded as
 * UTF-8); a text that does not decode finds nothing. */
static bool regex_finds(PyObject *re, const char *src, TSNode node, char **buf, size_t *buf_cap) {
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
    PyObject *found = PyObject_CallMethod(re, "search", "s", *buf);
    if (!found) {
        PyErr_Clear();
        return false;
    }
    bool hit = found != Py_None;
    Py_DECREF(found);
    return hit;
}

/* Does the match satisfy the predicate? py-tree-sitter's rules (tree_sitter/binding/query_predicates.c), kept
 * exactly, quirks included:
 * - #eq?/#match? with a string test each node of the capture in turn; the plain form stops at the first node that
 *   fails and the #any- form at the first that holds, and the answer is that last node's; no node: true.
 * - #eq? @a @b compares the i-th node of @a with the i-th of @b, for as many as both have.
 * - #any-of? (and #not-any-of?) holds when every node has a value it compares true with, where #not-any-of?
 *   compares with "not equal": a node equal to one value but not to another satisfies it. */
static bool predicate_holds(const Predicate *pr, const TSQueryMatch *m, const char *src, char **buf,
                            size_t *buf_cap) {
    if (pr->op == P_ANY_OF) {
        for (uint16_t c = 0; c < m->capture_count; c++) {
            if (m->captures[c].index != pr->capture) continue;
            bool found = false;
            for (uint32_t v = 0; v < pr->n_values && !found; v++)
                found = text_equals(src, m->captures[c].node, pr->values[v], pr->value_lens[v]) == pr->positive;
            if (!found) return false;
        }
        return true;
    }
    bool result = true;
    if (pr->op == P_EQ && pr->other_is_capture) {
        uint16_t j = 0;
        for (uint16_t c = 0; c < m->capture_count; c++) {
            if (m->captures[c].index != pr->capture) continue;
            while (j < m->capture_count && m->captures[j].index != pr->other) j++;
            if (j == m->capture_count) break;
            TSNode o = m->captures[j++].node;
            uint32_t a = ts_node_start_byte(o), b = ts_node_end_byte(o);
            result = text_equals(src, m->captures[c].node, src + a, b - a) == pr->positive;
            if (result == pr->any) break;
        }
        return result;
    }
    for (uint16_t c = 0; c < m->capture_count; c++) {
        if (m->captures[c].index != pr->capture) continue;
        TSNode node = m->captures[c].node;
        bool holds = pr->op == P_EQ ? text_equals(src, node, pr->str, pr->str_len)
                                    : regex_finds(pr->re, src, node, buf, buf_cap);
        result = holds == pr->positive;
        if (result == pr->any) break;
    }
    return result;
}

static bool match_holds(const Engine *self, const TSQueryMatch *m, const char *src, char **buf, size_t *buf_cap) {
    const PatternPredicates *pp = &self->patterns[m->pattern_index];
    for (uint32_t k = 0; k < pp->n; k++)
        if (!predicate_holds(&pp->preds[k], m, src, buf, buf_cap)) return false;
    return true;
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
    const void **node_ptr; /* by node id: tree-sitter's TSNode.id, unique per node of a tree */
    size_t node_ptr_cap;
    const void **slot_key; /* open addressing, linear probing: TSNode.id -> node id (NULL: empty) */
    int32_t *slot_id;
    size_t slot_mask;
} Columns;

static void columns_free(Columns *c) {
    IntVec *all[] = {&c->kinds, &c->starts, &c->ends, &c->parent, &c->leaves, &c->errors,
                     &c->missing, &c->collected, &c->cap_id, &c->cap_node};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]->data);
    free(c->node_ptr);
    free(c->slot_key);
    free(c->slot_id);
}

static size_t ptr_slot(const void *p, size_t mask) {
    return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
}

/* The table from TSNode.id to node id, for the query's captures: a lookup instead of a binary search by span. */
static int index_nodes(Columns *c) {
    size_t n = c->kinds.len, size = 16;
    while (size < 2 * n) size *= 2;
    c->slot_key = calloc(size, sizeof *c->slot_key);
    c->slot_id = malloc(size * sizeof *c->slot_id);
    if (!c->slot_key || !c->slot_id) return -1;
    c->slot_mask = size - 1;
    for (size_t i = 0; i < n; i++) {
        size_t k = ptr_slot(c->node_ptr[i], c->slot_mask);
        while (c->slot_key[k]) k = (k + 1) & c->slot_mask;
        c->slot_key[k] = c->node_ptr[i];
        c->slot_id[k] = (int32_t)i;
    }
    return 0;
}

/* Pre-order walk with a cursor; node ids are positions in this order. No recursion. With ``index``, each node's
 * TSNode.id is kept too (node_ptr), for index_nodes: only a query needs it. */
static int walk(TSTree *tree, const unsigned char *collect, Py_ssize_t n_collect, bool index, Columns *c) {
    TSNode root = ts_tree_root_node(tree);
    bool check_missing = ts_node_has_error(root);
    TSTreeCursor cursor = ts_tree_cursor_new(root);
    IntVec stack = {0};
    int32_t par = -1, i = 0;
    int rc = 0;
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cursor);
        TSSymbol kind = ts_node_symbol(node);
        if (index) {
            if (c->kinds.len == c->node_ptr_cap) {
                size_t cap = c->node_ptr_cap ? c->node_ptr_cap * 2 : 256;
                const void **grown = realloc(c->node_ptr, cap * sizeof *grown);
                if (!grown) goto oom;
                c->node_ptr = grown, c->node_ptr_cap = cap;
            }
            c->node_ptr[c->kinds.len] = node.id;
        }
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

/* The id of a node the query captured: the walk's node with its TSNode.id (index_nodes), -1 for none. */
static int32_t node_id(const Columns *c, TSNode node) {
    for (size_t k = ptr_slot(node.id, c->slot_mask); c->slot_key[k]; k = (k + 1) & c->slot_mask)
        if (c->slot_key[k] == node.id) return c->slot_id[k];
    return -1;
}

static int run_query(const Engine *self, TSTree *tree, const char *src, Columns *c) {
    TSQueryCursor *qc = ts_query_cursor_new();
    if (!qc) return -1;
    ts_query_cursor_exec(qc, self->query, ts_tree_root_node(tree));
    TSQueryMatch m;
    char *buf = NULL;
    size_t buf_cap = 0;
    int rc = 0;
    /* Whole matches, not captures in document order: the pairs are sorted afterwards anyway, and ordering captures
       makes tree-sitter hold every in-progress match (five to seven times the query's time with many patterns). */
    while (rc == 0 && ts_query_cursor_next_match(qc, &m)) {
        if (self->patterns[m.pattern_index].n && !match_holds(self, &m, src, &buf, &buf_cap)) continue;
        for (uint32_t idx = 0; idx < m.capture_count; idx++) {
            int32_t id = node_id(c, m.captures[idx].node);
            if (id < 0) continue;
            if (vec_push(&c->cap_id, (int32_t)m.captures[idx].index) || vec_push(&c->cap_node, id)) {
                rc = -1;
                break;
            }
        }
    }
    free(buf);
    ts_query_cursor_delete(qc);
    return rc;
}

static int bit_length(uint64_t x) {
    int bits = 0;
    while (x) bits++, x >>= 1;
    return bits;
}

/* Sort keys that use their low `bits` bits: least-significant digit first, 11 bits a pass (counting, stable). A
 * file's captures are tens of thousands of pairs, and a comparison sort's call per comparison cost a fifth as much as
 * running the query. */
static int radix_sort(uint64_t *keys, size_t n, int bits) {
    if (n < 2) return 0;
    uint64_t *tmp = malloc(n * sizeof(uint64_t));
    if (!tmp) return -1;
    size_t count[2048];
    uint64_t *src = keys, *dst = tmp;
    for (int shift = 0; shift < bits; shift += 11) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t here = count[d];
            count[d] = sum;
            sum += here;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *was = src;
        src = dst, dst = was;
    }
    if (src != keys) memcpy(keys, src, n * sizeof(uint64_t));
    free(tmp);
    return 0;
}

/* {capture id: sorted unique node ids} */
static PyObject *captures_dict(const Columns *c) {
    size_t n = c->cap_id.len;
    /* a pair is (capture id << node_bits) | node id: capture ids and node ids are small and non-negative */
    int node_bits = bit_length(c->kinds.len), cap_bits = 0;
    for (size_t k = 0; k < n; k++) {
        int b = bit_length((uint32_t)c->cap_id.data[k]);
        if (b > cap_bits) cap_bits = b;
    }
    const uint64_t node_mask = ((uint64_t)1 << node_bits) - 1;
    uint64_t *pairs = malloc((n ? n : 1) * sizeof(uint64_t));
    if (!pairs) return PyErr_NoMemory();
    for (size_t k = 0; k < n; k++)
        pairs[k] = ((uint64_t)(uint32_t)c->cap_id.data[k] << node_bits) | (uint32_t)c->cap_node.data[k];
    if (radix_sort(pairs, n, node_bits + cap_bits) < 0) {
        free(pairs);
        return PyErr_NoMemory();
    }
    PyObject *dict = PyDict_New();
    size_t k = 0;
    while (dict && k < n) {
        int32_t cap = (int32_t)(pairs[k] >> node_bits);
        size_t end = k, uniq = 0;
        while (end < n && (int32_t)(pairs[end] >> node_bits) == cap) {
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
            PyObject *x = cache_get((int32_t)(pairs[q] & node_mask));
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
    if (!PyArg_ParseTuple(args, "y*y*", &source, &collect)) return NULL;
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
    if (walk(tree, collect.buf, collect.len, self->query != NULL, &c) < 0
        || (self->query && (index_nodes(&c) < 0 || run_query(self, tree, source.buf, &c) < 0))) {
        PyErr_NoMemory();
        goto out;
    }
    PyObject *starts_list, *ends_list;
    if (offset_lists(&c.starts, &c.ends, &c.parent, &starts_list, &ends_list) < 0) goto out;
    /* the parent and leaves columns again as int32 bytes, from which the AST edges are two array copies */
    result = Py_BuildValue("(NNNNNNNNNNy#y#)", lookup_list(self->names, &c.kinds), lookup_list(self->named, &c.kinds),
                           starts_list, ends_list, vec_to_list(c.parent.data, c.parent.len),
                           vec_to_list(c.leaves.data, c.leaves.len), vec_to_list(c.errors.data, c.errors.len),
                           vec_to_list(c.missing.data, c.missing.len),
                           vec_to_list(c.collected.data, c.collected.len), captures_dict(&c),
                           (const char *)c.parent.data, (Py_ssize_t)(c.parent.len * sizeof(int32_t)),
                           (const char *)c.leaves.data, (Py_ssize_t)(c.leaves.len * sizeof(int32_t)));
out:
    columns_free(&c);
    if (tree) ts_tree_delete(tree);
    PyBuffer_Release(&source);
    PyBuffer_Release(&collect);
    return result;
}

static PyMethodDef Engine_methods[] = {
    {"build", (PyCFunction)Engine_build, METH_VARARGS,
     "build(source, collect) -> (types, named, starts, ends, parent, leaves, errors, missing, collected, captures, "
     "parent and leaves as int32 bytes)"},
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
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "graphcode's AST walk and data-flow query in C.", -1,
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
    return m;
}
