; C security rules for graphcode's analysis (graphcode/analysis/security.py; grammars/README.md). A rule with
; a @security.sink takes its confidence from the data flow; the others state theirs.

; ---------------------------------------------------------------- unbounded copies
((call_expression function: (identifier) @_f) @security
  (#eq? @_f "gets")
  (#set! rule "c-gets") (#set! cwe "CWE-242") (#set! severity "high") (#set! confidence "high")
  (#set! message "gets cannot bound what it reads: use fgets"))
((call_expression function: (identifier) @_f arguments: (argument_list . (identifier) @_dst . (_) @security.sink))
  @security
  (#any-of? @_f "strcpy" "strcat" "sprintf" "vsprintf" "wcscpy" "wcscat")
  (#set! rule "c-unbounded-copy") (#set! cwe "CWE-120") (#set! severity "high")
  (#set! message "an unbounded copy into a fixed buffer can overflow it: use snprintf, strlcpy or memcpy with a size"))

; ---------------------------------------------------------------- OS command injection
((call_expression function: (identifier) @_f arguments: (argument_list . (_) @security.sink)) @security
  (#any-of? @_f "system" "popen")
  (#set! rule "c-system") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "a shell runs a command line built by the program"))

; ---------------------------------------------------------------- weak hashes
((call_expression function: (identifier) @_f) @security
  (#any-of? @_f "MD5" "MD5_Init" "MD4" "SHA1" "SHA1_Init" "EVP_md5" "EVP_sha1")
  (#set! rule "c-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses"))

; ---------------------------------------------------------------- hard-coded credentials
((init_declarator declarator: [(pointer_declarator declarator: (identifier) @_name)
                               (array_declarator declarator: (identifier) @_name)]
   value: (string_literal) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-eq? @_value "\"\"")
  (#set! rule "c-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))

; ---------------------------------------------------------------- disabled TLS verification
((call_expression function: (identifier) @_f arguments: (argument_list . (_) . (identifier) @_mode)) @security
  (#eq? @_f "SSL_CTX_set_verify") (#eq? @_mode "SSL_VERIFY_NONE")
  (#set! rule "c-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "SSL_VERIFY_NONE turns off certificate checks"))

; ---------------------------------------------------------------- insecure temporary files
((call_expression function: (identifier) @_f) @security
  (#any-of? @_f "tmpnam" "tempnam" "mktemp")
  (#set! rule "c-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "high")
  (#set! message "a temporary file name that another process can take first: use mkstemp"))
