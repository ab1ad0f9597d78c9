/**
 * Artifacts: round trips, determinism, runtime-created module values, and
 * every kind of damaged or crafted artifact.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  ArtifactError,
  compile,
  CompileError,
  compileSync,
  type Instance,
  instantiateSync,
  Module,
} from "../mod.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import { readArtifact } from "../lib/artifact/read.ts";
import { ARTIFACT_VERSION, HEADER_SIZE } from "../lib/artifact/format.ts";
import { checksum } from "../lib/artifact/checksum.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import { TypeTables } from "../lib/types.ts";
import { encode } from "../lib/binary/encode.ts";
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
  mod,
  moduleDesc,
  modules,
  moduleType,
  types,
} from "./helpers/build.ts";

type Fn = () => number;

const constModule = (n: number) =>
  mod(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(n)));

/** A module whose exported module closes over the module imported as "m". */
function closureFactory(): Module {
  const inner = mod(
    aliases(aliasOuter(0, 5, 0)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  );
  return compileSync(bin(
    types(func([], [I32]), moduleType([], [exp("f", funcDesc(0))])),
    imports(imp("m", null, moduleDesc(1))),
    modules(inner),
    exports(ex("closure", 5, 1)),
  ));
}

Deno.test("compile → serialize → deserialize keeps behaviour", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    modules(constModule(9)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0), ex("m", 5, 0)),
  ));
  const loaded = Module.deserialize(m.serialize());
  assertEquals(loaded.exports(), m.exports());
  assertEquals(loaded.imports(), m.imports());
  const i = instantiateSync(loaded);
  assertEquals((i.exports.f as Fn)(), 9);
  assertEquals((instantiateSync(i.exports.m as Module).exports.f as Fn)(), 9);
});

Deno.test("tags and instances made of exports keep their behaviour through an artifact", async () => {
  const m = await compile(`(module
    (import "env" "e" (tag $e (param i32)))
    (module $thrower
      (tag $own (export "own") (param i64))
      (func (export "throw") (param i64) local.get 0 throw $own))
    (instance $t (instantiate $thrower))
    (alias $t "own" (tag $own))
    (alias $t "throw" (func $throw))
    (instance $pack (export "e" (tag $e)) (export "own" (tag $own)) (export "throw" (func $throw)))
    (export "pack" (instance $pack))
    (export "e" (tag $e)))`);
  const artifact = m.serialize();
  // The exception-handling flag: the types show a tag.
  assertEquals(new DataView(artifact.buffer).getUint32(8, true) & 32, 32);
  const loaded = Module.deserialize(artifact);
  assertEquals(loaded.imports(), m.imports());
  assertEquals(loaded.exports(), m.exports());
  assertEquals(loaded.exports().map((e) => e.kind), ["instance", "tag"]);
  assertEquals(loaded.serialize(), artifact);
  const { Tag } = WebAssembly as unknown as { Tag: new (t: { parameters: string[] }) => object };
  const tag = new Tag({ parameters: ["i32"] });
  const { exports } = instantiateSync(loaded, { env: { e: tag } });
  assertStrictEquals(exports.e, tag);
  const pack = (exports.pack as Instance).exports;
  assertStrictEquals(pack.e, tag);
  assertInstanceOf(pack.own, Tag);
  const thrown = assertThrows(() => (pack.throw as (v: bigint) => void)(5n)) as unknown as {
    is(t: unknown): boolean;
    getArg(t: unknown, i: number): unknown;
  };
  assert(thrown.is(pack.own) && !thrown.is(tag));
  assertEquals(thrown.getArg(pack.own, 0), 5n);
});

Deno.test("serialization is deterministic", () => {
  const bytes = bin(modules(constModule(1), constModule(2)), instances({ module: 1 }));
  const a = compileSync(bytes).serialize();
  const b = compileSync(bytes).serialize();
  assertEquals(a, b);
  assertEquals(Module.deserialize(a).serialize(), a);
});

Deno.test("a module value created at run time serializes with what it closed over", () => {
  const factory = closureFactory();
  const provided = compileSync(encode(constModule(7)));
  const closure = instantiateSync(factory, { m: provided }).exports.closure as Module;
  const artifact = closure.serialize();
  const loaded = Module.deserialize(artifact);
  assertEquals((instantiateSync(loaded).exports.f as Fn)(), 7);
  // The closure's blob and the captured module's blob, two module values.
  const graph = readArtifact(artifact);
  assertEquals(graph.blobs.length, 2);
  assertEquals(graph.nodes.length, 2);

  // A closure over a module of its own blob: the blob is written once.
  const sameBlob = compileSync(bin(
    types(func([], [I32]), moduleType([], [exp("f", funcDesc(0))])),
    modules(constModule(4), mod(aliases(aliasOuter(0, 5, 0)), instances({ module: 0 }))),
    exports(ex("closure", 5, 1)),
  ));
  const inner = instantiateSync(sameBlob).exports.closure as Module;
  const one = readArtifact(inner.serialize());
  assertEquals(one.blobs.length, 1);
  assertEquals(one.nodes.length, 2);
});

Deno.test("damaged artifacts: wrong magic, other version, truncation, flipped bytes", () => {
  const good = compileSync(bin(modules(constModule(1)), instances({ module: 0 }))).serialize();
  const wasm = encode(constModule(1));
  const e1 = assertThrows(() => Module.deserialize(wasm, "app.wasm"), ArtifactError);
  assert(
    e1.message.startsWith("app.wasm: this is a WebAssembly binary, not an mlink artifact"),
    e1.message,
  );
  assertThrows(
    () => Module.deserialize(new TextEncoder().encode("(module)")),
    ArtifactError,
    "wrong magic",
  );

  const other = good.slice();
  new DataView(other.buffer).setUint32(4, 5, true);
  assertThrows(
    () => Module.deserialize(other),
    ArtifactError,
    `artifact format 5, this loader reads ${ARTIFACT_VERSION}`,
  );
  // Version 1 had no tags and no instances made of exports, version 2 no
  // fused forms, version 3 wrote fused paths whole: refused, never misread.
  assertEquals(ARTIFACT_VERSION, 4);
  for (const version of [1, 2, 3]) {
    const old = good.slice();
    new DataView(old.buffer).setUint32(4, version, true);
    assertThrows(
      () => Module.deserialize(old),
      ArtifactError,
      `artifact format ${version}, this loader reads 4: compile the module again with this version`,
    );
  }
  for (let n = 0; n < good.length; n++) {
    assertThrows(() => Module.deserialize(good.subarray(0, n)), ArtifactError, "truncated");
  }
  for (let at = HEADER_SIZE; at < good.length; at++) {
    const flipped = good.slice();
    flipped[at] ^= 0x10;
    assertThrows(() => Module.deserialize(flipped), ArtifactError, "checksum mismatch");
  }
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  assertThrows(() => Module.deserialize(longer), ArtifactError, "unexpected bytes after");
  assertThrows(
    () => Module.deserialize("nope" as unknown as Uint8Array),
    ArtifactError,
    "must be a Uint8Array",
  );
});

Deno.test("an artifact passed to compile says what it is", () => {
  const artifact = compileSync(encode(constModule(1))).serialize();
  const e = assertThrows(() => compileSync(artifact), CompileError);
  assert(e.message.includes("mlink artifact"), e.message);
});

/** A one-module blob for crafting artifacts; fields override the defaults. */
function crafted(module: Partial<CompiledModule>, setup?: (t: TypeTables) => void): Uint8Array {
  const types = new TypeTables();
  types.module({ imports: [], exports: [] });
  types.instance({ exports: [] });
  setup?.(types);
  const m: CompiledModule = {
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
    ...module,
  };
  return writeArtifact({
    blobs: [{ types, modules: [m], root: 0 }],
    nodes: [{ blob: 0, module: 0, upvars: [] }],
    root: 0,
  });
}

Deno.test("crafted artifacts with valid checksums are still rejected", () => {
  const cases: [Uint8Array, string][] = [
    [
      crafted({ initializers: [{ op: "alias", instance: 5, name: "f", kind: 0 }] }),
      "instance index 5 out of range",
    ],
    [
      crafted({ initializers: [{ op: "instantiate", module: 0, args: [] }] }),
      "module index 0 out of range",
    ],
    [crafted({ initializers: [{ op: "upvar", index: 0 }] }), "upvar index out of range"],
    [
      crafted({ imports: [{ module: "m", field: "f", type: { kind: 0, type: 999 } }] }),
      "type reference 999 out of range",
    ],
    [
      crafted({ imports: [{ module: "m", field: null, type: { kind: 6, type: 7 } }] }),
      "type reference 7 out of range",
    ],
    [
      crafted({ initializers: [{ op: "import", name: "x", kind: 6 }] }),
      'import "x" does not match the module type',
    ],
    [
      crafted({ exports: [{ name: "f", kind: 0, index: 0, local: true }] }),
      'export "f" needs a core module',
    ],
    [
      crafted({ exports: [{ name: "m", kind: 5, index: 3, local: false }] }),
      'export "m" index 3 out of range',
    ],
    [crafted({ type: 9 }), "module type 9 out of range"],
    [
      crafted({ children: [0], initializers: [{ op: "module", compiled: 0 }] }),
      "nested module is not a child",
    ],
    [
      crafted(
        {},
        (t) =>
          t.modules.push({ imports: [], exports: [{ name: "x", type: { kind: 5, type: 1 } }] }),
      ),
      "type references form a cycle",
    ],
    [
      crafted({ imports: [{ module: "m", field: "e", type: { kind: 4, type: 3 } }] }),
      "type reference 3 out of range",
    ],
    [
      // A tag's type is a func type without results: the values an exception carries.
      crafted(
        { imports: [{ module: "m", field: "e", type: { kind: 4, type: 0 } }] },
        (t) => t.func([], [0x7f]),
      ),
      "tag type 0 has results",
    ],
    [
      crafted({
        initializers: [{ op: "instance", exports: [{ name: "f", kind: 0, index: 0 }], type: 0 }],
      }),
      'export "f" index 0 out of range',
    ],
    [
      crafted({
        initializers: [{ op: "instance", exports: [], type: 0 }, {
          op: "instance",
          exports: [{ name: "i", kind: 6, index: 1 }],
          type: 0,
        }],
      }),
      'export "i" index 1 out of range',
    ],
    [
      // Its type is what an import of it is matched by: it must list its exports.
      crafted({
        initializers: [{ op: "instance", exports: [], type: 0 }, {
          op: "instance",
          exports: [{ name: "i", kind: 6, index: 0 }],
          type: 0,
        }],
      }),
      "an instance of exports does not match its instance type",
    ],
    [
      crafted({ initializers: [{ op: "instance", exports: [], type: 9 }] }),
      "an instance of exports does not match its instance type",
    ],
  ];
  for (const [bytes, message] of cases) {
    assertEquals(
      checksum(bytes.subarray(HEADER_SIZE)),
      new DataView(bytes.buffer).getUint32(16, true),
    );
    assertThrows(() => Module.deserialize(bytes), ArtifactError, message);
  }
});

Deno.test("crafted kinds that slip past the metadata checks fail as LinkError, not TypeError", () => {
  // The module type says import "i" is a func, the initializer imports it as a func,
  // then aliases through it as if it were an instance.
  const bytes = crafted(
    {
      type: 1,
      initializers: [
        { op: "import", name: "i", kind: 0 },
        { op: "alias", instance: 0, name: "f", kind: 0 },
      ],
    },
    (t) => {
      t.func([], []);
      t.module({ imports: [{ name: "i", type: { kind: 0, type: 0 } }], exports: [] });
    },
  );
  assertThrows(() => Module.deserialize(bytes), ArtifactError, "instance index 0 out of range");
});

Deno.test("exports named __proto__ and constructor survive a round trip as plain names", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    funcs(0, 0),
    exports(ex("__proto__", 0, 0), ex("constructor", 0, 1)),
    code(i32c(1), i32c(2)),
  ));
  const i = instantiateSync(Module.deserialize(m.serialize()));
  assertEquals((i.exports["__proto__"] as Fn)(), 1);
  assertEquals((i.exports["constructor"] as Fn)(), 2);
  assertEquals(({} as Record<string, unknown>).constructor, Object);
});

Deno.test("a corrupt core module in an artifact is a CompileError naming the module", () => {
  const bytes = crafted({ core: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a]) });
  const m = Module.deserialize(bytes);
  const e = assertThrows(() => instantiateSync(m), CompileError);
  assert(e.message.includes("invalid core module"), e.message);
  assertInstanceOf(e, CompileError);
});

Deno.test("the checksum sees every flipped bit, and does not depend on alignment", () => {
  const data = new Uint8Array(203);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  const base = checksum(data);
  for (let i = 0; i < data.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      data[i] ^= 1 << bit;
      assert(checksum(data) !== base, `flip of bit ${bit} of byte ${i} went unnoticed`);
      data[i] ^= 1 << bit;
    }
  }
  const shifted = new Uint8Array(data.length + 1);
  shifted.set(data, 1);
  assertEquals(checksum(shifted.subarray(1)), base);
  assert(checksum(data.subarray(0, 202)) !== base, "length is part of the checksum");
});
