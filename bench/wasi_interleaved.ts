/**
 * The WASI benches with the two sides alternated in one process: a GC
 * before every timed region, then medians and the 10th–90th percentile
 * spread of each side and of the per-round ratio (mlink ÷ baseline).
 *
 *     deno run -A --v8-flags=--expose-gc bench/wasi_interleaved.ts [ROUNDS]
 *
 * @module
 */

import { luaColdStart, wasiCalls } from "./wasi_workloads.ts";

const gc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
const rounds = Number(Deno.args[0] ?? 200);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function report(label: string, baseline: number[], mlink: number[]): void {
  const ratios = mlink.map((m, i) => m / baseline[i]).sort((a, b) => a - b);
  const show = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${percentile(s, 0.5).toFixed(3)} ms (p10 ${
      percentile(s, 0.1).toFixed(3)
    } … p90 ${percentile(s, 0.9).toFixed(3)})`;
  };
  console.log(`${label}, ${baseline.length} rounds`);
  console.log(`  baseline: ${show(baseline)}`);
  console.log(`  mlink:    ${show(mlink)}`);
  console.log(
    `  ratio:    median ${percentile(ratios, 0.5).toFixed(3)} (p10 ${
      percentile(ratios, 0.1).toFixed(3)
    } … p90 ${percentile(ratios, 0.9).toFixed(3)})`,
  );
}

async function time(body: () => unknown, major: boolean): Promise<number> {
  gc!(major ? undefined : { type: "minor" });
  const start = performance.now();
  await body();
  return performance.now() - start;
}

{
  const { byHand, throughMlink } = await wasiCalls();
  for (let i = 0; i < 50; i++) byHand(), throughMlink(); // warm up both
  const baseline: number[] = [];
  const mlink: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first, so neither always follows the other.
    if (i % 2 === 0) {
      baseline.push(await time(byHand, false));
      mlink.push(await time(throughMlink, false));
    } else {
      mlink.push(await time(throughMlink, false));
      baseline.push(await time(byHand, false));
    }
  }
  report("WASI fd_write ×1000", baseline, mlink);
}

{
  const { fromBinary, fromArtifact } = await luaColdStart();
  const baseline: number[] = [];
  const mlink: number[] = [];
  const luaRounds = Math.max(10, Math.floor(rounds / 4));
  for (let i = 0; i < luaRounds; i++) {
    const sides = [[fromBinary, baseline], [fromArtifact, mlink]] as const;
    for (const [side, into] of i % 2 === 0 ? sides : [...sides].reverse()) {
      side.prepare();
      into.push(await time(side.run, true));
    }
  }
  report("Lua cold start (artifact ÷ binary)", baseline, mlink);
}
