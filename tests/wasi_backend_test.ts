/**
 * The WASI backend is pluggable: the in-memory `@bjorn3/browser_wasi_shim`
 * (no file system, for tests or browsers) runs the same C programs through
 * the same adapter, each call on its caller's memory.
 */

import { assertEquals } from "@std/assert";
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI } from "@bjorn3/browser_wasi_shim";
import {
  compile,
  initializeReactor,
  instantiate,
  runCommand,
  runWasi,
  type WasiBackend,
  wasiImports,
} from "../mod.ts";

const fixtures = new URL("./fixtures/wasi/", import.meta.url).pathname;

/** A shim WASI whose stdout and stderr are collected as text. */
function shim(args: string[], preopens: PreopenDirectory[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const wasi = new WASI(args, [], [
    new OpenFile(new File([])),
    ConsoleStdout.lineBuffered((line) => out.push(line)),
    ConsoleStdout.lineBuffered((line) => err.push(line)),
    ...preopens,
  ]);
  const backend: WasiBackend = {
    imports: wasi.wasiImport as unknown as WasiBackend["imports"],
    useMemory(memory) {
      wasi.inst = { exports: { memory } } as never;
    },
  };
  return { backend, out, err };
}

async function program(name: string) {
  return await compile(await Deno.readFile(`${fixtures}${name}.wasm`));
}

Deno.test("browser_wasi_shim runs hello through runWasi", async () => {
  const { backend, out } = shim(["hello", "x"]);
  assertEquals(await runWasi(await program("hello"), { backend }), 0);
  assertEquals(out, ["hello from C", "argc=2", "argv[0]=hello", "argv[1]=x", "GREETING unset"]);
});

Deno.test("browser_wasi_shim: files in an in-memory preopen, and `..` cannot climb out", async () => {
  const data = new PreopenDirectory(
    "/data",
    new Map([["in.txt", new File(new TextEncoder().encode("ab\ncd\n"))]]),
  );
  const { backend, out } = shim(["files", "/data/in.txt", "/data/out.txt"], [data]);
  assertEquals(await runWasi(await program("files"), { backend }), 0);
  assertEquals(out, ["read 6 bytes, 2 lines", "wrote /data/out.txt"]);
  const written = data.dir.contents.get("out.txt") as File;
  assertEquals(new TextDecoder().decode(written.data), "AB\nCD\n");
  const escape = shim(["files", "/data/../in.txt", "/data/o"], [
    new PreopenDirectory("/data", new Map([["x", new File([])]])),
  ]);
  assertEquals(await runWasi(await program("files"), { backend: escape.backend }), 2);
  assertEquals(escape.err.length, 1);
});

Deno.test("browser_wasi_shim: two C modules, two memories, one WASI, both print", async () => {
  const { backend, out } = shim(["main2"]);
  const wasi = wasiImports(backend);
  const greeter = await instantiate(await program("greeter"), { wasi_snapshot_preview1: wasi });
  assertEquals(initializeReactor(greeter), undefined);
  const main = await instantiate(await program("main2"), { wasi_snapshot_preview1: wasi, greeter });
  assertEquals(runCommand(main), 3);
  assertEquals(out, [
    "main: calling greeter",
    "greeter: hello #1 (ready=1)",
    "greeter: hello #2 (ready=1)",
    "greeter: hello #3 (ready=1)",
    "main: greeter said 3 times",
  ]);
});
