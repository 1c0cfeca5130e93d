;; The article's first example: an exported one-page memory whose first nine
;; bytes hold the UTF-8 text "xịn xò" (six characters). No functions.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "xịn xò"))
