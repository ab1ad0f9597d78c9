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
