/**
 * Builds `dist/loader.js`: `lib/loader.ts` and every module it imports,
 * bundled by `deno bundle` (Deno's own bundler, esbuild underneath) into one
 * minified ES module that exports everything `lib/loader.ts` exports and
 * imports nothing. A deploy can copy that one file. The output is
 * deterministic, and a test rebuilds it to check that the committed file is
 * current.
 *
 * ```sh
 * deno run -A dist/build.ts          # writes dist/loader.js
 * deno run -A dist/build.ts OUTDIR   # writes OUTDIR/loader.js
 * ```
 *
 * No `loader.d.ts`: `deno bundle --declaration` (Deno 2.9) concatenates the
 * modules' declarations with their relative `import type`s left in, so the
 * file does not type-check on its own.
 *
 * @module
 */

import { bundle } from "../lib/deploy/esm_bundle.ts";

// The ignore comments keep `deno fmt` and `deno lint` off generated code.
// The Deno version is recorded because its bundler's output can change
// between versions: the staleness test compares only like with like.
const BANNER = `// deno-fmt-ignore-file
// deno-lint-ignore-file
// Generated from lib/loader.ts by \`deno run -A dist/build.ts\`. Do not edit: rebuild.
// Built with Deno ${Deno.version.deno}.
`;

/**
 * The text of `dist/loader.js`: the bundled, minified `lib/loader.ts`.
 *
 * @returns The module's source text.
 *
 * @example
 * ```ts
 * import { buildLoaderBundle } from "./build.ts";
 * const text = await buildLoaderBundle();
 * ```
 */
export async function buildLoaderBundle(): Promise<string> {
  const loader = new URL("../lib/loader.ts", import.meta.url);
  return BANNER + await bundle(`export * from ${JSON.stringify(loader.href)};\n`);
}

if (import.meta.main) {
  const out = Deno.args[0] === undefined
    ? new URL("loader.js", import.meta.url)
    : `${Deno.args[0]}/loader.js`;
  await Deno.writeTextFile(out, await buildLoaderBundle());
}
