"""Rust data-flow conformance table (grammars/rust/*.scm).

The rules: a `let` binds after its initialiser is evaluated, so a shadowing `let x = x + 1` reads the old `x` (also
of an outer scope: the new name is visible from the end of the `let`; `for v in v` iterates over the outer `v`);
a `let` that shadows a name of the same scope reaches the same variable (a closure may see either); assigning
through a field, an index or a dereference writes no variable; `&mut x` reads `x` (writes through the borrow
are not seen on `x`); `e?` may return early; `loop` is left only by `break` or `return`.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ let and shadowing
    Case(
        name="straight_line_kill",
        code="""
            fn f() -> i32 {
                let mut x = 1;
                x = 2;
                x
            }
        """,
        last_write=[("x@4", "x@3")],
        not_last_write=[("x@4", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="shadowing_let_reads_the_old_value",
        code="""
            fn f(n: i32) -> i32 {
                let x = n;
                let x = x + 1;
                x
            }
        """,
        last_write=[("x@3#2", "x@2"), ("x@4", "x@3#1"), ("n@2", "n@1")],
        computed_from=[("x@3#1", "x@3#2"), ("x@2", "n@2")],
        exact_last_write=True,
    ),
    Case(
        name="shadowing_in_an_inner_block",
        code="""
            fn f() -> i32 {
                let x = 1;
                {
                    let x = 2;
                    use_it(x);
                }
                x
            }
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="shadowing_let_of_a_parameter_reads_the_parameter",
        code="""
            fn h(a: u32) -> u32 {
                let a = a + 1;
                a
            }
        """,
        last_write=[("a@2#2", "a@1"), ("a@3", "a@2#1")],
        not_last_write=[("a@2#2", "a@2#1"), ("a@3", "a@1")],
        computed_from=[("a@2#1", "a@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="shadowing_let_in_an_inner_block_reads_the_outer_one",
        code="""
            fn n() -> i32 {
                let d = 1;
                let mut y = 2;
                {
                    let d = d + 1;
                    let mut y = y + d;
                    let (p, q) = (y, p0);
                    use_it(d, y, p, q);
                }
                d + y
            }
        """,
        last_write=[("d@5#2", "d@2"), ("y@6#2", "y@3"), ("d@6", "d@5#1"), ("y@7", "y@6#1"),
                    ("d@8", "d@5#1"), ("y@8", "y@6#1"), ("p@8", "p@7"), ("q@8", "q@7"),
                    ("d@10", "d@2"), ("y@10", "y@3")],
        not_last_write=[("d@5#2", "d@5#1"), ("y@6#2", "y@6#1")],
        exact_last_write=True,
    ),
    Case(
        name="if_let_while_let_and_for_shadowing_read_the_outer_value",
        code="""
            fn f(x: Option<u32>, it: I, v: Vec<u32>, o: Option<u32>) -> u32 {
                if let Some(x) = x { use_it(x); }
                while let Some(it) = it.next() { use_it(it); }
                for v in v { use_it(v); }
                let r = match o { Some(x) => x, None => x };
                r
            }
        """,
        last_write=[("x@2#2", "x@1"), ("x@2#3", "x@2#1"), ("it@3#2", "it@1"), ("it@3#3", "it@3#1"),
                    ("v@4#2", "v@1"), ("v@4#3", "v@4#1"), ("x@5#2", "x@5#1"), ("x@5#3", "x@1")],
        not_last_write=[("x@2#2", "x@2#1"), ("it@3#2", "it@3#1"), ("v@4#2", "v@4#1"), ("x@5#2", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_and_mut_parameters",
        code="""
            fn f(a: i32, mut b: i32) -> i32 {
                b += a;
                b
            }
        """,
        last_write=[("a@2", "a@1"), ("b@2", "b@1"), ("b@3", "b@2")],
        computed_from=[("b@2", "a@2"), ("b@2", "b@2")],
        exact_last_write=True,
    ),
    Case(
        name="tuple_pattern_let",
        code="""
            fn f() -> i32 {
                let (a, mut b) = (1, 2);
                b = b + a;
                b
            }
        """,
        last_write=[("a@3", "a@2"), ("b@3#2", "b@2"), ("b@4", "b@3#1")],
        exact_last_write=True,
    ),
    Case(
        name="struct_pattern_let",
        code="""
            fn f(p: Point) -> i32 {
                let Point { x, y: vertical } = p;
                x + vertical
            }
        """,
        last_write=[("p@2", "p@1"), ("x@3", "x@2"), ("vertical@3", "vertical@2")],
        computed_from=[("x@2", "p@2"), ("vertical@2", "p@2")],
        exact_last_write=True,
    ),
    Case(
        name="declared_then_assigned",
        code="""
            fn f(c: bool) -> i32 {
                let x;
                if c { x = 1; } else { x = 2; }
                x
            }
        """,
        last_write=[("x@4", "x@3#1"), ("x@4", "x@3#2")],
        not_last_write=[("x@4", "x@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ fields, indexes, borrows
    Case(
        name="field_index_and_deref_writes_write_no_variable",
        code="""
            fn f(s: &mut S, a: &mut [i32], r: &mut i32, v: i32) {
                s.f = v;
                a[0] = v;
                *r = v;
            }
        """,
        last_write=[("s@2", "s@1"), ("v@2", "v@1"), ("a@3", "a@1"), ("v@3", "v@1"), ("r@4", "r@1"),
                    ("v@4", "v@1")],
        exact_last_write=True,
    ),
    Case(
        name="mutable_borrow_reads_the_variable",
        code="""
            fn f() -> i32 {
                let mut b = 1;
                let m = &mut b;
                *m += 1;
                b
            }
        """,
        last_write=[("b@3", "b@2"), ("m@4", "m@3"), ("b@5", "b@2")],
        computed_from=[("m@3", "b@3")],
        exact_last_write=True,
    ),
    Case(
        name="macro_arguments_are_read",
        code="""
            fn f(x: i32) {
                println!("{}", x);
            }
        """,
        last_write=[("x@2", "x@1")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            fn f(c: bool) -> i32 {
                let mut x = 0;
                if c {
                    x = 1;
                } else {
                    x = 2;
                }
                x
            }
        """,
        last_write=[("x@8", "x@4"), ("x@8", "x@6"), ("c@3", "c@1")],
        not_last_write=[("x@8", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            fn f(c: bool) -> i32 {
                let mut x = 0;
                if c { x = 1; }
                x
            }
        """,
        last_write=[("x@4", "x@2"), ("x@4", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="if_let_binds_in_its_arm",
        code="""
            fn f(o: Option<i32>) -> i32 {
                let mut r = 0;
                if let Some(v) = o {
                    r = v;
                }
                r
            }
        """,
        last_write=[("o@3", "o@1"), ("v@4", "v@3"), ("r@6", "r@2"), ("r@6", "r@4")],
        computed_from=[("v@3", "o@3"), ("r@4", "v@4")],
        exact_last_write=True,
    ),
    Case(
        name="match_arms_bind_and_are_exhaustive",
        code="""
            fn f(o: Option<i32>) -> i32 {
                let mut r = -1;
                match o {
                    Some(v) => r = v,
                    None => r = 0,
                }
                r
            }
        """,
        last_write=[("o@3", "o@1"), ("v@4#2", "v@4#1"), ("r@7", "r@4"), ("r@7", "r@5")],
        not_last_write=[("r@7", "r@2")],
        exact_last_write=True,
    ),
    Case(
        name="match_bare_lowercase_name_binds",
        code="""
            fn f(n: i32) -> i32 {
                match n {
                    0 => 1,
                    other => other * 2,
                }
            }
        """,
        last_write=[("n@2", "n@1"), ("other@4#2", "other@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit_right_side_may_not_run",
        code="""
            fn f(a: bool) -> bool {
                let mut b = false;
                let c = a && { b = true; b };
                c || b
            }
        """,
        last_write=[("b@3#2", "b@3#1"), ("b@4", "b@2"), ("b@4", "b@3#1"), ("c@4", "c@3")],
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop_carries_writes_around",
        code="""
            fn f(mut n: i32) -> i32 {
                let mut s = 0;
                while n > 0 {
                    s += n;
                    n -= 1;
                }
                s
            }
        """,
        last_write=[("n@3", "n@1"), ("n@3", "n@5"), ("s@4", "s@2"), ("s@4", "s@4"), ("s@7", "s@2"),
                    ("s@7", "s@4")],
    ),
    Case(
        name="for_variable_from_the_iterable",
        code="""
            fn f(xs: &[i32]) -> i32 {
                let mut s = 0;
                for x in xs {
                    s += x;
                }
                s
            }
        """,
        last_write=[("xs@3", "xs@1"), ("x@4", "x@3"), ("s@4", "s@2"), ("s@4", "s@4"), ("s@6", "s@2"),
                    ("s@6", "s@4")],
        computed_from=[("x@3", "xs@3")],
        exact_last_write=True,
    ),
    Case(
        name="while_let_binds_each_iteration",
        code="""
            fn f(v: &mut Vec<i32>) -> i32 {
                let mut s = 0;
                while let Some(z) = v.pop() {
                    s += z;
                }
                s
            }
        """,
        last_write=[("z@4", "z@3"), ("v@3", "v@1"), ("s@6", "s@2"), ("s@6", "s@4")],
        computed_from=[("z@3", "v@3")],
    ),
    Case(
        name="loop_is_left_only_by_break",
        code="""
            fn f() -> i32 {
                let mut x = 0;
                loop {
                    x = x + 1;
                    if x > 3 { break; }
                }
                x
            }
        """,
        last_write=[("x@7", "x@4#1")],
        not_last_write=[("x@7", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="loop_break_value",
        code="""
            fn f(n: i32) -> i32 {
                let mut i = 0;
                let r = loop {
                    i += 1;
                    if i == n { break i * 2; }
                };
                r
            }
        """,
        last_write=[("i@5#1", "i@4"), ("i@5#2", "i@4"), ("r@7", "r@3")],
        computed_from=[("r@3", "i@5#2"), ("r@3", "i@4")],
    ),
    Case(
        name="continue_goes_back",
        code="""
            fn f(n: i32) -> i32 {
                let mut s = 0;
                for i in 0..n {
                    if i == 2 { continue; }
                    s = i;
                }
                s
            }
        """,
        last_write=[("s@7", "s@2"), ("s@7", "s@5")],
        exact_last_write=True,
    ),
    Case(
        name="labelled_break_leaves_the_outer_loop",
        code="""
            fn f() -> i32 {
                let mut x = 0;
                'outer: loop {
                    loop {
                        x = 1;
                        break 'outer;
                    }
                }
                x
            }
        """,
        last_write=[("x@9", "x@5")],
        not_last_write=[("x@9", "x@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ early exits
    Case(
        name="question_mark_may_return_early",
        code="""
            fn f(s: &str) -> Result<i32, E> {
                let mut x = 0;
                let v = parse(s)?;
                x = v;
                Ok(x)
            }
        """,
        last_write=[("s@3", "s@1"), ("v@4", "v@3"), ("x@5", "x@4")],
        computed_from=[("v@3", "parse@3"), ("v@3", "s@3"), ("x@4", "v@4")],
        exact_last_write=True,
    ),
    Case(
        name="return_kills_later_reads",
        code="""
            fn f(c: bool) -> i32 {
                let mut x = 1;
                if c {
                    x = 2;
                    return x;
                }
                x
            }
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ closures and items
    Case(
        name="closure_parameters_and_captures",
        code="""
            fn f(n: i32) -> i32 {
                let add = |k: i32| k + n;
                add(2)
            }
        """,
        last_write=[("k@2#2", "k@2#1"), ("n@2", "n@1"), ("add@3", "add@2")],
        exact_last_write=True,
    ),
    Case(
        name="move_closure_reads_outer",
        code="""
            fn f() -> i32 {
                let data = vec![1, 2];
                let c = move || data.len();
                c() as i32
            }
        """,
        last_write=[("data@3", "data@2"), ("c@4", "c@3")],
        exact_last_write=True,
    ),
    Case(
        name="closure_writing_outer_variable",
        code="""
            fn f() -> i32 {
                let mut count = 0;
                let mut inc = || count += 1;
                inc();
                count
            }
        """,
        last_write=[("count@3", "count@2"), ("count@5", "count@2"), ("inc@4", "inc@3")],
    ),
    Case(
        name="closure_writes_are_seen_after_it_is_made",
        code="""
            fn f() -> i32 {
                let mut count = 0;
                use_it(count);
                let mut inc = || count += 1;
                inc();
                count
            }
        """,
        last_write=[("count@3", "count@2"), ("count@6", "count@2"), ("count@6", "count@4")],
        not_last_write=[("count@3", "count@4")],
        exact_last_write=True,
    ),
    Case(
        name="function_items_and_constants",
        code="""
            const LIMIT: i32 = 10;
            fn helper(v: i32) -> i32 { v }
            fn f() -> i32 {
                helper(LIMIT)
            }
        """,
        last_write=[("helper@4", "helper@2"), ("LIMIT@4", "LIMIT@1"), ("v@2#2", "v@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="path_segments_are_not_variables",
        code="""
            fn f(v: Vec<i32>) -> usize {
                let n = std::mem::size_of::<i32>();
                v.len() + n
            }
        """,
        last_write=[("v@3", "v@1"), ("n@3", "n@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ paths, macros and other names that are no variables
    Case(
        name="type_path_segments_are_not_variables",
        code="""
            fn f(fmt: u8, io: u8) -> fmt::Result {
                let x: fmt::Result = Ok(());
                let v: Vec<io::Error> = Vec::new();
                let b: Box<dyn io::Read> = make(fmt, io);
                let w = <io::Cursor as fmt::Debug>::fmt;
                x
            }
        """,
        last_write=[("fmt@4", "fmt@1#1"), ("io@4#2", "io@1"), ("x@6", "x@2")],
        not_last_write=[("fmt@1#2", "fmt@1#1"), ("fmt@2", "fmt@1#1"), ("io@3", "io@1"), ("io@4#1", "io@1"),
                        ("io@5", "io@1"), ("fmt@5#1", "fmt@1#1")],
    ),
    Case(
        name="use_paths_and_aliases_are_not_variables",
        code="""
            fn f(a: u8, b: u8, c: u8, d: u8) {
                use a;
                use b::{c, d as e};
                use c as g;
                use d::*;
            }
        """,
        not_last_write=[("a@2", "a@1"), ("b@3", "b@1"), ("c@3", "c@1"), ("d@3", "d@1"), ("c@4", "c@1"),
                        ("d@5", "d@1")],
    ),
    Case(
        name="attributes_lifetimes_and_signatures_are_not_variables",
        code="""
            fn test<'a>(a: &'a str) -> &'a str {
                #[test]
                fn inner() {}
                trait T { fn a(&self); }
                a
            }
        """,
        last_write=[("a@5", "a@1#2")],
        exact_last_write=True,
        not_last_write=[("test@2", "test@1"), ("a@1#3", "a@1#2"), ("a@4", "a@1#2")],
    ),
    Case(
        name="macro_path_segments_and_fields_are_not_variables",
        code="""
            fn f(span: u8, fmt: u8, len: u8, s: S, ty: T, name: N) {
                let u = quote!(X::span);
                let r = m!(fmt::Result, s.len, len);
                let q = quote!(#ty::#name(#span));
            }
        """,
        last_write=[("s@3", "s@1"), ("len@3#2", "len@1"), ("ty@4", "ty@1"), ("name@4", "name@1"),
                    ("span@4", "span@1")],
        not_last_write=[("span@2", "span@1"), ("fmt@3", "fmt@1"), ("len@3#1", "len@1")],
    ),
]
