; inherits: c
; Mining query for `graphcode mine`: C's functions and doc comments, plus methods defined in classes and
; out of class (`int A::f() {}`).

(function_definition
  declarator: (function_declarator declarator: (field_identifier) @mine.name)
  body: (compound_statement) @mine.body) @mine.function

(function_definition
  declarator: (function_declarator declarator: (qualified_identifier name: (identifier) @mine.name))
  body: (compound_statement) @mine.body) @mine.function
