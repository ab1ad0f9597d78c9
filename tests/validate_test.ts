/**
 * Module-linking validation: every rule has a negative test whose message is
 * checked, and the positive case next to it where the rule has an edge.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { compile, CompileError, compileSync } from "../mod.ts";
import { decode } from "../lib/binary/decode.ts";
import { encode } from "../lib/binary/encode.ts";
import { compileBinary } from "../lib/compile/mod.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import { formatEntityType } from "../lib/format.ts";
import {
  type ImportSection,
  Kind,
  type ModuleIR,
  type Section,
  type TypeSection,
} from "../lib/ir.ts";
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
  tagDesc,
  tags,
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
    "expected an instance type",
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
    'duplicate import name "a" "b"',
  );
  // Two imports "" "a" would make one implicit instance "" with two exports "a".
  const e = rejects(
    [
      types(func()),
      imports(imp("", "a", funcDesc(0)), imp("", "a", funcDesc(0))),
      modules(empty),
    ],
    'duplicate import name "" "a"',
  );
  // The second import: after the header, the type section, the import section's id, size and count,
  // and the first import.
  assertEquals(e.offset, 8 + 6 + 3 + 5);
  rejects(
    [types(func(), moduleType([imp("", "a", funcDesc(0)), imp("", "a", funcDesc(0))], []))],
    'duplicate import name "" "a" in module type',
  );
  // A nested module follows module linking's rules, whatever it uses: its
  // module type cannot have an instance import with two exports "a".
  const nested = rejects(
    [modules(mod(types(func()), imports(imp("", "a", funcDesc(0)), imp("", "a", funcDesc(0)))))],
    'duplicate import name "" "a"',
  );
  assertEquals(nested.path, ["module 0"]);
  // And so may repeat prelude sections, as the reference implementation let every module.
  accepts(modules(mod(types(func()), imports(imp("a", "b", funcDesc(0))), types(func()))));
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
  accepts(
    types(func()),
    imports(imp("", "a", funcDesc(0)), imp("", "a", funcDesc(0))),
  );
  // Tags are core: importing them twice keeps a module core.
  accepts(
    types(func([I32])),
    imports(imp("", "a", tagDesc(0)), imp("", "a", tagDesc(0))),
    tags(0),
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

// ---------------------------------------------------------------------------
// Tags (exception handling) and instances made of exports

const F32 = 0x7d;

Deno.test("a tag's type is a func type without results", () => {
  accepts(types(func([I32, F32])), tags(0));
  accepts(types(func()), imports(imp("t", null, tagDesc(0))), tags(0, 0));
  rejects([types(func([], [I32])), tags(0)], "non-empty tag result type: type 0 has results");
  rejects(
    [types(func([I32], [I32])), imports(imp("m", "t", tagDesc(0)))],
    "non-empty tag result type",
  );
  rejects(
    [types(func(), instanceType([exp("t", tagDesc(0))]), moduleType([], [])), tags(2)],
    "type 2 is a module type, expected a func type",
  );
  rejects([types(func()), tags(1)], "type index 1 out of bounds (1 types defined so far)");
  rejects(
    [types(instanceType([exp("t", tagDesc(0))]))],
    "type index 0 out of bounds",
  );
});

Deno.test("the tag section sits between the memory and global sections", () => {
  accepts(types(func()), memoryDescSection(), tags(0), { id: 6, globals: [] });
  rejects(
    [types(func()), { id: 6, globals: [] }, tags(0)],
    "unexpected tag section after the global section",
  );
  rejects([types(func()), tags(0), tags(0)], "duplicate tag section");
  rejects(
    [types(func()), tags(0), modules(empty)],
    "unexpected module section after the tag section",
  );
});

/** A memory section of one memory. */
function memoryDescSection(): Section {
  return { id: 5, memories: [{ limits: { min: 0 }, shared: false, memory64: false }] };
}

Deno.test("tag indices are checked in exports, aliases and instantiate arguments", () => {
  rejects(
    [types(func()), tags(0), exports(ex("t", Kind.Tag, 1))],
    'export "t": tag index 1 out of bounds (1 defined so far)',
  );
  const needsT = mod(types(func()), imports(imp("t", null, tagDesc(0))));
  rejects(
    [types(func()), modules(needsT), instances({ module: 0, args: [arg("t", Kind.Tag, 0)] })],
    'instantiate argument "t": tag index 0 out of bounds (0 defined so far; local definitions come later',
  );
  const exportsT = mod(types(func()), tags(0), exports(ex("t", Kind.Tag, 0)));
  accepts(modules(exportsT), instances({ module: 0 }), aliases(aliasExport(0, Kind.Tag, "t")));
  rejects(
    [modules(exportsT), instances({ module: 0 }), aliases(aliasExport(0, Kind.Func, "t"))],
    'alias: export "t" of instance 0 is a tag, not a func',
  );
});

Deno.test("a tag matches only a tag of the same type, in both directions", () => {
  const needs = (params: number[]) => mod(types(func(params)), imports(imp("t", null, tagDesc(0))));
  const given = (
    params: number[],
    child: ModuleIR,
    kind: typeof Kind.Tag | typeof Kind.Func = Kind.Tag,
  ) =>
    bin(
      types(func(params)),
      imports(imp("t", null, kind === Kind.Tag ? tagDesc(0) : funcDesc(0))),
      modules(child),
      instances({ module: 0, args: [arg("t", kind, 0)] }),
    );
  compileSync(given([I32], needs([I32])));
  const cases: [Uint8Array, string][] = [
    [given([F32], needs([I32])), 'argument "t": expected (tag (param i32)), got (tag (param f32))'],
    [given([I32, I32], needs([I32])), "expected (tag (param i32)), got (tag (param i32 i32))"],
    [given([], needs([I32])), "expected (tag (param i32)), got (tag)"],
    [given([I32], needs([])), "expected (tag), got (tag (param i32))"],
    [given([I32], needs([I32]), Kind.Func), 'argument "t": expected tag, got func'],
  ];
  for (const [bytes, message] of cases) {
    const e = assertThrows(() => compileSync(bytes), CompileError);
    assert(e.message.includes(message), `expected "${message}" in: ${e.message}`);
  }
});

Deno.test("tags inside instance types are matched by name and type", () => {
  const tagInstance = instanceType([exp("t", tagDesc(0))]);
  const child = (params: number[]) =>
    mod(types(func(params), tagInstance), imports(imp("i", null, instanceDesc(1))));
  const parent = (given: number[], wanted: number[]) =>
    bin(
      types(func(given), tagInstance),
      imports(imp("i", null, instanceDesc(1))),
      modules(child(wanted)),
      instances({ module: 0, args: [arg("i", Kind.Instance, 0)] }),
    );
  compileSync(parent([F32], [F32]));
  const e = assertThrows(() => compileSync(parent([I32], [F32])), CompileError);
  assert(
    e.message.includes(
      'argument "i": export "t": expected (tag (param f32)), got (tag (param i32))',
    ),
    e.message,
  );
});

Deno.test("an instance made of exports: names unique, indices in bounds", () => {
  rejects(
    [
      types(func()),
      imports(imp("f", null, funcDesc(0))),
      instances({ exports: [arg("a", Kind.Func, 0), arg("a", Kind.Func, 0)] }),
    ],
    'instance: duplicate export name "a"',
  );
  rejects(
    [types(func()), imports(imp("f", null, funcDesc(0))), instances({ exports: [arg("a", 0, 1)] })],
    'instance export "a": func index 1 out of bounds (1 defined so far; local definitions come later',
  );
  rejects(
    [instances({ exports: [arg("m", Kind.Module, 0)] })],
    'instance export "m": module index 0 out of bounds (0 defined so far)',
  );
  rejects(
    [instances({ exports: [arg("t", Kind.Tag, 0)] })],
    'instance export "t": tag index 0 out of bounds',
  );
  // The same item may be exported under two names, and an instance may be empty.
  accepts(
    types(func()),
    imports(imp("f", null, funcDesc(0))),
    instances({ exports: [] }, { exports: [arg("a", 0, 0), arg("b", 0, 0)] }),
    aliases(aliasExport(1, Kind.Func, "b")),
  );
  // Its type is its items' types: what an alias of a missing name or another kind finds.
  rejects(
    [
      types(func()),
      imports(imp("f", null, funcDesc(0))),
      instances({ exports: [arg("a", 0, 0)] }),
      aliases(aliasExport(0, Kind.Func, "b")),
    ],
    'alias: instance 0 has no export "b"',
  );
});

Deno.test("an instance made of exports is an argument checked by subtyping", () => {
  const needsI = mod(
    types(func([I32]), instanceType([exp("f", funcDesc(0)), exp("g", globalDesc(I32))])),
    imports(imp("i", null, instanceDesc(1))),
  );
  const parent = (items: ReturnType<typeof arg>[]) =>
    bin(
      types(func([I32])),
      imports(
        imp("f", null, funcDesc(0)),
        imp("g", null, globalDesc(I32)),
        imp("h", null, funcDesc(0)),
      ),
      modules(needsI),
      instances({ exports: items }, { module: 0, args: [arg("i", Kind.Instance, 0)] }),
    );
  compileSync(parent([arg("g", Kind.Global, 0), arg("f", Kind.Func, 0), arg("x", Kind.Func, 1)]));
  const e = assertThrows(() => compileSync(parent([arg("f", Kind.Func, 0)])), CompileError);
  assert(e.message.includes('argument "i": missing export "g"'), e.message);
});

Deno.test("compile: tags and an instance made of exports", () => {
  // The child imports an instance with a tag and a func, re-exports the tag and
  // defines a tag of its own.
  const child = mod(
    types(func([I32]), instanceType([exp("t", tagDesc(0)), exp("f", funcDesc(0))])),
    imports(imp("i", null, instanceDesc(1))),
    aliases(aliasExport(0, Kind.Tag, "t")),
    tags(0),
    exports(ex("t", Kind.Tag, 0), ex("own", Kind.Tag, 1)),
  );
  const bytes = bin(
    types(func([I32])),
    // Instance 0 is the implicit instance "env"; tag 0 and func 0 are imports.
    imports(imp("env", "t", tagDesc(0)), imp("f", null, funcDesc(0))),
    modules(child),
    // Instance 1 is made of items; instance 2 instantiates the child with it.
    instances(
      { exports: [arg("t", Kind.Tag, 0), arg("f", Kind.Func, 0)] },
      { module: 0, args: [arg("i", Kind.Instance, 1)] },
    ),
    aliases(aliasExport(2, Kind.Tag, "own")),
    tags(0),
    exports(
      ex("local", Kind.Tag, 2),
      ex("imported", Kind.Tag, 0),
      ex("aliased", Kind.Tag, 1),
      ex("made", Kind.Instance, 1),
    ),
  );
  const blob = compileBinary(bytes);
  const root = blob.modules[blob.root];
  assertEquals(root.initializers, [
    { op: "import", name: "env", kind: Kind.Instance },
    { op: "alias", instance: 0, name: "t", kind: Kind.Tag },
    { op: "import", name: "f", kind: Kind.Func },
    { op: "module", compiled: 1 },
    {
      op: "instance",
      exports: [{ name: "t", kind: Kind.Tag, index: 0 }, { name: "f", kind: Kind.Func, index: 0 }],
      type: (root.initializers[4] as { type: number }).type,
    },
    { op: "instantiate", module: 0, args: [{ name: "i", kind: Kind.Instance, index: 1 }] },
    { op: "alias", instance: 2, name: "own", kind: Kind.Tag },
  ]);
  assertEquals(
    root.exports.map((e) => [e.name, e.kind, e.index, e.local]),
    [
      ["local", Kind.Tag, 2, true],
      ["imported", Kind.Tag, 0, false],
      ["aliased", Kind.Tag, 1, false],
      ["made", Kind.Instance, 1, false],
    ],
  );
  // The instance made of items has their types.
  const tables = blob.types;
  const made = tables.modules[root.type].exports.find((e) => e.name === "made")!.type;
  // The instance op carries that same type.
  assertEquals(made, {
    kind: Kind.Instance,
    type: (root.initializers[4] as { type: number }).type,
  });
  assertEquals(
    formatEntityType(tables, made),
    '(instance (export "t" (tag (param i32))) (export "f" (func (param i32))))',
  );
  assertEquals(
    formatEntityType(tables, tables.modules[root.type].exports[0].type),
    "(tag (param i32))",
  );

  // Imported and aliased tags become core imports in binary order, like the func
  // import among them; the tag section stays in the core module.
  assertEquals(coreImports(root), [["0", "tag"], ["1", "function"], ["2", "tag"]]);
  assertEquals(coreExports(root), [["local", "tag"]]);
  const inner = blob.modules[1];
  assertEquals(coreImports(inner), [["0", "tag"]]);
  assertEquals(coreExports(inner), [["own", "tag"]]);
  assertEquals(inner.exports.map((e) => [e.name, e.local]), [["t", false], ["own", true]]);

  // And the whole pipeline accepts it.
  compileSync(bytes);
});

Deno.test("compile: an aliased tag whose type the module's own types lack gets a core type", () => {
  // The child's only type is an outer alias of an instance type: the tag's
  // func type is the parent's, and its core module must add it.
  const child = mod(
    aliases(aliasOuter(0, 7, 1)),
    imports(imp("i", null, instanceDesc(0))),
    aliases(aliasExport(0, Kind.Tag, "t")),
    memoryDescSection(),
    exports(ex("t", Kind.Tag, 0)),
  );
  const blob = compileBinary(
    bin(types(func([F32]), instanceType([exp("t", tagDesc(0))])), modules(child)),
  );
  const core = blob.modules[1].core!;
  assertEquals(coreImports(blob.modules[1]), [["0", "tag"]]);
  // Type 0 stands in for the instance type; type 1 is the tag's.
  const [typeSection, importSection] = decode(core).sections as [TypeSection, ImportSection];
  assertEquals(
    typeSection.types.map((t) => t.form === "func" && [t.params, t.results]),
    [[[], []], [[F32], []]],
  );
  assertEquals(importSection.imports.map((i) => i.desc), [{ kind: Kind.Tag, type: 1 }]);
  assertEquals(blob.modules[1].exports, [{ name: "t", kind: Kind.Tag, index: 0, local: false }]);
});

/** The core module of `m` as V8 compiles it. */
function coreOf(m: CompiledModule): WebAssembly.Module {
  return new WebAssembly.Module(m.core as Uint8Array<ArrayBuffer>);
}

function coreImports(m: CompiledModule): [string, string][] {
  return WebAssembly.Module.imports(coreOf(m)).map((i) => [i.name, i.kind]);
}

function coreExports(m: CompiledModule): [string, string][] {
  return WebAssembly.Module.exports(coreOf(m)).map((e) => [e.name, e.kind]);
}
