;; 24 levels of nested modules, each instantiating the next (generated, checked in).
(module $l1
  (module $l2
    (module $l3
      (module $l4
        (module $l5
          (module $l6
            (module $l7
              (module $l8
                (module $l9
                  (module $l10
                    (module $l11
                      (module $l12
                        (module $l13
                          (module $l14
                            (module $l15
                              (module $l16
                                (module $l17
                                  (module $l18
                                    (module $l19
                                      (module $l20
                                        (module $l21
                                          (module $l22
                                            (module $l23
                                              (module $l24 (func (export "depth") (result i32) i32.const 0))
                                              (instance $i (instantiate $l24))
                                              (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                            (instance $i (instantiate $l23))
                                            (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                          (instance $i (instantiate $l22))
                                          (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                        (instance $i (instantiate $l21))
                                        (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                      (instance $i (instantiate $l20))
                                      (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                    (instance $i (instantiate $l19))
                                    (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                  (instance $i (instantiate $l18))
                                  (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                                (instance $i (instantiate $l17))
                                (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                              (instance $i (instantiate $l16))
                              (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                            (instance $i (instantiate $l15))
                            (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                          (instance $i (instantiate $l14))
                          (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                        (instance $i (instantiate $l13))
                        (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                      (instance $i (instantiate $l12))
                      (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                    (instance $i (instantiate $l11))
                    (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                  (instance $i (instantiate $l10))
                  (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
                (instance $i (instantiate $l9))
                (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
              (instance $i (instantiate $l8))
              (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
            (instance $i (instantiate $l7))
            (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
          (instance $i (instantiate $l6))
          (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
        (instance $i (instantiate $l5))
        (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
      (instance $i (instantiate $l4))
      (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
    (instance $i (instantiate $l3))
    (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
  (instance $i (instantiate $l2))
  (func (export "depth") (result i32) call (func $i "depth") i32.const 1 i32.add))
(assert_return (invoke "depth") (i32.const 23))

;; An outer alias reaching 20 levels out.
(module $top
  (module $leaf (func (export "v") (result i32) i32.const 99))
  (module $n1 (module $n2 (module $n3 (module $n4 (module $n5 (module $n6 (module $n7 (module $n8 (module $n9 (module $n10
  (module $n11 (module $n12 (module $n13 (module $n14 (module $n15 (module $n16 (module $n17 (module $n18 (module $n19 (module $n20
    (instance $i (instantiate (module outer $top $leaf)))
    (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n20)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n19)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n18)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n17)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n16)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n15)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n14)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n13)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n12)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n11)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n10)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n9)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n8)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n7)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n6)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n5)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n4)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n3)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n2)) (func (export "v") (result i32) call (func $i "v")))
  (instance $i (instantiate $n1))
  (func (export "v") (result i32) call (func $i "v")))
(assert_return (invoke "v") (i32.const 99))

;; Outer aliases only see what precedes the nested module.
(assert_malformed
  (module quote "(module $a (module $b (alias outer $a $late (module))) (module $late))")
  "not defined before")
