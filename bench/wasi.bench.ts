/**
 * WASI — a system call through mlink against the same WASI library (Deno's
 * node:wasi) linked to plain V8 by hand: the cost of binding each call to
 * its caller's memory. A wasm loop makes 1,000 `fd_write`s of one byte to
 * /dev/null, so the work is node:wasi's and the kernel's on both sides.
 */

import fs from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";
import { compile, instantiateSync, nodeWasi, parseWat, wasiImports } from "../mod.ts";

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
