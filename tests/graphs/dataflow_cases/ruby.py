"""Ruby data-flow conformance table (grammars/ruby/*.scm).

The rules: a name is a local once assigned, textually (before that, and where it is never assigned, a bare
name is a method call and gets no edge); an
assignment in a block writes the enclosing local of that name when there is one, else binds in the block;
a `def` sees none of the locals around it; `x ||= v` reads `x`, then writes it; a modifier (`x = 1 if c`)
is a branch whose arm is its body; a call of a block that writes an outer local is not followed.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    Case(
        name="straight_line_kill",
        code="""
            def f
              x = 1
              x = 2
              x
            end
        """,
        last_write=[("x@4", "x@3")],
        not_last_write=[("x@4", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="computed_from_the_value",
        code="""
            def f(a, b)
              c = a * b + a
              c
            end
        """,
        last_write=[("a@2#1", "a@1"), ("b@2", "b@1"), ("a@2#2", "a@1"), ("c@3", "c@2")],
        computed_from=[("c@2", "a@2#1"), ("c@2", "b@2"), ("c@2", "a@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="every_kind_of_parameter",
        code="""
            def f(a, b = 1, *rest, k:, **opts, &blk)
              [a, b, rest, k, opts, blk]
            end
        """,
        last_write=[("a@2", "a@1"), ("b@2", "b@1"), ("rest@2", "rest@1"), ("k@2", "k@1"), ("opts@2", "opts@1"),
                    ("blk@2", "blk@1")],
        exact_last_write=True,
    ),
    Case(
        name="a_bare_name_before_assignment_is_a_call",
        code="""
            def f
              y = x
              x = 2
              x
            end
        """,
        last_write=[("x@4", "x@3")],
        not_last_write=[("x@2", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="multiple_assignment_and_splat",
        code="""
            def f(list)
              first, *others = list
              [first, others]
            end
        """,
        last_write=[("list@2", "list@1"), ("first@3", "first@2"), ("others@3", "others@2")],
        computed_from=[("first@2", "list@2"), ("others@2", "list@2")],
        exact_last_write=True,
    ),
    Case(
        name="swap_by_multiple_assignment",
        code="""
            def f
              a = 1
              b = 2
              a, b = b, a
              a - b
            end
        """,
        last_write=[("b@4#2", "b@3"), ("a@4#2", "a@2"), ("a@5", "a@4#1"), ("b@5", "b@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="or_assign_reads_then_writes",
        code="""
            def f(v)
              x = nil
              x ||= v
              x
            end
        """,
        last_write=[("x@3", "x@2"), ("v@3", "v@1"), ("x@4", "x@3")],
        computed_from=[("x@3", "x@3"), ("x@3", "v@3")],
        exact_last_write=True,
    ),
    Case(
        name="compound_assignment",
        code="""
            def f(x)
              x += 1
              x
            end
        """,
        last_write=[("x@2", "x@1"), ("x@3", "x@2")],
        computed_from=[("x@2", "x@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes
    Case(
        name="def_sees_no_outer_locals",
        code="""
            top = 1
            def g
              top
            end
        """,
        last_write=[],
        not_last_write=[("top@3", "top@1")],
        exact_last_write=True,
    ),
    Case(
        name="block_sees_and_writes_outer_locals",
        code="""
            def f(xs)
              total = 0
              xs.each do |v|
                total += v
              end
              total
            end
        """,
        last_write=[("total@4", "total@2"), ("total@4", "total@4"), ("v@4", "v@3"), ("total@6", "total@2")],
    ),
    Case(
        name="block_local_stays_in_the_block",
        code="""
            def f(xs)
              xs.each { |v| inner = v }
              inner
            end
        """,
        last_write=[("v@2#2", "v@2#1")],
        not_last_write=[("inner@3", "inner@2")],
        exact_last_write=True,
    ),
    Case(
        name="block_parameter_shadows",
        code="""
            def f(xs)
              v = 0
              xs.map { |v| v * 2 }
              v
            end
        """,
        last_write=[("v@3#2", "v@3#1"), ("v@4", "v@2")],
        not_last_write=[("v@3#2", "v@2")],
        exact_last_write=True,
    ),
    Case(
        name="destructured_block_parameters",
        code="""
            def f(pairs)
              pairs.each { |(k, v)| use(k, v) }
            end
        """,
        last_write=[("pairs@2", "pairs@1"), ("k@2#2", "k@2#1"), ("v@2#2", "v@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_parameters_and_captures",
        code="""
            def f(n)
              add = ->(k) { k + n }
              add.call(2)
            end
        """,
        last_write=[("k@2#2", "k@2#1"), ("n@2", "n@1"), ("add@3", "add@2")],
        exact_last_write=True,
    ),
    Case(
        name="class_body_locals_are_not_seen_by_methods",
        code="""
            class A
              limit = 10
              def f
                limit
              end
            end
        """,
        last_write=[],
        not_last_write=[("limit@4", "limit@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_elsif_else",
        code="""
            def f(v)
              if v > 1
                x = 1
              elsif v < 0
                x = 2
              else
                x = 3
              end
              x
            end
        """,
        last_write=[("x@9", "x@3"), ("x@9", "x@5"), ("x@9", "x@7")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            def f(c)
              x = 0
              if c
                x = 1
              end
              x
            end
        """,
        last_write=[("x@6", "x@2"), ("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="unless_and_modifiers",
        code="""
            def f(c)
              x = 0
              x = 1 if c
              x = 2 unless c
              x
            end
        """,
        last_write=[("x@5", "x@2"), ("x@5", "x@3"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="ternary",
        code="""
            def f(c, a, b)
              x = c ? a : b
              x
            end
        """,
        last_write=[("c@2", "c@1"), ("a@2", "a@1"), ("b@2", "b@1"), ("x@3", "x@2")],
        computed_from=[("x@2", "c@2"), ("x@2", "a@2"), ("x@2", "b@2")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit_right_side_may_not_run",
        code="""
            def f(a)
              b = 0
              ok = a && (b = 1)
              b
            end
        """,
        last_write=[("b@4", "b@2"), ("b@4", "b@3")],
        exact_last_write=True,
    ),
    Case(
        name="case_when_else",
        code="""
            def f(k)
              case k
              when 1 then y = 1
              when 2 then y = 2
              else y = 3
              end
              y
            end
        """,
        last_write=[("k@2", "k@1"), ("y@7", "y@3"), ("y@7", "y@4"), ("y@7", "y@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop",
        code="""
            def f(n)
              s = 0
              while n > 0
                s += n
                n -= 1
              end
              s
            end
        """,
        last_write=[("n@3", "n@1"), ("n@3", "n@5"), ("s@4", "s@2"), ("s@4", "s@4"), ("s@7", "s@2"), ("s@7", "s@4")],
    ),
    Case(
        name="until_loop",
        code="""
            def f
              x = 0
              until x > 3
                x += 1
              end
              x
            end
        """,
        last_write=[("x@3", "x@2"), ("x@3", "x@4"), ("x@6", "x@2"), ("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="while_modifier",
        code="""
            def f
              x = 0
              x += 1 while x < 10
              x
            end
        """,
        last_write=[("x@4", "x@2"), ("x@4", "x@3#1")],
        exact_last_write=True,
    ),
    Case(
        name="for_variable_from_the_range",
        code="""
            def f(n)
              s = 0
              for i in 0..n
                s += i
              end
              [s, i]
            end
        """,
        last_write=[("n@3", "n@1"), ("i@4", "i@3"), ("s@6", "s@2"), ("s@6", "s@4"), ("i@6", "i@3")],
        computed_from=[("i@3", "n@3")],
    ),
    Case(
        name="break_and_next",
        code="""
            def f(n)
              x = 0
              while n > 0
                if n == 3
                  x = 3
                  break
                end
                if n == 4
                  x = 4
                  next
                end
                x = 5
              end
              x
            end
        """,
        last_write=[("x@14", "x@2"), ("x@14", "x@5"), ("x@14", "x@9"), ("x@14", "x@12")],
        exact_last_write=True,
    ),
    Case(
        name="return_kills_later_reads",
        code="""
            def f(c)
              x = 1
              if c
                x = 2
                return x
              end
              x
            end
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ exceptions
    Case(
        name="begin_rescue_ensure",
        code="""
            def f
              x = 0
              begin
                x = 1
                risky
              rescue ArgumentError => e
                x = e
              ensure
                done(x)
              end
              x
            end
        """,
        last_write=[("e@7", "e@6"), ("x@9", "x@2"), ("x@9", "x@4"), ("x@9", "x@7"), ("x@11", "x@4"),
                    ("x@11", "x@7")],
        exact_last_write=True,
    ),
    Case(
        name="method_body_rescue",
        code="""
            def f
              x = 1
              risky(x)
            rescue StandardError
              x = 2
            end
        """,
        last_write=[("x@3", "x@2")],
    ),
    Case(
        name="method_names_are_not_variables",
        code="""
            def helper(v)
              v
            end
            def f(v)
              helper(v)
            end
        """,
        last_write=[("v@2", "v@1"), ("v@5", "v@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ a name never assigned is a method call
    Case(
        name="a_name_never_assigned_is_a_call_and_no_read",
        code="""
            def f
              a = foo.x
              foo.y
              a
            end
        """,
        last_write=[("a@4", "a@2")],
        not_last_read=[("foo@3", "foo@2")],
        not_computed_from=[("a@2", "foo@2")],
        exact_last_write=True,
    ),
    Case(
        name="a_call_before_the_assignment_is_no_earlier_read",
        code="""
            def f
              foo
              b = foo
              foo = 1
              foo
            end
        """,
        last_write=[("foo@5", "foo@4")],
        not_last_read=[("foo@5", "foo@2"), ("foo@5", "foo@3"), ("foo@3", "foo@2")],
        not_computed_from=[("b@3", "foo@3")],
        exact_last_write=True,
    ),
    Case(
        name="a_call_in_a_loop_before_the_assignment_reads_no_variable",
        code="""
            def f(n)
              i = 0
              while i < n
                puts v if i > 0
                v = i
                i += 1
              end
            end
        """,
        last_write=[("i@5", "i@2"), ("i@5", "i@6")],
        not_last_write=[("v@4", "v@5")],
    ),
    Case(
        name="a_block_calls_a_name_its_method_assigns_only_later",
        code="""
            def f(xs)
              xs.each { |i| x }
              x = 1
              x
            end
        """,
        last_write=[("x@4", "x@3")],
        not_last_write=[("x@2", "x@3")],
        exact_last_write=True,
    ),
]
