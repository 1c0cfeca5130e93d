(module)
(invoke "f" (i32.const 0x1_0000_0000))
