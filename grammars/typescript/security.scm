; inherits: javascript
; TypeScript: JavaScript's security rules (grammars/javascript/security.scm).
