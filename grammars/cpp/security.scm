; inherits: c
; C++: C's security rules (grammars/c/security.scm).
