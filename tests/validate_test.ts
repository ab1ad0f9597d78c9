/**
 * Module-linking validation: every rule has a negative test whose message is
 * checked, and the positive case next to it where the rule has an edge.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { compile, CompileError, compileSync } from "../mod.ts";
import { encode } from "../lib/binary/encode.ts";
import type { ModuleIR, Section } from "../lib/ir.ts";
import {
  aliases,
  aliasExport,
  aliasOuter,
  arg,
  bin,
  code,
  ex,
  exp,
  exports,
  func,
  funcDesc,
  funcs,
  globalDesc,
  I32,
  imp,
  imports,
  instanceDesc,
  instances,
  instanceType,
  memoryDesc,
  mod,
  moduleDesc,
  moduleName,
  modules,
  moduleType,
  tableDesc,
  types,
} from "./helpers/build.ts";

function rejects(
  sections: Section[] | ModuleIR,
  message: string,
): CompileError {
  const ir = Array.isArray(sections) ? mod(...sections) : sections;
  const e = assertThrows(() => compileSync(encode(ir)), CompileError);
  assert(e.message.includes(message), `expected "${message}" in: ${e.message}`);
  return e;
}

function accepts(...sections: Section[]): void {
  compileSync(bin(...sections));
}

const empty = mod();

Deno.test("prelude sections may interleave in any order and repeat", () => {
  accepts(
    modules(empty),
    types(func()),
    instances({ module: 0 }),
    types(func([I32])),
    imports(imp("a", null, funcDesc(1))),
    modules(mod(aliases(aliasOuter(0, 7, 1)), funcs(0), code([]))),
    instances({ module: 1 }),
    imports(imp("b", null, funcDesc(0))),
  );
});

Deno.test("prelude sections may not follow core sections", () => {
  const e = rejects(
    [types(func()), funcs(0), modules(empty), code([])],
    "unexpected module section after the function section",
  );
  assert(e.offset !== undefined);
});

Deno.test("core sections appear at most once, in order", () => {
  rejects(
    [types(func()), funcs(0), funcs(0), code([])],
    "duplicate function section",
  );
  rejects(
    [types(func()), exports(), funcs(0), code([])],
    "unexpected function section after the export section",
  );
});

Deno.test("a core module keeps core rules: one type section, before imports", () => {
  rejects(
    [types(func()), types(func())],
    "unexpected type section: out of order or repeated",
  );
  rejects(
    [imports(imp("a", "b", funcDesc(0))), types(func())],
    "out of order or repeated",
  );
});

Deno.test("type indices are checked for bounds and form", () => {
  rejects(
    [imports(imp("a", "b", funcDesc(3)))],
    "type index 3 out of bounds (0 types defined so far)",
  );
  rejects(
    [types(moduleType([], [])), imports(imp("a", "b", funcDesc(0)))],
    "type 0 is a module type, expected a func type",
  );
  rejects(
    [types(func()), imports(imp("a", null, moduleDesc(0)))],
    "type 0 is a func type, expected a module type",
  );
  rejects(
    [types(func()), imports(imp("a", null, instanceDesc(0)))],
    "expected a instance type",
  );
  rejects(
    [types(instanceType([exp("f", funcDesc(0))]))],
    "type index 0 out of bounds",
  );
  rejects([types(func()), funcs(1), code([])], "type index 1 out of bounds");
});

Deno.test("module and instance types have unique export and import names", () => {
  rejects([
    types(func(), instanceType([exp("f", funcDesc(0)), exp("f", funcDesc(0))])),
  ], 'duplicate export name "f" in type');
  rejects(
    [types(
      func(),
      moduleType([imp("a", null, funcDesc(0)), imp("a", "b", funcDesc(0))], []),
    )],
    'duplicate import name "a" in module type',
  );
});

Deno.test("duplicate import names are invalid in module-linking modules", () => {
  rejects([
    types(func()),
    imports(imp("x", null, funcDesc(0)), imp("x", null, funcDesc(0))),
  ], 'duplicate import name "x"');
  rejects([
    types(func()),
    imports(imp("x", null, funcDesc(0)), imp("x", "y", funcDesc(0))),
  ], 'duplicate import name "x"');
  rejects(
    [
      types(func()),
      modules(empty),
      imports(imp("a", "b", funcDesc(0)), imp("a", "b", funcDesc(0))),
    ],
    'duplicate import "a" "b"',
  );
  // A later import section cannot extend an earlier implicit instance.
  rejects([
    types(func()),
    imports(imp("a", null, globalDesc(I32))),
    imports(imp("a", "c", funcDesc(0))),
  ], 'duplicate import name "a"');
});

Deno.test("core modules keep core behaviour: duplicate imports are allowed", () => {
  accepts(
    types(func()),
    imports(imp("a", "b", funcDesc(0)), imp("a", "b", funcDesc(0))),
  );
});

Deno.test("export names are unique and indices in bounds", () => {
  rejects([
    types(func()),
    funcs(0),
    exports(ex("f", 0, 0), ex("f", 0, 0)),
    code([]),
  ], 'duplicate export name "f"');
  rejects(
    [exports(ex("m", 5, 0))],
    'export "m": module index 0 out of bounds (0 defined so far)',
  );
  rejects([exports(ex("i", 6, 2))], "instance index 2 out of bounds");
});

Deno.test("aliases name an existing export of the right kind", () => {
  const child = mod(types(func()), funcs(0), exports(ex("f", 0, 0)), code([]));
  accepts(
    modules(child),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
  );
  rejects([
    modules(child),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "g")),
  ], 'instance 0 has no export "g"');
  rejects([
    modules(child),
    instances({ module: 0 }),
    aliases(aliasExport(0, 3, "f")),
  ], 'export "f" of instance 0 is a func, not a global');
  rejects(
    [aliases(aliasExport(0, 0, "f"))],
    "alias: instance index 0 out of bounds",
  );
});

Deno.test("outer aliases: depth and visibility", () => {
  rejects(
    [aliases(aliasOuter(0, 7, 0))],
    "outer alias depth 0 out of range: 0 enclosing module(s)",
  );
  rejects(
    [types(func()), modules(mod(aliases(aliasOuter(1, 7, 0))))],
    "outer alias depth 1 out of range: 1 enclosing module(s)",
  );
  // Only what precedes the nested module in its parent is visible.
  rejects(
    [modules(mod(aliases(aliasOuter(0, 7, 0)))), types(func())],
    "type 0 of the module 0 level(s) out is not defined before this module",
  );
  rejects(
    [modules(mod(aliases(aliasOuter(0, 5, 1))))],
    "module 1 of the module 0 level(s) out is not defined before this module",
  );
  accepts(
    types(func()),
    modules(mod(aliases(aliasOuter(0, 7, 0)), funcs(0), code([]))),
  );
  accepts(
    modules(empty),
    modules(
      mod(modules(mod(aliases(aliasOuter(1, 5, 0)), instances({ module: 0 })))),
    ),
  );
});

Deno.test("instantiate checks arguments: missing, kind, type; extras ignored", () => {
  const needsF = mod(types(func([I32])), imports(imp("f", null, funcDesc(0))));
  rejects(
    [modules(needsF), instances({ module: 0 })],
    'instantiate module 0: missing argument "f": expected (func (param i32))',
  );
  rejects(
    [
      types(func([I32])),
      imports(imp("g", null, globalDesc(I32))),
      modules(needsF),
      instances({ module: 0, args: [arg("f", 3, 0)] }),
    ],
    'argument "f": expected func, got global',
  );
  rejects(
    [
      types(func()),
      imports(imp("h", null, funcDesc(0))),
      modules(needsF),
      instances({ module: 0, args: [arg("f", 0, 0)] }),
    ],
    'argument "f": expected (func (param i32)), got (func)',
  );
  accepts(
    types(func([I32])),
    imports(imp("h", null, funcDesc(0))),
    modules(needsF),
    instances({ module: 0, args: [arg("f", 0, 0), arg("unused", 0, 0)] }),
  );
  rejects(
    [
      types(func([I32])),
      imports(imp("h", null, funcDesc(0))),
      modules(needsF),
      instances({ module: 0, args: [arg("f", 0, 0), arg("f", 0, 0)] }),
    ],
    'duplicate argument name "f"',
  );
  rejects(
    [instances({ module: 0 })],
    "instantiate: module index 0 out of bounds",
  );
});

Deno.test("instance arguments cannot name local definitions", () => {
  const needsF = mod(types(func()), imports(imp("f", null, funcDesc(0))));
  rejects(
    [
      types(func()),
      modules(needsF),
      instances({ module: 0, args: [arg("f", 0, 0)] }),
      funcs(0),
      code([]),
    ],
    "local definitions come later in binary order",
  );
});

Deno.test("subtyping of tables, memories, instances and modules in instantiate", () => {
  const needs = (desc: Parameters<typeof imp>[2]) => mod(imports(imp("x", null, desc)));
  const given = (desc: Parameters<typeof imp>[2], child: ModuleIR) => [
    imports(imp("x", null, desc)),
    modules(child),
    instances({ module: 0, args: [arg("x", desc.kind as 1, 0)] }),
  ];
  compileSync(encode(mod(...given(tableDesc(2, 5), needs(tableDesc(1, 10))))));
  rejects(
    given(tableDesc(1), needs(tableDesc(1, 10))),
    "expected (table 1 10 funcref), got (table 1 funcref)",
  );
  rejects(
    given(memoryDesc(1), needs(memoryDesc(2))),
    "expected (memory 2), got (memory 1)",
  );
  compileSync(encode(mod(...given(memoryDesc(3, 4), needs(memoryDesc(2, 4))))));

  // Instances: extra exports are fine, missing ones are not.
  const twoExports = instanceType([
    exp("a", funcDesc(0)),
    exp("b", funcDesc(0)),
  ]);
  const oneExport = instanceType([exp("b", funcDesc(0))]);
  const withTypes = (outer: number, inner: number) =>
    mod(
      types(func(), twoExports, oneExport),
      imports(imp("i", null, instanceDesc(outer))),
      modules(
        mod(
          types(func(), twoExports, oneExport),
          imports(imp("i", null, instanceDesc(inner))),
        ),
      ),
      instances({ module: 0, args: [arg("i", 6, 0)] }),
    );
  compileSync(encode(withTypes(1, 2)));
  const e = assertThrows(
    () => compileSync(encode(withTypes(2, 1))),
    CompileError,
  );
  assert(e.message.includes('argument "i": missing export "a"'), e.message);

  // Modules: imports contravariant, exports covariant.
  const importsLess = moduleType([], [exp("e", funcDesc(0))]);
  const importsMore = moduleType([imp("need", null, funcDesc(0))], [
    exp("e", funcDesc(0)),
  ]);
  const passModule = (outer: number, inner: number) =>
    mod(
      types(func(), importsLess, importsMore),
      imports(imp("m", null, moduleDesc(outer))),
      modules(
        mod(
          types(func(), importsLess, importsMore),
          imports(imp("m", null, moduleDesc(inner))),
        ),
      ),
      instances({ module: 1, args: [arg("m", 5, 0)] }),
    );
  compileSync(encode(passModule(1, 2)));
  const m = assertThrows(
    () => compileSync(encode(passModule(2, 1))),
    CompileError,
  );
  assert(
    m.message.includes(
      `module imports "need", which the expected module type does not provide`,
    ),
    m.message,
  );
});

Deno.test("type sizes are bounded: a chain of doubling module types is rejected fast", () => {
  const defs = [moduleType([], [])];
  for (let i = 1; i < 1000; i++) {
    defs.push(
      moduleType([], [
        exp("a", moduleDesc(i - 1)),
        exp("b", moduleDesc(i - 1)),
      ]),
    );
  }
  // Without the bound this would not finish: sizes double at each level.
  const e = rejects(
    [types(...defs)],
    "type is too large: its effective size exceeds 100000",
  );
  assert(e.offset !== undefined);
});

Deno.test("nesting depth is bounded", () => {
  let m = mod();
  for (let i = 0; i < 150; i++) m = mod(modules(m));
  const e = assertThrows(() => compileSync(encode(m)), CompileError);
  assert(e.message.includes("nested more than 100 deep"), e.message);
});

Deno.test("core validation errors from V8 name the nested module", () => {
  // i32.add on an empty stack, inside a module named $child.
  const bad = mod(types(func()), funcs(0), code([0x6a]), moduleName("child"));
  const e = assertThrows(() => compileSync(bin(modules(bad))), CompileError);
  assertEquals(e.path, ["module $child"]);
  assert(
    e.message.startsWith("module $child: invalid core module:"),
    e.message,
  );
  const unnamed = assertThrows(
    () =>
      compileSync(
        bin(modules(empty, mod(types(func()), funcs(0), code([0x6a])))),
      ),
    CompileError,
  );
  assertEquals(unnamed.path, ["module 1"]);
});

Deno.test("errors inside nested modules carry the path and offset", () => {
  const inner = mod(aliases(aliasExport(0, 0, "f")), moduleName("inner"));
  const e = assertThrows(
    () => compileSync(bin(modules(empty, inner), moduleName("app"))),
    CompileError,
  );
  assertEquals(e.path, ["module $app", "module $inner"]);
  assert(
    e.message.startsWith(
      "module $app > module $inner: alias: instance index 0 out of bounds",
    ),
    e.message,
  );
  assert(typeof e.offset === "number" && e.offset > 8);
});

Deno.test("an invalid body in a function nothing exports is still a CompileError", async () => {
  // memory.grow on memory 1 of a module with one memory; the function is not exported.
  const bad = bin(types(func()), funcs(0), {
    id: 5,
    memories: [{ limits: { min: 0 }, shared: false, memory64: false }],
  }, code([0x41, 0, 0x40, 1, 0x1a]));
  await assertRejects(() => compile(bad), CompileError, "invalid core module");
  assertThrows(() => compileSync(bad), CompileError);
});
