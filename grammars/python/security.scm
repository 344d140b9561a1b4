; Python security rules for graphcode's analysis (graphcode/analysis/security.py; grammars/README.md).
; Each pattern is a rule: #set! rule, cwe, severity (high, medium, low) and message. @security is where the
; finding is reported; @security.sink the value whose data flow sets the confidence.

; ---------------------------------------------------------------- code execution
((call function: (identifier) @_f arguments: (argument_list . (_) @security.sink)) @security
  (#any-of? @_f "eval" "exec")
  (#set! rule "py-code-exec") (#set! cwe "CWE-95") (#set! severity "high")
  (#set! message "eval or exec runs a string as code"))

; ---------------------------------------------------------------- OS command injection
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (_) @security.sink)) @security
  (#eq? @_m "os")
  (#any-of? @_f "system" "popen" "popen2" "popen3" "popen4" "execl" "execle" "execlp" "spawnl" "spawnlp")
  (#set! rule "py-os-command") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "a shell runs a command line built by the program"))
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (_) @security.sink
     (keyword_argument name: (identifier) @_k value: (true)))) @security
  (#eq? @_m "subprocess")
  (#any-of? @_f "run" "call" "Popen" "check_call" "check_output" "getoutput" "getstatusoutput")
  (#eq? @_k "shell")
  (#set! rule "py-subprocess-shell") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "subprocess with shell=True runs its command through a shell"))
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (_) @security.sink)) @security
  (#eq? @_m "subprocess")
  (#any-of? @_f "getoutput" "getstatusoutput")
  (#set! rule "py-subprocess-shell") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "subprocess.getoutput runs its command through a shell"))

; ---------------------------------------------------------------- unsafe deserialisation
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (_) @security.sink)) @security
  (#any-of? @_m "pickle" "cPickle" "_pickle" "dill" "marshal" "shelve" "jsonpickle")
  (#any-of? @_f "load" "loads" "Unpickler" "open" "decode")
  (#set! rule "py-unsafe-deserialization") (#set! cwe "CWE-502") (#set! severity "high")
  (#set! message "unpickling data can run arbitrary code"))
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (_) @security.sink) @_args) @security
  (#eq? @_m "yaml")
  (#any-of? @_f "load" "load_all" "unsafe_load" "full_load")
  (#not-match? @_args "Loader\\s*=\\s*(yaml\\.)?C?(Safe|Base)Loader")
  (#set! rule "py-yaml-load") (#set! cwe "CWE-502") (#set! severity "high")
  (#set! message "yaml.load without a safe loader can build arbitrary objects"))

; ---------------------------------------------------------------- SQL built from strings
((call function: (attribute attribute: (identifier) @_f)
   arguments: (argument_list . (binary_operator left: [(string) (binary_operator left: (string))]
                                                operator: ["%" "+"]) @security.sink)) @security
  (#any-of? @_f "execute" "executemany" "executescript" "raw" "read_sql" "read_sql_query")
  (#set! rule "py-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built from strings is passed to execute"))
((call function: (attribute attribute: (identifier) @_f)
   arguments: (argument_list . (string (interpolation)) @security.sink)) @security
  (#any-of? @_f "execute" "executemany" "executescript" "raw" "read_sql" "read_sql_query")
  (#set! rule "py-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built from an f-string is passed to execute"))
((call function: (attribute attribute: (identifier) @_f)
   arguments: (argument_list . (call function: (attribute object: (string) attribute: (identifier) @_fmt))
                                @security.sink)) @security
  (#any-of? @_f "execute" "executemany" "executescript" "raw" "read_sql" "read_sql_query")
  (#eq? @_fmt "format")
  (#set! rule "py-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built with str.format is passed to execute"))

; ---------------------------------------------------------------- weak hashes
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f) arguments: (argument_list) @_args)
  @security
  (#eq? @_m "hashlib")
  (#any-of? @_f "md5" "sha1" "md4")
  (#not-match? @_args "usedforsecurity\\s*=\\s*False")
  (#set! rule "py-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses (pass usedforsecurity=False otherwise)"))
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)
   arguments: (argument_list . (string) @_name) @_args) @security
  (#eq? @_m "hashlib")
  (#eq? @_f "new")
  (#match? @_name "^[rbuRBU]*['\"](md5|MD5|sha1|SHA1|md4|MD4)['\"]$")
  (#not-match? @_args "usedforsecurity\\s*=\\s*False")
  (#set! rule "py-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses (pass usedforsecurity=False otherwise)"))

; ---------------------------------------------------------------- hard-coded credentials
((assignment left: (identifier) @_name right: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^[rbuRBU]*(''|\"\"|'''''')$")
  (#set! rule "py-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))
((assignment left: (attribute attribute: (identifier) @_name) right: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^[rbuRBU]*(''|\"\")$")
  (#set! rule "py-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))
((keyword_argument name: (identifier) @_name value: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^[rbuRBU]*(''|\"\")$")
  (#set! rule "py-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))
((default_parameter name: (identifier) @_name value: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^[rbuRBU]*(''|\"\")$")
  (#set! rule "py-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))

; ---------------------------------------------------------------- disabled TLS verification
((keyword_argument name: (identifier) @_k value: (false)) @security
  (#eq? @_k "verify")
  (#set! rule "py-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "verify=False turns off TLS certificate checks"))
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)) @security
  (#eq? @_m "ssl")
  (#eq? @_f "_create_unverified_context")
  (#set! rule "py-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "an unverified SSL context does not check certificates"))
((attribute object: (identifier) @_m attribute: (identifier) @_f) @security
  (#eq? @_m "ssl")
  (#eq? @_f "CERT_NONE")
  (#set! rule "py-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "ssl.CERT_NONE does not check certificates"))

; ---------------------------------------------------------------- insecure temporary files
((call function: (attribute object: (identifier) @_m attribute: (identifier) @_f)) @security
  (#any-of? @_m "tempfile" "os")
  (#any-of? @_f "mktemp" "tempnam" "tmpnam")
  (#set! rule "py-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "high")
  (#set! message "a temporary file name that another process can take first (use mkstemp or NamedTemporaryFile)"))
((call function: (identifier) @_f arguments: (argument_list . (string) @_path)) @security
  (#eq? @_f "open")
  (#match? @_path "^[rbuRBU]*['\"]/(var/)?tmp/")
  (#set! rule "py-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a fixed path in a shared temporary folder can be taken or linked by another user"))
