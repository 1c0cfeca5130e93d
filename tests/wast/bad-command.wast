(module)

(assert_something (invoke "f") (i32.const 0))
