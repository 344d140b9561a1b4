; inherits: typescript
; TSX scopes, definitions and references: TypeScript's (grammars/typescript/locals.scm), plus JSX.
; Lowercase JSX tag names (intrinsic elements such as <div>) are not local variables.
((jsx_opening_element name: (identifier) @local.ignore)
  (#match? @local.ignore "^[a-z]"))
((jsx_closing_element name: (identifier) @local.ignore)
  (#match? @local.ignore "^[a-z]"))
((jsx_self_closing_element name: (identifier) @local.ignore)
  (#match? @local.ignore "^[a-z]"))

