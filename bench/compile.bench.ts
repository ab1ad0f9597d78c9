/**
 * Group 4 — compile: binary → compiled blob (decode, validate, split;
 * V8's own compile excluded) at three sizes. The baseline of each size is
 * decoding alone, so the ratio is what validation and splitting add; the
 * times across sizes show that the cost grows linearly with the input.
 * Text: module-linking text → binary against wabt's `parseWat` of an
 * equivalent core-only text.
 */

import { compileBinary } from "../lib/compile/mod.ts";
import { decode } from "../lib/binary/decode.ts";
import { parseWat } from "../mod.ts";
import { binary, coreOnlyText, SIZES, sizesToRun, wide, wideText } from "./workloads.ts";

for (const size of sizesToRun()) {
  const bytes = binary(wide(500, SIZES[size]));
  const mb = (bytes.length / 1024 / 1024).toFixed(2);
  Deno.bench({
    name: `decode only ${size} (${mb} MB)`,
    group: `compile binary ${size}`,
    baseline: true,
    fn: () => void decode(bytes),
  });
  Deno.bench({
    name: `compile ${size} (${mb} MB): decode + validate + split`,
    group: `compile binary ${size}`,
    fn: () => void compileBinary(bytes),
  });
}

// Text: the wide shape as module-linking text, against the same functions as
// one core module parsed by wabt directly (what any text pipeline must pay).
{
  const wabt = await (await import("wabt")).default();
  const features = {
    multi_value: true,
    bulk_memory: true,
    reference_types: true,
    simd: true,
  };
  for (const size of sizesToRun()) {
    const text = wideText(200, SIZES[size] / 4);
    const core = coreOnlyText(200, SIZES[size] / 4);
    const kb = (text.length / 1024).toFixed(0);
    Deno.bench({
      name: `wabt parseWat, core-only (${(core.length / 1024).toFixed(0)} KB)`,
      group: `text ${size}`,
      baseline: true,
      fn() {
        const m = wabt.parseWat("core.wat", core, features);
        m.toBinary({});
        m.destroy();
      },
    });
    Deno.bench({
      name: `mlink parseWat, module-linking (${kb} KB)`,
      group: `text ${size}`,
      fn: async () => void await parseWat(text),
    });
  }
}
