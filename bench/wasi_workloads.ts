/**
 * The WASI workloads, shared by `wasi.bench.ts` (Deno.bench groups) and
 * `wasi_interleaved.ts` (the two sides alternated in one process, for
 * medians and spreads).
 *
 * @module
 */

import fs from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";
import {
  compile,
  deserialize,
  instantiateSync,
  nodeWasi,
  parseWat,
  runWasi,
  wasiImports,
} from "../mod.ts";
import { nonceOffsets, withNonceSection, writeArtifactNonce, writeNonce } from "./nonce.ts";

/** fd_write calls per iteration of the WASI call workload. */
export const CALLS = 1000;

const loopText = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\10\\00\\00\\00\\01\\00\\00\\00") (data (i32.const 16) "x")
  (func (export "loop") (param $n i32)
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`;

const devNull = fs.openSync("/dev/null", "w");

type Loop = (n: number) => void;

/**
 * A wasm loop of one-byte `fd_write`s to /dev/null: by hand (node:wasi's
 * import object, one memory bound once, plain V8) and through mlink (the
 * same module compiled and instantiated, WASI bound per caller).
 */
export async function wasiCalls(): Promise<{ byHand: () => void; throughMlink: () => void }> {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  const wasi = new WASI({ version: "preview1", stdout: devNull, returnOnExit: true });
  process.emitWarning = emitWarning;
  const core = new WebAssembly.Instance(
    new WebAssembly.Module(await parseWat(loopText) as Uint8Array<ArrayBuffer>),
    wasi.getImportObject() as WebAssembly.Imports,
  );
  (wasi as unknown as { finalizeBindings(i: object): void }).finalizeBindings(core);
  const byHand = core.exports.loop as Loop;
  const instance = instantiateSync(await compile(loopText), {
    wasi_snapshot_preview1: wasiImports(await nodeWasi({ stdout: devNull })),
  });
  const throughMlink = instance.exports.loop as Loop;
  return { byHand: () => byHand(CALLS), throughMlink: () => throughMlink(CALLS) };
}

/**
 * The Lua interpreter's cold start, from the bytes to the script's end:
 * compiled from its binary (decode, validate, split, V8 compile) or loaded
 * from its artifact (checksum, metadata, V8 compile), both as `cli.ts run`
 * does it: V8's synchronous compile, which compiles function bodies lazily.
 * (`loadArtifact`'s asynchronous compile queues behind the background
 * tier-up jobs of earlier iterations in one process, and measured 2–4×
 * slower here.) Each `prepare` writes a new nonce into a custom section,
 * outside the timed region, so that V8's in-process cache never answers.
 */
export async function luaColdStart(): Promise<{
  fromBinary: { prepare(): void; run(): Promise<void> };
  fromArtifact: { prepare(): void; run(): Promise<void> };
}> {
  const luaPath = new URL("../tests/fixtures/wasi/lua.wasm", import.meta.url);
  const binary = withNonceSection(await Deno.readFile(luaPath));
  const binaryNonces = nonceOffsets(binary);
  const artifact = (await compile(binary)).serialize();
  const artifactNonces = nonceOffsets(artifact);
  const args = ["lua", "-e", "local t = {} for i = 1, 100 do t[i] = i * i end"];
  const expectZero = (code: number) => {
    if (code !== 0) throw new Error(`lua exited with ${code}`);
  };
  let nonce = 0;
  return {
    fromBinary: {
      prepare: () => writeNonce(binary, binaryNonces, ++nonce),
      run: async () => expectZero(await runWasi(await compile(binary), { args, stdout: devNull })),
    },
    fromArtifact: {
      prepare: () => writeArtifactNonce(artifact, artifactNonces, ++nonce),
      run: async () => expectZero(await runWasi(deserialize(artifact), { args, stdout: devNull })),
    },
  };
}
