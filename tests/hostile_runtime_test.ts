/**
 * Hostile input to the runtime and the artifact reader (issue 11): crafted
 * artifacts with valid checksums, host values and API arguments that try to
 * reach `Object.prototype`, to loop, to recurse past the stack, or to come
 * back as raw `TypeError`s and `RangeError`s. Each ends in a typed error.
 */

import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import {
  ArtifactError,
  compile,
  CompileError,
  compileSync,
  Instance,
  instantiate,
  instantiateSync,
  LinkError,
  Module,
} from "../mod.ts";
import { loadArtifact } from "../lib/loader.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import type { Export, ImportDesc, Section } from "../lib/ir.ts";
import { TypeTables } from "../lib/types.ts";
import { MAX_MODULES, MAX_TYPE_DEPTH, MAX_TYPE_SIZE } from "../lib/limits.ts";
import { moduleParts } from "../lib/runtime/module.ts";
import {
  aliases,
  aliasExport,
  aliasOuter,
  bin,
  code,
  ex,
  exp,
  exports,
  func,
  funcDesc,
  funcs,
  I32,
  i32c,
  imp,
  imports,
  instances,
  memories,
  mod,
  moduleDesc,
  modules,
  moduleType,
  tagDesc,
  tags,
  types,
} from "./helpers/build.ts";

type Fn = () => number;
const EXTERNREF = 0x6f;

/**
 * An artifact of one blob, whose modules `build` returns (defaults filled
 * in) after adding what types they need. Module type 0 and instance type 0
 * are empty.
 */
function artifact(build: (t: TypeTables) => Partial<CompiledModule>[]): Uint8Array {
  const t = new TypeTables();
  t.module({ imports: [], exports: [] });
  t.instance({ exports: [] });
  const blobModules = build(t).map((m): CompiledModule => ({
    name: "",
    core: null,
    initializers: [],
    exports: [],
    imports: [],
    type: 0,
    instanceType: 0,
    upvars: [],
    children: [],
    fusion: null,
    ...m,
  }));
  return writeArtifact({
    blobs: [{ types: t, modules: blobModules, root: 0 }],
    nodes: [{ blob: 0, module: 0, upvars: [] }],
    root: 0,
  });
}

/** A core module importing `list` (module, name, desc), re-exporting each as "e0", "e1", …. */
function coreImporting(list: [string, string, ImportDesc][], ...more: Section[]): Uint8Array {
  const exported: Export[] = list.map((entry, i) => ex(`e${i}`, entry[2].kind, 0));
  return bin(
    types(func([], []), func([EXTERNREF], [])),
    imports(...list.map(([module, field, desc]) => imp(module, field, desc))),
    exports(...exported),
    ...more,
  );
}

/**
 * An artifact whose only module runs `core` and advertises `advertised`
 * (name → kind, all local), consistently in its types, so that nothing but
 * the core module itself is wrong.
 */
function advertising(core: Uint8Array, advertised: [string, 0 | 1 | 2 | 3][]): Uint8Array {
  return artifact((t) => {
    const f = t.func([], []);
    const named = advertised.map(([name, kind]) => ({ name, type: entityOfKind(kind, f) }));
    return [{
      core,
      type: t.module({ imports: [], exports: named }),
      instanceType: t.instance({ exports: named }),
      exports: advertised.map(([name, kind]) => ({ name, kind, index: 0, local: true })),
    }];
  });
}

function entityOfKind(kind: 0 | 1 | 2 | 3, func: number) {
  switch (kind) {
    case 0:
      return { kind, type: func } as const;
    case 1:
      return { kind, type: { elem: 0x70, limits: { min: 0 } } } as const;
    case 2:
      return { kind, type: { shared: false, memory64: false, limits: { min: 1 } } } as const;
    case 3:
      return { kind, type: { type: I32, mutable: false } } as const;
  }
}

const externGlobal: ImportDesc = { kind: 3, type: { type: EXTERNREF, mutable: false } };

Deno.test("an artifact's core module cannot import from the import object's prototype chain", async () => {
  const extensible = Object.isExtensible(Object.prototype);
  const cases: [Uint8Array, string][] = [
    // Was Object.prototype, read through `{ "": values }.constructor.prototype`.
    [coreImporting([["constructor", "prototype", externGlobal]]), '"constructor" "prototype"'],
    // Was Object.assign, and Array through the values array's prototype.
    [coreImporting([["constructor", "assign", funcDesc(1)]]), '"constructor" "assign"'],
    [coreImporting([["", "constructor", funcDesc(0)]]), '"" "constructor"'],
    [coreImporting([["", "length", { kind: 3, type: { type: I32, mutable: false } }]]), '"length"'],
    [coreImporting([["__proto__", "toString", funcDesc(0)]]), '"__proto__"'],
    // A name in the right shape that the program does not push.
    [coreImporting([["", "0", funcDesc(0)]]), '"" "0"'],
  ];
  for (const [core, names] of cases) {
    const bytes = advertising(core, [["e0", 0]]);
    const e = assertThrows(() => instantiateSync(Module.deserialize(bytes)), CompileError);
    assert(e.message.includes(names), e.message);
    await assertRejects(() => loadArtifact(bytes), CompileError, names);
  }
  assertEquals(Object.isExtensible(Object.prototype), extensible);
  assertEquals(typeof Object.assign, "function");
});

Deno.test("core imports must be exactly the values the instantiation program pushes", () => {
  const f = () => 1;
  // The module imports func "f" and pushes it: the core module must import `"" "0"` as a func.
  const description = (core: Uint8Array) =>
    artifact((t) => {
      const fn = t.func([], []);
      return [{
        core,
        type: t.module({ imports: [{ name: "f", type: { kind: 0, type: fn } }], exports: [] }),
        initializers: [{ op: "import", name: "f", kind: 0 }],
      }];
    });
  const good = description(bin(types(func([], [])), imports(imp("", "0", funcDesc(0)))));
  instantiateSync(Module.deserialize(good), { f });
  const wrongKind = description(bin(imports(imp("", "0", { kind: 2, type: memoryType() }))));
  assertThrows(
    () => instantiateSync(Module.deserialize(wrongKind), { f }),
    CompileError,
    "its import 0 is a memory, the instantiation program provides a func",
  );
  const tooMany = description(
    bin(types(func([], [])), imports(imp("", "0", funcDesc(0)), imp("", "1", funcDesc(0)))),
  );
  assertThrows(() => instantiateSync(Module.deserialize(tooMany), { f }), CompileError, '"" "1"');
  const tooFew = description(bin(types(func([], [])), funcs(0), code([])));
  assertThrows(
    () => instantiateSync(Module.deserialize(tooFew), { f }),
    CompileError,
    "it imports 0 values, the instantiation program provides 1",
  );
});

function memoryType() {
  return { shared: false, memory64: false, limits: { min: 1 } };
}

Deno.test("tags of a crafted core module are checked, and a lookalike tag is a LinkError", () => {
  // The module imports tag "e" and pushes it: the core module must import `"" "0"` as a tag.
  const description = (core: Uint8Array) =>
    artifact((t) => {
      const type = t.func([I32], []);
      return [{
        core,
        type: t.module({ imports: [{ name: "e", type: { kind: 4, type } }], exports: [] }),
        initializers: [{ op: "import", name: "e", kind: 4 }],
      }];
    });
  const { Tag } = WebAssembly as unknown as { Tag: new (t: { parameters: string[] }) => object };
  const tag = new Tag({ parameters: ["i32"] });
  const good = Module.deserialize(
    description(bin(types(func([I32], [])), imports(imp("", "0", tagDesc(0))))),
  );
  instantiateSync(good, { e: tag });
  const wrongKind = description(bin(types(func([I32], [])), imports(imp("", "0", funcDesc(0)))));
  assertThrows(
    () => instantiateSync(Module.deserialize(wrongKind), { e: tag }),
    CompileError,
    "its import 0 is a function, the instantiation program provides a tag",
  );
  // An object with Tag.prototype passes `instanceof`; V8 refuses it, by the import's name.
  const lookalike = Object.create(Tag.prototype);
  const e = assertThrows(() => instantiateSync(good, { e: lookalike }), LinkError);
  assert(e.message.startsWith('incompatible import type for `e`: import "e": '), e.message);
  // A local export advertised as a func must not be the core module's tag.
  const advertised = advertising(bin(types(func([], [])), tags(0), exports(ex("t", 4, 0))), [
    ["t", 0],
  ]);
  assertThrows(
    () => instantiateSync(Module.deserialize(advertised)),
    CompileError,
    'export "t" is a func, the core module\'s is a tag',
  );
});

Deno.test("local exports are checked against the core module's real exports and kinds", async () => {
  const memoryCore = bin(memories(1), exports(ex("f", 2, 0)));
  const funcCore = bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(3)));
  const cases: [Uint8Array, string][] = [
    // An advertised function that was a memory.
    [advertising(memoryCore, [["f", 0]]), 'export "f" is a func, the core module\'s is a memory'],
    // An advertised function that was undefined.
    [advertising(bin(), [["f", 0]]), 'export "f" is missing from the core module'],
    [advertising(funcCore, [["f", 0], ["g", 0]]), 'export "g" is missing'],
    // A core export the module does not advertise would pass straight through.
    [advertising(funcCore, []), 'it exports "f", which the module does not'],
  ];
  for (const [bytes, message] of cases) {
    const m = Module.deserialize(bytes);
    const e = assertThrows(() => instantiateSync(m), CompileError, message);
    assert(e.message.includes("core module does not match its module"), e.message);
    await assertRejects(() => loadArtifact(bytes), CompileError, message);
  }
  const good = instantiateSync(Module.deserialize(advertising(funcCore, [["f", 0]])));
  assertEquals((good.exports.f as Fn)(), 3);
  // The error names the nested module whose core module lies.
  const nested = artifact((t) => {
    const f = t.func([], []);
    const named = [{ name: "f", type: { kind: 0, type: f } as const }];
    return [
      {
        name: "module $app",
        children: [1],
        initializers: [{ op: "module", compiled: 1 }, { op: "instantiate", module: 0, args: [] }],
      },
      {
        name: "module $liar",
        core: memoryCore,
        type: t.module({ imports: [], exports: named }),
        instanceType: t.instance({ exports: named }),
        exports: [{ name: "f", kind: 0, index: 0, local: true }],
      },
    ];
  });
  const e = assertThrows(() => instantiateSync(Module.deserialize(nested)), CompileError);
  assertEquals(e.path, ["module $app", "module $liar"]);
  const loaded = await assertRejects(() => loadArtifact(nested), CompileError);
  assertEquals((loaded as CompileError).path, ["module $app", "module $liar"]);
});

Deno.test("compiled exports must match the module and instance types they are read by", () => {
  const funcCore = bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(3)));
  const lying = (exports: CompiledModule["exports"]) =>
    artifact((t) => {
      const named = [{ name: "f", type: { kind: 0, type: t.func([], [I32]) } as const }];
      return [{
        core: funcCore,
        type: t.module({ imports: [], exports: named }),
        instanceType: t.instance({ exports: named }),
        exports,
      }];
    });
  for (
    const exports of [
      [{ name: "f", kind: 2, index: 0, local: true }],
      [{ name: "g", kind: 0, index: 0, local: true }],
      [],
      [{ name: "f", kind: 0, index: 0, local: true }, {
        name: "f",
        kind: 0,
        index: 0,
        local: true,
      }],
    ] as CompiledModule["exports"][]
  ) {
    assertThrows(() => Module.deserialize(lying(exports)), ArtifactError, "export");
  }
  // The instance type must say the same as the module type.
  const split = artifact((t) => [{
    type: t.module({ imports: [], exports: [{ name: "m", type: { kind: 5, type: 0 } }] }),
    instanceType: 0,
  }]);
  assertThrows(() => Module.deserialize(split), ArtifactError, "do not match");
});

Deno.test("host imports are own properties: nothing is found on Object.prototype", async () => {
  const single = await compile(`(module (import "constructor" (func)))`);
  assertThrows(() => instantiateSync(single, {}), LinkError, '"constructor" was not provided');
  const proto = await compile(`(module (import "__proto__" (func)))`);
  assertThrows(() => instantiateSync(proto, {}), LinkError, '"__proto__" was not provided');
  const two = await compile(`(module (import "env" "toString" (func)))`);
  assertThrows(() => instantiateSync(two, { env: {} }), LinkError, '"env" "toString" was not');
  // Inherited values are not imports either, at any level.
  const inherited = await compile(`(module (import "env" "f" (func)))`);
  assertThrows(
    () => instantiateSync(inherited, { env: Object.create({ f() {} }) }),
    LinkError,
    "was not provided",
  );
  assertThrows(
    () => instantiateSync(inherited, Object.create({ env: { f() {} } })),
    LinkError,
    "was not provided",
  );
  instantiateSync(inherited, { env: { f() {} } });
});

/** Modules whose tree is `children[i]` for module i, all empty. */
function tree(children: number[][]): Uint8Array {
  return artifact(() => children.map((c) => ({ children: c })));
}

Deno.test("an artifact's module tree must be a tree: shared children, cycles and orphans", async () => {
  // Module i lists module i+1 twice, 30 levels: 2^30 paths, 400 bytes.
  const fanout: number[][] = [];
  for (let i = 0; i < 30; i++) fanout.push([i + 1, i + 1]);
  fanout.push([]);
  const cases: [Uint8Array, string][] = [
    [tree(fanout), "module 1 is nested in more than one module"],
    [tree([[1], [1]]), "module 1 lists module 1 as nested"],
    [tree([[1], [2], [1]]), "module 2 lists module 1 as nested"],
    [tree([[1, 2], [2], []]), "module 2 is nested in more than one module"],
    [tree([[1], [], []]), "module 2 is neither the root nor nested"],
    [tree([[0]]), "module 0 lists module 0"],
  ];
  for (const [bytes, message] of cases) {
    const started = performance.now();
    assertThrows(() => Module.deserialize(bytes), ArtifactError, message);
    await assertRejects(() => loadArtifact(bytes), ArtifactError, message);
    assert(performance.now() - started < 1000, "the check is one pass");
  }
  instantiateSync(Module.deserialize(tree([[1, 2], [3], [], []])));
});

Deno.test("an artifact nests modules at most as deep as the compiler allows", () => {
  const chain = (depth: number) => {
    const children: number[][] = [];
    for (let i = 0; i < depth; i++) children.push([i + 1]);
    children.push([]);
    return tree(children);
  };
  Module.deserialize(chain(100));
  assertThrows(() => Module.deserialize(chain(101)), ArtifactError, "nested more than 100 deep");
  assertThrows(() => Module.deserialize(chain(20_000)), ArtifactError, "nested more than 100 deep");
});

Deno.test("an artifact holds at most as many modules as a binary may", () => {
  const flat = (count: number) => {
    const children: number[][] = [[]];
    for (let i = 1; i < count; i++) {
      children[0].push(i);
      children.push([]);
    }
    return tree(children);
  };
  Module.deserialize(flat(MAX_MODULES));
  assertThrows(
    () => Module.deserialize(flat(MAX_MODULES + 1)),
    ArtifactError,
    `more than ${MAX_MODULES} modules`,
  );
});

/**
 * An artifact whose module imports and exports instance "i" of a chain of
 * `depth` instance types: `(export "i" (instance …))` down to
 * `(export "x" (func))`. The chain is pushed as it is, not interned, so
 * that it may pass the limits the reader enforces.
 */
function deepInstanceImport(depth: number): Uint8Array {
  return artifact((t) => {
    const f = t.func([], []);
    let top = t.instances.push({ exports: [{ name: "x", type: { kind: 0, type: f } }] }) - 1;
    for (let k = 1; k < depth; k++) {
      top = t.instances.push({ exports: [{ name: "i", type: { kind: 6, type: top } }] }) - 1;
    }
    const named = [{ name: "i", type: { kind: 6, type: top } as const }];
    return [{
      type: t.modules.push({ imports: named, exports: named }) - 1,
      instanceType: t.instances.push({ exports: named }) - 1,
      initializers: [{ op: "import", name: "i", kind: 6 }],
      exports: [{ name: "i", kind: 6, index: 0, local: false }],
      imports: [{ module: "i", field: null, type: named[0].type }],
    }];
  });
}

/** A host object `depth` levels of `{i: …}` deep with `{x: function}` at the bottom. */
function deepObject(depth: number): Record<string, unknown> {
  let o: Record<string, unknown> = { x: () => {} };
  for (let k = 1; k < depth; k++) o = { i: o };
  return o;
}

// The deepest chain a module can import: its own type nests one level more.
const DEEPEST = MAX_TYPE_DEPTH - 1;

Deno.test("a host object as deep as the deepest type is checked without recursion", () => {
  const bytes = deepInstanceImport(DEEPEST);
  const m = Module.deserialize(bytes);
  const i = instantiateSync(m, { i: deepObject(DEEPEST) });
  let level = i.exports.i as Instance;
  for (let k = 1; k < DEEPEST; k++) level = level.exports.i as Instance;
  assertEquals(typeof level.exports.x, "function");
  // A cycle satisfies any depth; the type bounds the walk.
  const cyclic: Record<string, unknown> = { x: () => {} };
  cyclic.i = cyclic;
  instantiateSync(m, { i: cyclic });
  // One level short: the error names both ends of the import's path.
  const e = assertThrows(() => instantiateSync(m, { i: deepObject(DEEPEST - 1) }), LinkError);
  assert(e.message.includes('import "i" "i" "i"'), e.message);
  assert(e.message.includes("more)"), e.message);
  // An mlink instance of that type, passed to another blob (other tables):
  // its static type is walked the same way.
  instantiateSync(Module.deserialize(bytes), { i: i.exports.i });
});

Deno.test("an artifact whose types nest past the limit is refused when read, in one pass", () => {
  for (const depth of [MAX_TYPE_DEPTH, 20_000, 200_000]) {
    const bytes = deepInstanceImport(depth);
    const started = performance.now();
    assertThrows(
      () => Module.deserialize(bytes),
      ArtifactError,
      `more than ${MAX_TYPE_DEPTH} deep`,
    );
    assert(performance.now() - started < 2000, `${depth}: ${performance.now() - started} ms`);
  }
});

Deno.test("artifact types follow the size rule of compiled ones: members are free, references are not", () => {
  // `count` funcs of its own, and `refs` references to an instance type of `each` funcs.
  const sized = (count: number, refs: number, each: number) =>
    artifact((t) => {
      const f = t.func([], []);
      const funcs = (n: number) =>
        Array.from(
          { length: n },
          (_, i) => ({ name: `f${i}`, type: { kind: 0, type: f } as const }),
        );
      const inner = t.instances.push({ exports: funcs(each) }) - 1;
      const named = [
        ...funcs(count),
        ...Array.from({ length: refs }, (_, i) => ({
          name: `i${i}`,
          type: { kind: 6, type: inner } as const,
        })),
      ];
      return [{ type: t.modules.push({ imports: named, exports: [] }) - 1 }];
    });
  // A core module may import 100,000 functions; its artifact loads.
  Module.deserialize(sized(MAX_TYPE_SIZE + 10, 0, 0));
  Module.deserialize(sized(0, 2, MAX_TYPE_SIZE / 2 - 1));
  assertThrows(
    () => Module.deserialize(sized(0, 3, MAX_TYPE_SIZE / 2)),
    ArtifactError,
    `exceeds ${MAX_TYPE_SIZE}`,
  );
});

/**
 * An artifact of two modules' worth of types: T(0) = (module), T(k) =
 * (module (export "m" T(k-1))), `depth` deep, and a provider type
 * `(module (import "x" T) (export "m" T))`. Returns its index.
 */
function moduleChain(t: TypeTables, depth: number): number {
  let top = 0;
  for (let k = 1; k < depth; k++) {
    top = t.modules.push({ imports: [], exports: [{ name: "m", type: { kind: 5, type: top } }] }) -
      1;
  }
  return t.modules.push({
    imports: [{ name: "x", type: { kind: 5, type: top } }],
    exports: [{ name: "m", type: { kind: 5, type: top } }],
  }) - 1;
}

/** A module of the provider type of `moduleChain(depth)`, and one that imports such a module as "p". */
function providerAndUser(depth: number): { provider: Uint8Array; user: Uint8Array } {
  const provider = artifact((t) => {
    const type = moduleChain(t, depth);
    const { imports, exports } = t.modules[type];
    return [{
      type,
      instanceType: t.instances.push({ exports }) - 1,
      initializers: [{ op: "import", name: "x", kind: 5 }],
      exports: [{ name: "m", kind: 5, index: 0, local: false }],
      imports: imports.map((i) => ({ module: i.name, field: null, type: i.type })),
    }];
  });
  const user = artifact((t) => {
    const wanted = moduleChain(t, depth);
    const p = { name: "p", type: { kind: 5, type: wanted } as const };
    return [{
      type: t.modules.push({ imports: [p], exports: [] }) - 1,
      initializers: [{ op: "import", name: "p", kind: 5 }],
      imports: [{ module: "p", field: null, type: p.type }],
    }];
  });
  return { provider, user };
}

Deno.test("a module from another blob, of the deepest type, is matched across blobs", () => {
  // The user's module type nests two levels above the chain.
  const { provider, user } = providerAndUser(MAX_TYPE_DEPTH - 2);
  const p = Module.deserialize(provider);
  instantiateSync(Module.deserialize(user), { p });
  // A provider of a type one level shallower is refused with a reason.
  const short = Module.deserialize(providerAndUser(MAX_TYPE_DEPTH - 3).provider);
  assertThrows(() => instantiateSync(Module.deserialize(user), { p: short }), LinkError, "export");
  // Deeper than the limit, neither artifact loads.
  const deep = providerAndUser(20_000);
  assertThrows(() => Module.deserialize(deep.provider), ArtifactError, "too deep");
  assertThrows(() => Module.deserialize(deep.user), ArtifactError, "too deep");
});

Deno.test("serialize walks a chain of 5,000 closures without recursion", () => {
  // A factory whose exported module closes over the module imported as "m".
  const inner = mod(
    aliases(aliasOuter(0, 5, 0)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  );
  const factory = compileSync(bin(
    types(func([], [I32]), moduleType([], [exp("f", funcDesc(0))])),
    imports(imp("m", null, moduleDesc(1))),
    modules(inner),
    exports(ex("closure", 5, 1)),
  ));
  let m = compileSync(bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(7))));
  for (let i = 0; i < 5000; i++) {
    m = instantiateSync(factory, { m }).exports.closure as Module;
  }
  const bytes = m.serialize();
  assertEquals(bytes, m.serialize());
  const again = Module.deserialize(bytes);
  // Instantiating the chain nests 5,000 deep: past the instantiation limit, a LinkError.
  assertThrows(() => instantiateSync(again), LinkError, "nested more than 500 deep");
});

Deno.test("every instantiate option is validated", () => {
  const m = compileSync(bin());
  for (const bad of [NaN, "abc", -1, 0, 1.5, Infinity, null, 10n, "100"]) {
    assertThrows(
      () => instantiateSync(m, {}, { maxInstances: bad as number }),
      LinkError,
      "option maxInstances must be a whole number",
    );
  }
  for (const bad of [null, 5, "x", true]) {
    assertThrows(
      () => instantiateSync(m, {}, bad as never),
      LinkError,
      "the options argument must be an object",
    );
  }
  instantiateSync(m, {}, { maxInstances: 1 });
  instantiateSync(m, {}, {});
  instantiateSync(m, {}, undefined);
});

Deno.test("API misuse is a typed error, never a TypeError", async () => {
  const fake = Object.create(Module.prototype);
  assertThrows(() => instantiateSync(fake), LinkError, "expects a Module");
  await assertRejects(() => instantiate(fake), LinkError, "expects a Module");
  const real = compileSync(bin());
  const { blob } = moduleParts(real);
  for (
    const make of [
      () => new (Module as unknown as new (...a: unknown[]) => Module)({}, 0),
      () => new (Module as unknown as new (...a: unknown[]) => Module)(blob, 99),
      () => new (Module as unknown as new (...a: unknown[]) => Module)(blob, 0, [fake]),
      () => new (Module as unknown as new (...a: unknown[]) => Module)(),
    ]
  ) {
    assertThrows(make, CompileError, "new Module() is internal");
  }
  await assertRejects(() => instantiate(real, {}, null as never), LinkError);
  for (const imports of [null, 5, "x"]) {
    assertThrows(() => instantiateSync(real, imports as never), LinkError, "imports argument");
  }
  // Objects that pass `instanceof` but are not what they claim.
  const cases: [string, unknown, string][] = [
    [`(module (import "m" (memory 1)))`, Object.create(WebAssembly.Memory.prototype), "memory"],
    [
      `(module (import "t" (table 1 funcref)))`,
      Object.create(WebAssembly.Table.prototype),
      "table",
    ],
    [`(module (import "g" (global i32)))`, Object.create(WebAssembly.Global.prototype), "global"],
    [`(module (import "i" (instance (export "f" (func)))))`, Object.create(Instance.prototype), ""],
    [
      `(module (import "i" (instance (export "f" (func)))))`,
      Object.create(WebAssembly.Instance.prototype),
      "",
    ],
    [`(module (import "i" (instance (export "f" (func)))))`, new Instance(5 as never), ""],
    [`(module (import "m" (module)))`, fake, "module"],
  ];
  for (const [text, value, _] of cases) {
    const m = await compile(text);
    const name = m.imports()[0].module;
    assertThrows(() => instantiateSync(m, { [name]: value }), LinkError);
  }
});

Deno.test("an Instance made by hand has no static type to trust", async () => {
  const m = await compile(`(module (import "i" (instance (export "f" (func)))))`);
  // Read as an object of its exports, checked one by one.
  instantiateSync(m, { i: new Instance({ f: () => {} }) });
  assertThrows(() => instantiateSync(m, { i: new Instance({ f: 5 }) }), LinkError, "got a number");
  // A type passed to the constructor is not trusted: "f" is still checked.
  const tables = moduleParts(m).blob.compiled.types;
  const type = tables.modules[moduleParts(m).blob.compiled.modules[0].type].imports[0].type.type;
  const forged = new (Instance as unknown as new (...a: unknown[]) => Instance)(
    { f: 5 },
    { tables, type },
  );
  assertThrows(() => instantiateSync(m, { i: forged }), LinkError, "got a number");
});

Deno.test("stack exhaustion in a start function is a trap, not a RangeError", async () => {
  const recursive = await compile(`(module (func $f call $f) (start $f))`);
  const e = assertThrows(() => instantiateSync(recursive), WebAssembly.RuntimeError);
  assert(e.message.includes("call stack exhausted"), e.message);
  await assertRejects(() => instantiate(recursive), WebAssembly.RuntimeError);
  // In a nested module, the trap names it.
  const nested = await compile(`(module
    (module $deep (func $f call $f) (start $f))
    (instance (instantiate $deep)))`);
  const inner = assertThrows(() => instantiateSync(nested), WebAssembly.RuntimeError);
  assert(inner.message.includes("module $deep"), inner.message);
  // Through an artifact, too.
  const loaded = Module.deserialize(recursive.serialize());
  assertThrows(() => instantiateSync(loaded), WebAssembly.RuntimeError);
  // A host function's own errors pass through as they are.
  const calls = await compile(`(module (import "f" (func)) (start 0))`);
  assertThrows(
    () =>
      instantiateSync(calls, {
        f() {
          throw new RangeError("host");
        },
      }),
    RangeError,
    "host",
  );
});

Deno.test("exports of a checked artifact are the core module's own", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    funcs(0),
    exports(ex("f", 0, 0)),
    code(i32c(9)),
  ));
  const again = instantiateSync(Module.deserialize(m.serialize()));
  assertEquals((again.exports.f as Fn)(), 9);
  assertStrictEquals(Object.getPrototypeOf(again.exports), null);
});

Deno.test("Module methods on a lookalike object are LinkErrors, not TypeErrors", () => {
  const fake = Object.create(Module.prototype) as Module;
  assertThrows(() => fake.serialize(), LinkError, "Module.prototype.serialize used on an object");
  assertThrows(() => fake.imports(), LinkError, "Module.prototype.imports used on an object");
  assertThrows(() => fake.exports(), LinkError, "Module.prototype.exports used on an object");
  assertThrows(() => fake.name, LinkError, "Module.prototype.name used on an object");
});
