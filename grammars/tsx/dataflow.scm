; inherits: typescript
; TSX control flow and assignments are TypeScript's (grammars/typescript/dataflow.scm).
