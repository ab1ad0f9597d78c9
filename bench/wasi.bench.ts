/**
 * WASI — a system call through mlink against the same WASI library (Deno's
 * node:wasi) linked to plain V8 by hand: the cost of binding each call to
 * its caller's memory. A wasm loop makes 1,000 `fd_write`s of one byte to
 * /dev/null, so the work is node:wasi's and the kernel's on both sides.
 *
 * Lua cold start — the real interpreter, from its artifact against from
 * its binary.
 *
 * link — `link()` of the fixtures, against decoding its inputs.
 *
 * `wasi_interleaved.ts` alternates the two sides of the first two groups in
 * one process and prints medians and spreads.
 */

import { link } from "../mod.ts";
import { decode } from "../lib/binary/decode.ts";
import { CALLS, luaColdStart, wasiCalls } from "./wasi_workloads.ts";

// A full GC before each Lua run: each leaves a 2 MB memory and tier-up work
// behind, which the other side would otherwise pay for.
const exposedGc = (globalThis as { gc?: () => void }).gc;

{
  const { byHand, throughMlink } = await wasiCalls();
  const group = `WASI fd_write (×${CALLS})`;
  Deno.bench({ name: "node:wasi linked by hand", group, baseline: true, fn: byHand });
  Deno.bench({ name: "mlink runWasi's imports", group, fn: throughMlink });
}

{
  const { fromBinary, fromArtifact } = await luaColdStart();
  for (
    const [name, side, baseline] of [
      ["from lua.wasm: compile + run", fromBinary, true],
      ["from lua.mlk: deserialize + run", fromArtifact, false],
    ] as const
  ) {
    Deno.bench({
      name,
      group: "Lua cold start",
      baseline,
      async fn(b) {
        side.prepare();
        exposedGc?.();
        b.start();
        await side.run();
        b.end();
      },
    });
  }
}

// `link` decodes and type-checks every input, plans the order and encodes
// the output; the baseline is decoding the same inputs, which it cannot do
// without.
for (
  const [label, main, libs] of [
    ["main2 + greeter", "main2", ["greeter"]],
    ["lua", "lua", []],
  ] as const
) {
  const read = (name: string) =>
    Deno.readFileSync(new URL(`../tests/fixtures/wasi/${name}.wasm`, import.meta.url));
  const mainInput = { name: `${main}.wasm`, bytes: read(main) };
  const libInputs = libs.map((name) => ({ name, bytes: read(name) }));
  const group = `link ${label}`;
  Deno.bench({
    name: "decode the inputs",
    group,
    baseline: true,
    fn: () => [mainInput, ...libInputs].forEach((input) => decode(input.bytes)),
  });
  Deno.bench({ name: "link()", group, fn: () => void link(mainInput, libInputs) });
}
