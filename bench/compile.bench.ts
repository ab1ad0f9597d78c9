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
import { binary, coreOnlyText, quickMode, SIZES, sizesToRun, wide, wideText } from "./workloads.ts";

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
  // Small, 1 MB and 10 MB of code as text; in full mode also the 5 MB text
  // file of the text issue: 300 nested modules, about 20,000 functions.
  const cases: [string, string, string][] = sizesToRun().map((size) => [
    `text ${size}`,
    wideText(200, SIZES[size] / 4),
    coreOnlyText(200, SIZES[size] / 4),
  ]);
  if (!quickMode()) {
    cases.push([
      "text 5 MB file",
      wideText(300, 3_400_000, 170),
      coreOnlyText(300, 3_400_000, 170),
    ]);
  }
  for (const [group, text, core] of cases) {
    const kb = (text.length / 1024).toFixed(0);
    Deno.bench({
      name: `wabt parseWat, core-only (${(core.length / 1024).toFixed(0)} KB)`,
      group,
      baseline: true,
      fn() {
        const m = wabt.parseWat("core.wat", core, features);
        m.toBinary({});
        m.destroy();
      },
    });
    Deno.bench({
      name: `mlink parseWat, module-linking (${kb} KB)`,
      group,
      fn: async () => void await parseWat(text),
    });
  }
}
