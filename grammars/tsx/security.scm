; inherits: javascript
; TSX: JavaScript's security rules (grammars/javascript/security.scm).
