/**
 * Self-contained ES modules for deploys: {@linkcode buildEsm} turns an
 * artifact into the text of one ES module that embeds it together with the
 * part of the loader it needs. The module imports nothing, needs no
 * permissions, and runs wherever ES modules and WebAssembly do (Deno,
 * browsers, workers, Node).
 *
 * How it is built: a generated entry module imports `lib/loader.ts`,
 * resolved from this file's own URL (so it also works when mlink is
 * imported over https: the bundler fetches the loader from there), and is
 * bundled and minified by `deno bundle`. That is Deno's own bundler, with
 * esbuild underneath: no new dependency, tree shaking drops what the entry
 * does not use (the on-disk cache), and the output is the same bytes for the
 * same artifact and Deno, wherever mlink was loaded from.
 *
 * The artifact is embedded as base64. Its 4/3 size is the cost, and what it
 * buys: plain ASCII that needs no escaping in a string literal, and a native
 * decoder (`Uint8Array.fromBase64`, with `atob` where that is missing) so
 * decoding costs next to nothing at import. A raw byte string would be larger
 * in UTF-8 (every byte from 0x80 up takes two) and need a JS decoding loop;
 * base85 would save 6 % more but need a hand-written decoder; compressing
 * first would need the asynchronous `DecompressionStream` at import, and HTTP
 * compression already shrinks the base64 text on the wire.
 *
 * The artifact is deserialized when the module is imported: that checks it
 * and builds the runtime's tables but compiles no core module (V8 compiles
 * each on its first instantiation), so it costs little even for large
 * programs.
 *
 * @example
 * ```ts
 * import { compile } from "../../mod.ts";
 * import { buildEsm } from "./esm.ts";
 * const module = await compile(`(module (func (export "f") (result i32) i32.const 7))`);
 * const text = await buildEsm(module.serialize(), { source: "app.mlk" });
 * // Write `text` to app.js; then, with no permissions:
 * //   import { instantiate } from "./app.js";
 * //   const { exports } = await instantiate();
 * ```
 *
 * @module
 */

import { ArtifactError } from "../errors.ts";
import { Module } from "../runtime/module.ts";
import { bundle } from "./esm_bundle.ts";

export { BundleError } from "./esm_bundle.ts";

/** Options of {@linkcode buildEsm}. */
export interface EsmOptions {
  /**
   * Names the artifact in error messages, both when building and in the
   * generated module (`app.mlk: checksum mismatch: …`).
   */
  source?: string;
}

/**
 * Builds one self-contained ES module from an artifact (`Module.serialize()`
 * bytes) and returns its text. The module imports nothing and exports:
 *
 * - `module`: the artifact's `Module`, deserialized when the module is
 *   imported (core modules compile on first instantiation);
 * - `instantiate(imports?, options?)`: `Promise<Instance>`, and
 *   `instantiateSync(imports?, options?)`: the loader's `instantiate` and
 *   `instantiateSync` applied to `module`;
 * - `Module`, `Instance`, `ArtifactError`, `CompileError`, `LinkError`: the
 *   bundle's own classes, to test results and errors with `instanceof` (they
 *   are not the classes of `mod.ts`, so its `module` is not `instanceof`
 *   `mod.ts`'s `Module`).
 *
 * The artifact is checked first: a truncated, corrupt or foreign one is an
 * `ArtifactError`, and a bundler failure a {@linkcode BundleError} with the
 * bundler's stderr. Runs `deno bundle` in a child process, so it needs
 * `--allow-run`, `--allow-read` and `--allow-write` (a temporary directory,
 * removed afterwards).
 *
 * @param artifact The artifact's bytes.
 * @param options `source` names the artifact in error messages.
 * @returns The text of the ES module.
 *
 * @example
 * ```ts
 * import { compile } from "../../mod.ts";
 * import { buildEsm } from "./esm.ts";
 * const module = await compile(`(module
 *   (import "env" "log" (func $log (param i32)))
 *   (func (export "run") i32.const 42 call $log))`);
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/app.js`, await buildEsm(module.serialize()));
 * const app = await import(`file://${dir}/app.js`);
 * const instance = await app.instantiate({ env: { log: console.log } });
 * instance.exports.run(); // 42
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildEsm(artifact: Uint8Array, options: EsmOptions = {}): Promise<string> {
  if (options === null || typeof options !== "object") {
    throw new ArtifactError(
      `buildEsm options must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const { source } = options;
  if (source !== undefined && typeof source !== "string") {
    throw new ArtifactError(`the source option must be a string, got ${typeof source}`);
  }
  // Every check the generated module will make at import, made now.
  Module.deserialize(artifact, source);
  const loader = new URL("../loader.ts", import.meta.url);
  return await bundle(entrySource(loader, artifact.toBase64(), source), {
    allowImport: loader.protocol === "file:" ? [] : [loader.host],
  });
}

/** The generated entry module that `deno bundle` turns into the output. */
function entrySource(loader: URL, base64: string, source: string | undefined): string {
  const from = JSON.stringify(loader.href);
  const name = source === undefined ? "undefined" : JSON.stringify(source);
  return `import { deserialize, instantiate as link, instantiateSync as linkSync } from ${from};
export { ArtifactError, CompileError, Instance, LinkError, Module } from ${from};
const text = "${base64}";
const bytes = typeof Uint8Array.fromBase64 === "function"
  ? Uint8Array.fromBase64(text)
  : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
export const module = deserialize(bytes, ${name});
export function instantiate(imports, options) {
  return link(module, imports, options);
}
export function instantiateSync(imports, options) {
  return linkSync(module, imports, options);
}
`;
}
