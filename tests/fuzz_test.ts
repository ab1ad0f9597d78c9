/**
 * Seeded mutation fuzzing of the whole pipeline: whatever the bytes, compile
 * either succeeds or throws CompileError, and instantiate either succeeds or
 * throws LinkError (or a trap from a start function) — never a raw
 * TypeError or RangeError, never a hang.
 */

import { assert } from "@std/assert";
import {
  ArtifactError,
  compile,
  CompileError,
  compileSync,
  instantiateSync,
  LinkError,
  Module,
  parseWat,
} from "../mod.ts";
import { checksum } from "../lib/artifact/checksum.ts";
import { HEADER_SIZE } from "../lib/artifact/format.ts";
import { prng } from "../bench/workloads.ts";
import { SEED_PROGRAMS as SEEDS } from "./helpers/fuzz_seeds.ts";
import { Kind } from "../lib/ir.ts";
import {
  aliases,
  aliasExport,
  arg,
  bin,
  code,
  ex,
  exp,
  exports,
  func,
  funcDesc,
  funcs,
  I32,
  imp,
  imports,
  instanceDesc,
  instances,
  instanceType,
  mod,
  modules,
  tagDesc,
  tags,
  types,
} from "./helpers/build.ts";

const ALLOWED = (e: unknown) =>
  e instanceof CompileError || e instanceof LinkError || e instanceof WebAssembly.RuntimeError;

Deno.test("mutated binaries only ever give CompileError, LinkError or a trap", async () => {
  const random = prng(20261125);
  let compiled = 0;
  for (const text of SEEDS) {
    const good = await parseWat(text);
    compileSync(good);
    for (let round = 0; round < 3000; round++) {
      const bytes = good.slice();
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * bytes.length);
        bytes[at] = random() < 0.5
          ? bytes[at] ^ (1 << Math.floor(random() * 8))
          : Math.floor(random() * 256);
      }
      const cut = random() < 0.1 ? Math.floor(random() * bytes.length) : bytes.length;
      try {
        const m = compileSync(bytes.subarray(0, cut));
        compiled++;
        instantiateSync(m, {}, { maxInstances: 100 });
      } catch (e) {
        assert(
          ALLOWED(e),
          `round ${round}: ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`,
        );
      }
    }
  }
  // Some mutations must survive compilation, or the run tested nothing past the decoder.
  assert(compiled > 50, `only ${compiled} mutants compiled`);
});

/**
 * A binary the text seeds do not cover: tags defined, exported, aliased and
 * passed inside an instance made of exports.
 */
function tagsAndExportsInstance(): Uint8Array {
  const thrower = mod(
    types(func([I32])),
    funcs(0),
    tags(0),
    exports(ex("e", Kind.Tag, 0), ex("throw", Kind.Func, 0)),
    code([0x20, 0, 0x08, 0]), // local.get 0, throw 0
  );
  const user = mod(
    types(func([I32]), instanceType([exp("e", tagDesc(0)), exp("throw", funcDesc(0))])),
    imports(imp("i", null, instanceDesc(1))),
    aliases(aliasExport(0, Kind.Tag, "e")),
    exports(ex("e", Kind.Tag, 0)),
  );
  return bin(
    modules(thrower, user),
    instances({ module: 0 }),
    aliases(aliasExport(0, Kind.Tag, "e"), aliasExport(0, Kind.Func, "throw")),
    instances(
      { exports: [arg("e", Kind.Tag, 0), arg("throw", Kind.Func, 0)] },
      { module: 1, args: [arg("i", Kind.Instance, 1)] },
    ),
    exports(ex("made", Kind.Instance, 1), ex("user", Kind.Instance, 2), ex("e", Kind.Tag, 0)),
  );
}

Deno.test("mutated binaries with tags and instances made of exports fail cleanly too", () => {
  const random = prng(4);
  const good = tagsAndExportsInstance();
  instantiateSync(compileSync(good), {});
  let compiled = 0;
  for (let round = 0; round < 3000; round++) {
    const bytes = good.slice();
    const at = 8 + Math.floor(random() * (bytes.length - 8));
    bytes[at] = Math.floor(random() * 256);
    try {
      const m = compileSync(bytes);
      compiled++;
      instantiateSync(m, {}, { maxInstances: 100 });
    } catch (e) {
      assert(
        ALLOWED(e),
        `round ${round}: ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`,
      );
    }
  }
  assert(compiled > 50, `only ${compiled} mutants compiled`);
});

Deno.test("mutated artifacts with recomputed checksums never escape as raw errors", async () => {
  const random = prng(7);
  let loaded = 0;
  for (const text of SEEDS) {
    const good = (await compile(text)).serialize();
    for (let round = 0; round < 2000; round++) {
      const bytes = good.slice();
      const at = HEADER_SIZE + Math.floor(random() * (bytes.length - HEADER_SIZE));
      bytes[at] = Math.floor(random() * 256);
      // Recompute the checksum, so the mutation reaches the metadata checks.
      new DataView(bytes.buffer).setUint32(16, checksum(bytes.subarray(HEADER_SIZE)), true);
      try {
        const m = Module.deserialize(bytes);
        loaded++;
        instantiateSync(m, {}, { maxInstances: 100 });
      } catch (e) {
        assert(
          ALLOWED(e) || e instanceof ArtifactError,
          `round ${round}: ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`,
        );
      }
    }
  }
  assert(loaded > 50, `only ${loaded} mutants loaded`);
});
