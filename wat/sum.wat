;; The article's second example: the host creates the memory and passes it in
;; as "js" "mem"; `sum` stores at byte 8 the i32 sum of the i32s at bytes 0 and 4.
(module
  (import "js" "mem" (memory 1))
  (func (export "sum")
    (i32.store
      (i32.const 0x8)
      (i32.add
        (i32.load (i32.const 0x0))
        (i32.load (i32.const 0x4))))))
