;; A small module-linking program: a counter module instantiated twice, a
;; logger that receives a function through instantiate arguments, and a
;; module exported to the host. `deno task demo` runs `main`.
(module $app
  ;; A counter: its own memory-free state in a mutable global.
  (module $counter
    (global $n (mut i32) (i32.const 0))
    (func (export "bump") (param $by i32) (result i32)
      global.get $n
      local.get $by
      i32.add
      global.set $n
      global.get $n))

  ;; Two independent instances of the same module.
  (instance $a (instantiate $counter))
  (instance $b (instantiate $counter))

  ;; A module that imports a function and wraps it.
  (module $twice
    (import "step" (func $step (param i32) (result i32)))
    (func (export "run") (param i32) (result i32)
      local.get 0
      call $step
      drop
      local.get 0
      call $step))
  (instance $t (instantiate $twice (import "step" (func $a "bump"))))

  ;; main: bump $a twice by 20 through $twice (total 40), and $b by 2.
  (func (export "main") (result i32)
    i32.const 20
    call (func $t "run")
    i32.const 2
    call (func $b "bump")
    i32.add)

  (export "counter" (module $counter)))
