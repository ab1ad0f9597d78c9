/**
 * WASI — a system call through mlink against the same WASI library (Deno's
 * node:wasi) linked to plain V8 by hand: the cost of binding each call to
 * its caller's memory. A wasm loop makes 1,000 `fd_write`s of one byte to
 * /dev/null, so the work is node:wasi's and the kernel's on both sides.
 *
 * Lua cold start — the real interpreter, from its artifact against from
 * its binary.
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

// A full GC before each Lua run: each leaves a 2 MB memory and tier-up work
// behind, which the other side would otherwise pay for.
const exposedGc = (globalThis as { gc?: () => void }).gc;

const CALLS = 1000;
const text = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\10\\00\\00\\00\\01\\00\\00\\00") (data (i32.const 16) "x")
  (func (export "loop") (param $n i32)
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`;

const devNull = fs.openSync("/dev/null", "w");
type Loop = (n: number) => void;

// By hand: node:wasi's import object, one memory bound once.
const emitWarning = process.emitWarning;
process.emitWarning = () => {};
const wasi = new WASI({ version: "preview1", stdout: devNull, returnOnExit: true });
process.emitWarning = emitWarning;
const core = new WebAssembly.Instance(
  new WebAssembly.Module(await parseWat(text) as Uint8Array<ArrayBuffer>),
  wasi.getImportObject() as WebAssembly.Imports,
);
(wasi as unknown as { finalizeBindings(i: object): void }).finalizeBindings(core);
const byHand = core.exports.loop as Loop;

// mlink: the same module compiled and instantiated, WASI bound per caller.
const module = await compile(text);
const instance = instantiateSync(module, {
  wasi_snapshot_preview1: wasiImports(await nodeWasi({ stdout: devNull })),
});
const throughMlink = instance.exports.loop as Loop;

const group = `WASI fd_write (×${CALLS})`;
Deno.bench({ name: "node:wasi linked by hand", group, baseline: true, fn: () => byHand(CALLS) });
Deno.bench({ name: "mlink runWasi's imports", group, fn: () => throughMlink(CALLS) });

// --- Lua cold start: artifact against binary --------------------------------
// From the bytes on disk to the script's end: `lua -e "…"` compiled from its
// binary (decode, validate, split, V8 compile) against loaded from its
// artifact (checksum, metadata, V8 compile), both as `cli.ts run` does it:
// V8's synchronous compile, which compiles function bodies lazily. (The
// asynchronous compile of `loadArtifact` queues behind the background
// tier-up jobs of earlier iterations here, and measured 2–4× slower.) A nonce in a custom section,
// rewritten before every iteration, keeps V8's in-process cache out of it.
{
  const luaPath = new URL("../tests/fixtures/wasi/lua.wasm", import.meta.url);
  const binary = withNonceSection(await Deno.readFile(luaPath));
  const binaryNonces = nonceOffsets(binary);
  const artifact = (await compile(binary)).serialize();
  const artifactNonces = nonceOffsets(artifact);
  const args = ["lua", "-e", "local t = {} for i = 1, 100 do t[i] = i * i end"];
  const exitCode = (code: number) => {
    if (code !== 0) throw new Error(`lua exited with ${code}`);
  };
  let nonce = 0;
  const group = "Lua cold start";
  Deno.bench({
    name: "from lua.wasm: compile + run",
    group,
    baseline: true,
    async fn(b) {
      writeNonce(binary, binaryNonces, ++nonce);
      exposedGc?.();
      b.start();
      exitCode(await runWasi(await compile(binary), { args, stdout: devNull }));
      b.end();
    },
  });
  Deno.bench({
    name: "from lua.mlk: deserialize + run",
    group,
    async fn(b) {
      writeArtifactNonce(artifact, artifactNonces, ++nonce);
      exposedGc?.();
      b.start();
      exitCode(await runWasi(deserialize(artifact), { args, stdout: devNull }));
      b.end();
    },
  });
}
