;; A deliberate difference: this script's expectations are wrong, and the model must say so.
(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 1) (i32.const 1)) (i32.const 3))
(assert_trap (invoke "add" (i32.const 1) (i32.const 1)) "unreachable")
(assert_malformed (module quote "(module)") "this text is fine, so wabt must fail this assertion")
