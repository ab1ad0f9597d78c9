/**
 * Module-linking programs the fuzz tests start from: nested modules,
 * instances, aliases, outer aliases, module imports and exports, and core
 * definitions, so that mutations reach every part of the format.
 */

/** The seed programs, as text. */
export const SEED_PROGRAMS: readonly string[] = [
  `(module $app
    (module $child (func (export "f") (result i32) i32.const 1)
      (global (export "g") (mut i32) (i32.const 2)) (memory (export "m") 1))
    (instance $c (instantiate $child))
    (module $user (import "f" (func (result i32))) (import "i" (instance (export "g" (global (mut i32)))))
      (func (export "h") (result i32) call 0))
    (instance $u (instantiate $user (import "f" (func $c "f")) (import "i" (instance $c))))
    (export "h" (func $u "h"))
    (export "user" (module $user)))`,
  `(module
    (type $t (func (param i32) (result i32)))
    (import "m" (module $M (import "x" (func)) (export "y" (func (type $t)))))
    (module $outer (module $leaf) (module $inner (instance (instantiate (module outer $outer $leaf)))))
    (module (export "exported") (alias outer 0 $t (type $u)) (func (type $u) local.get 0))
    (table 2 funcref) (elem (i32.const 0) 0)
    (func (type $t) local.get 0))`,
  // $c made twice: the graph does not fuse whole, and $c's second instance
  // and $d fuse as a step (its fusion record holds steps).
  `(module
    (module $c (func (export "f") (result i32) i32.const 3) (global (export "g") (mut i32) (i32.const 1)))
    (instance $c1 (instantiate $c))
    (instance $c2 (instantiate $c))
    (module $d (import "f" (func (result i32))) (import "i" (instance (export "g" (global (mut i32)))))
      (func (export "h") (result i32) call 0))
    (instance $d (instantiate $d (import "f" (func $c2 "f")) (import "i" (instance $c1))))
    (instance $b (export "h" (func $d "h")))
    (export "b" (instance $b))
    (export "h" (func $d "h")))`,
];
