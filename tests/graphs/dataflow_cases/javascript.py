"""JavaScript data-flow conformance table (grammars/javascript/*.scm)."""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ declarations, computed_from
    Case(
        name="let_and_assignment",
        code="""
            let x = 1;
            let y = x + 2;
            x = y * x;
            console.log(x);
        """,
        last_write=[("x@2", "x@1"), ("y@3", "y@2"), ("x@3#2", "x@1"), ("x@4", "x@3#1")],
        not_last_write=[("x@4", "x@1"), ("x@3#2", "x@3#1")],
        computed_from=[("y@2", "x@2"), ("x@3#1", "y@3"), ("x@3#1", "x@3#2")],
        last_read=[("x@3#2", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_are_definitions",
        code="""
            function f(a, b = a, ...rest) {
              return a + b + rest.length;
            }
            const g = (p, { q, r: s }) => p + q + s;
            const h = k => k;
        """,
        last_write=[("a@1#2", "a@1#1"), ("a@2", "a@1#1"), ("b@2", "b@1"), ("rest@2", "rest@1"),
                    ("p@4#2", "p@4#1"), ("q@4#2", "q@4#1"), ("s@4#2", "s@4#1"), ("k@5#2", "k@5#1")],
        computed_from=[("b@1", "a@1#2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            let x;
            if (c) {
              x = 1;
            } else {
              x = 2;
            }
            use(x);
        """,
        last_write=[("x@7", "x@3"), ("x@7", "x@5")],
        not_last_write=[("x@7", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            let x = 0;
            if (c) x = 1;
            use(x);
        """,
        last_write=[("x@3", "x@1"), ("x@3", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain",
        code="""
            let x = 0;
            if (v === 1) {
              x = 1;
            } else if (v === 2) {
              x = 2;
            } else {
              x = 3;
            }
            use(x);
        """,
        last_write=[("x@9", "x@3"), ("x@9", "x@5"), ("x@9", "x@7")],
        not_last_write=[("x@9", "x@1")],
        last_read=[("v@4", "v@2")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain_without_else",
        code="""
            let x = 0;
            if (a) x = 1;
            else if (b) x = 2;
            use(x);
        """,
        last_write=[("x@4", "x@1"), ("x@4", "x@2"), ("x@4", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="ternary",
        code="""
            let x = 0;
            const y = c ? (x = 1) : x;
            use(x, y);
        """,
        last_write=[("x@2#2", "x@1"), ("x@3", "x@1"), ("x@3", "x@2#1"), ("y@3", "y@2")],
        not_last_write=[("x@2#2", "x@2#1")],
        computed_from=[("y@2", "c@2"), ("y@2", "x@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit_operators",
        code="""
            let x = 0, y = 0, z = 0;
            a && (x = 1);
            b || (y = 1);
            c ?? (z = 1);
            use(x, y, z);
        """,
        last_write=[("x@5", "x@1"), ("x@5", "x@2"), ("y@5", "y@1"), ("y@5", "y@3"),
                    ("z@5", "z@1"), ("z@5", "z@4")],
        exact_last_write=True,
    ),
    Case(
        name="switch_with_break_and_default",
        code="""
            let x = 0;
            switch (v) {
              case 1:
                x = 1;
                break;
              case 2:
                x = 2;
                break;
              default:
                x = 3;
            }
            use(x);
        """,
        last_write=[("x@12", "x@4"), ("x@12", "x@7"), ("x@12", "x@10")],
        not_last_write=[("x@12", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="switch_without_default",
        code="""
            let x = 0;
            switch (v) {
              case 1: x = 1; break;
              case 2: x = 2; break;
            }
            use(x);
        """,
        last_write=[("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop_carried",
        code="""
            let x = 0;
            while (x < n) {
              const y = x;
              x = y + 1;
            }
            use(x);
        """,
        last_write=[("x@2", "x@1"), ("x@2", "x@4"), ("x@3", "x@1"), ("x@3", "x@4"), ("y@4", "y@3"),
                    ("x@6", "x@1"), ("x@6", "x@4")],
        computed_from=[("x@4", "y@4"), ("y@3", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="for_init_cond_update",
        code="""
            let s = 0;
            for (let i = 0; i < n; i++) {
              s += i;
            }
            use(s);
        """,
        last_write=[("i@2#2", "i@2#1"), ("i@2#2", "i@2#3"), ("i@2#3", "i@2#1"), ("i@2#3", "i@2#3"), ("i@3", "i@2#1"),
                    ("i@3", "i@2#3"), ("s@3", "s@1"), ("s@3", "s@3"), ("s@5", "s@1"), ("s@5", "s@3")],
        computed_from=[("s@3", "i@3"), ("s@3", "s@3"), ("i@2#3", "i@2#3")],
        exact_last_write=True,
    ),
    Case(
        name="for_of_with_destructuring",
        code="""
            let total = 0;
            for (const [k, v] of entries) {
              total = total + v;
              log(k);
            }
            use(total);
        """,
        last_write=[("total@3#2", "total@1"), ("total@3#2", "total@3#1"), ("v@3", "v@2"), ("k@4", "k@2"),
                    ("total@6", "total@1"), ("total@6", "total@3#1")],
        computed_from=[("k@2", "entries@2"), ("v@2", "entries@2")],
        exact_last_write=True,
    ),
    Case(
        name="for_in_writes_existing_variable",
        code="""
            let key = null;
            for (key in obj) {
              use(key);
            }
            use(key);
        """,
        last_write=[("key@3", "key@2"), ("key@5", "key@1"), ("key@5", "key@2")],
        exact_last_write=True,
    ),
    Case(
        name="do_while",
        code="""
            let x = 0;
            do {
              x = x + 1;
            } while (x < 10);
            use(x);
        """,
        last_write=[("x@3#2", "x@1"), ("x@3#2", "x@3#1"), ("x@4", "x@3#1"), ("x@5", "x@3#1")],
    ),
    Case(
        name="break_and_continue",
        code="""
            let x = 0;
            for (const v of xs) {
              if (v < 0) continue;
              if (v === 0) {
                x = 1;
                break;
              }
              x = v;
            }
            use(x);
        """,
        last_write=[("x@10", "x@1"), ("x@10", "x@5"), ("x@10", "x@8")],
        exact_last_write=True,
    ),
    Case(
        name="return_in_branch_does_not_reach_after",
        code="""
            function f(c) {
              let x = 1;
              if (c) {
                x = 2;
                return x;
              }
              return x;
            }
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="try_catch_finally",
        code="""
            let x = 0;
            try {
              if (ok()) x = 1;
              x = load();
            } catch (err) {
              log(err, x);
              x = -1;
            } finally {
              close(x);
            }
            use(x);
        """,
        last_write=[("err@6", "err@5"), ("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@4"),
                    ("x@9", "x@4"), ("x@9", "x@7"), ("x@11", "x@4"), ("x@11", "x@7")],
    ),
    Case(
        name="throw_ends_path",
        code="""
            function f(c) {
              let x = 1;
              if (c) {
                x = 2;
                throw new Error("no");
              }
              return x;
            }
        """,
        last_write=[("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes, hoisting, closures
    Case(
        name="block_let_shadows_outer",
        code="""
            let x = 1;
            {
              let x = 2;
              use(x);
            }
            use(x);
        """,
        last_write=[("x@4", "x@3"), ("x@6", "x@1")],
        not_last_write=[("x@4", "x@1"), ("x@6", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="let_visible_from_declaration_on",
        code="""
            let x = 1;
            {
              use(x);
              let y = 2;
              use(y);
            }
        """,
        last_write=[("x@3", "x@1"), ("y@5", "y@4")],
        exact_last_write=True,
    ),
    Case(
        name="var_hoists_to_function_scope",
        code="""
            function f(c) {
              if (c) {
                var v = 1;
              }
              return v;
            }
        """,
        last_write=[("v@5", "v@3")],
        exact_last_write=True,
    ),
    Case(
        name="var_read_in_own_initialiser",
        code="""
            var App = {};
            var App = App || {};
            use(App);
        """,
        last_write=[("App@2#2", "App@1"), ("App@3", "App@2#1")],
        not_last_write=[("App@2#2", "App@2#1")],
        computed_from=[("App@2#1", "App@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="closure_reads_any_outer_definition",
        code="""
            function counter() {
              let count = 0;
              function inc() {
                count += 1;
                return count;
              }
              count = 10;
              return inc;
            }
        """,
        last_write=[("count@4", "count@2"), ("count@4", "count@7"), ("count@4", "count@4"), ("count@5", "count@4"),
                    ("inc@8", "inc@3")],
        exact_last_write=True,
    ),
    Case(
        name="closure_writes_are_seen_after_it_is_made",
        code="""
            let x = 0;
            use(x);
            run(() => { x = 1; });
            use(x);
            x = 2;
            use(x);
        """,
        # a call after the arrow function is made may write x, also after `x = 2`; a read before it exists may not
        last_write=[("x@2", "x@1"), ("x@4", "x@1"), ("x@4", "x@3"), ("x@6", "x@5"), ("x@6", "x@3")],
        not_last_write=[("x@2", "x@3"), ("x@6", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="closure_writes_only_on_the_paths_it_is_made_on",
        code="""
            let x = 0;
            if (c) { run(() => { x = 1; }); } else { use(x); }
            use(x);
        """,
        last_write=[("x@2#2", "x@1"), ("x@3", "x@1"), ("x@3", "x@2#1")],
        not_last_write=[("x@2#2", "x@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="hoisted_function_writes_are_seen_from_the_start",
        code="""
            function f() {
              let n = 0;
              bump();
              use(n);
              const later = () => { n = 7; };
              function bump() { n += 1; }
            }
        """,
        # a function declaration exists from the start of its scope; the arrow function only from line 5
        last_write=[("n@4", "n@2"), ("n@4", "n@6")],
        not_last_write=[("n@4", "n@5")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_callback_reads_outer",
        code="""
            const base = 10;
            items.forEach(item => {
              const v = item + base;
              use(v);
            });
        """,
        last_write=[("item@3", "item@2"), ("base@3", "base@1"), ("v@4", "v@3")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_in_declaration",
        code="""
            const add = (a, b) => {
              const s = a + b;
              return s;
            };
            use(add);
        """,
        last_write=[("a@2", "a@1"), ("b@2", "b@1"), ("s@3", "s@2"), ("add@5", "add@1")],
        exact_last_write=True,
    ),
    Case(
        name="functions_assigned_to_existing_variables",
        code="""
            let doubled, handler;
            doubled = items.map(v => v * 2);
            var onClick = function (e) {
              var t = e.target;
              return t;
            };
            handler = onClick;
        """,
        last_write=[("v@2#2", "v@2#1"), ("e@4", "e@3"), ("t@5", "t@4"), ("onClick@7", "onClick@3")],
        computed_from=[("handler@7", "onClick@7")],
        exact_last_write=True,
    ),
    Case(
        name="parameter_shadows_module_variable",
        code="""
            let x = 1;
            function f(x) {
              return x;
            }
            use(x);
        """,
        last_write=[("x@3", "x@2"), ("x@5", "x@1")],
        not_last_write=[("x@3", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="module_variable_read_in_function_declared_later",
        code="""
            function get() {
              return config;
            }
            const config = load();
        """,
        last_write=[("config@2", "config@4")],
        exact_last_write=True,
    ),
    Case(
        name="named_function_expression_name_is_inner",
        code="""
            const fact = function inner(n) {
              return n <= 1 ? 1 : n * inner(n - 1);
            };
        """,
        last_write=[("inner@2", "inner@1")],
    ),
    # ------------------------------------------------------------ assignments
    Case(
        name="augmented_and_update",
        code="""
            let x = 1;
            x += y;
            x++;
            --x;
            use(x);
        """,
        last_write=[("x@2", "x@1"), ("x@3", "x@2"), ("x@4", "x@3"), ("x@5", "x@4")],
        last_read=[("x@3", "x@2"), ("x@4", "x@3"), ("x@5", "x@4")],
        computed_from=[("x@2", "y@2")],
        exact_last_write=True,
    ),
    Case(
        name="destructuring_declarations",
        code="""
            const { a, b: c, ...rest } = obj;
            const [m, , n = a, ...tail] = arr;
            use(a, c, rest, m, n, tail);
        """,
        last_write=[("a@2", "a@1"), ("a@3", "a@1"), ("c@3", "c@1"), ("rest@3", "rest@1"), ("m@3", "m@2"),
                    ("n@3", "n@2"), ("tail@3", "tail@2")],
        computed_from=[("a@1", "obj@1"), ("c@1", "obj@1"), ("rest@1", "obj@1"), ("m@2", "arr@2"),
                       ("n@2", "a@2")],
        not_last_write=[("b@1", "obj@1")],
        exact_last_write=True,
    ),
    Case(
        name="nested_destructuring",
        code="""
            const { data: { user }, items: [first] } = res;
            use(user, first);
        """,
        last_write=[("user@2", "user@1"), ("first@2", "first@1")],
        computed_from=[("user@1", "res@1"), ("first@1", "res@1")],
        exact_last_write=True,
    ),
    Case(
        name="destructuring_swap",
        code="""
            let a = 1, b = 2;
            [a, b] = [b, a];
            use(a, b);
        """,
        last_write=[("b@2#2", "b@1"), ("a@2#2", "a@1"), ("a@3", "a@2#1"), ("b@3", "b@2#1")],
        not_last_write=[("a@2#2", "a@2#1"), ("b@2#2", "b@2#1")],
        computed_from=[("a@2#1", "b@2#2"), ("b@2#1", "a@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="object_destructuring_assignment",
        code="""
            let a = 0;
            ({ a } = o);
            use(a);
        """,
        last_write=[("a@3", "a@2")],
        not_last_write=[("a@3", "a@1")],
        computed_from=[("a@2", "o@2")],
        exact_last_write=True,
    ),
    Case(
        name="destructuring_at_any_depth",
        code="""
            let { a: [b, { c: [d = 1] }] } = o;
            function f([x, { y: [z] }], ...[w]) {
              return x + z + w;
            }
            [b, [d]] = p;
            use(b, d);
        """,
        last_write=[("x@3", "x@2"), ("z@3", "z@2"), ("w@3", "w@2"), ("b@6", "b@5"), ("d@6", "d@5")],
        not_last_write=[("b@6", "b@1"), ("d@6", "d@1")],
        computed_from=[("d@5", "p@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ properties, this, modules
    Case(
        name="member_access_reads_object_only",
        code="""
            const obj = make();
            const name = 1;
            const v = obj.name;
            obj.name = v;
            this.name = v;
        """,
        last_write=[("obj@3", "obj@1"), ("obj@4", "obj@1"), ("v@4", "v@3"), ("v@5", "v@3")],
        not_last_write=[("name@3", "name@2"), ("name@4", "name@2")],
        computed_from=[("v@3", "obj@3")],
        last_read=[("obj@4", "obj@3"), ("v@5", "v@4")],
        exact_last_write=True,
    ),
    Case(
        name="object_literal_shorthand_reads",
        code="""
            const a = 1;
            const o = { a, b: a, [a]: 2 };
        """,
        last_write=[("a@2#1", "a@1"), ("a@2#2", "a@1"), ("a@2#3", "a@1")],
        computed_from=[("o@2", "a@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="class_methods_and_this",
        code="""
            class Counter {
              constructor(start) {
                this.count = start;
              }
              inc(step) {
                this.count += step;
                return this.count;
              }
            }
            const c = new Counter(1);
        """,
        last_write=[("start@3", "start@2"), ("step@6", "step@5"), ("Counter@10", "Counter@1")],
        exact_last_write=True,
    ),
    Case(
        name="imports_are_definitions",
        code="""
            import React, { useState as useS, useEffect } from "react";
            import * as path from "node:path";
            useS(React, useEffect, path.sep);
        """,
        last_write=[("useS@3", "useS@1"), ("React@3", "React@1"), ("useEffect@3", "useEffect@1"),
                    ("path@3", "path@2")],
        not_last_write=[("useState@1", "useS@1")],
        exact_last_write=True,
    ),
    Case(
        name="jsx_reads_components_and_expressions",
        code="""
            import Header from "./header";
            const App = ({ title }) => (
              <div className={title}>
                <Header text={title} />
              </div>
            );
        """,
        last_write=[("title@3", "title@2"), ("Header@4", "Header@1"), ("title@4", "title@2")],
        not_last_write=[("div@3", "div@5")],
        last_read=[("title@4", "title@3")],
        exact_last_write=True,
    ),
    Case(
        name="catch_parameter_destructuring",
        code="""
            try {
              run();
            } catch ({ message, code: c }) {
              log(message, c);
            }
        """,
        last_write=[("message@4", "message@3"), ("c@4", "c@3")],
        exact_last_write=True,
    ),
    Case(
        name="for_var_visible_after_loop",
        code="""
            function f(xs) {
              for (var i = 0; i < xs.length; i++) {}
              return i;
            }
        """,
        last_write=[("i@3", "i@2#1"), ("i@3", "i@2#3")],
        exact_last_write=True,
    ),
    Case(
        name="labels_are_not_variables",
        code="""
            const outer = 3;
            outer: for (let i = 0; i < outer; i++) {
              break outer;
            }
        """,
        last_write=[("outer@2#2", "outer@1")],
        not_last_write=[("outer@3", "outer@1"), ("outer@2#1", "outer@1")],
        exact_last_write=True,
    ),
    Case(
        name="hoisted_function_is_defined_before_use",
        code="""
            helper(2);
            function helper(n) { return n; }
        """,
        last_write=[("helper@1", "helper@2"), ("n@2#2", "n@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="finally_without_catch_sees_exceptions",
        code="""
            let x = 0;
            try {
              x = f();
              x = g(x);
            } finally {
              log(x);
            }
            log(x);
        """,
        last_write=[("x@4#2", "x@3"), ("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@4#1"), ("x@8", "x@4#1")],
        exact_last_write=True,
    ),
]
