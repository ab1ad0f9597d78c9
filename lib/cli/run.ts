/**
 * `mlink run`: runs a module like a runtime does. A WASI command gets its
 * arguments, environment and preopened directories and exits with its exit
 * code; any other module is instantiated and, with `--invoke`, one export
 * is called.
 *
 * @module
 */

import { baseName } from "../file_reader.ts";
import { instantiate } from "../runtime/instantiate.ts";
import type { Module } from "../runtime/module.ts";
import { initializeReactor, runCommand } from "../wasi/run.ts";
import { WASI_MODULE, wasiImports } from "../wasi/imports.ts";
import { nodeWasi } from "../wasi/node.ts";
import { fileErrorReason, loadModule } from "./input.ts";
import { formatResult, invokeExport } from "./invoke.ts";
import { type Args, type ArgsSpec, readArgs } from "./args.ts";
import { UsageError } from "./usage.ts";

/** What `mlink run` was asked to do. */
export interface RunRequest {
  file: string;
  /** Words after FILE: the program's arguments, or the `--invoke` call's. */
  args: string[];
  /** Preopened directories: guest path → host path. */
  preopens: Record<string, string>;
  env: Record<string, string>;
  preloads: { name: string; path: string }[];
  invoke?: string;
  /** `--no-fuse`: compile FILE and the preloads without fusion. */
  noFuse?: boolean;
}

/** The exit code of a run that trapped, as wasmtime's: 128 + SIGABRT. */
const TRAP_EXIT_CODE = 134;

/** `run`'s arguments: options, then FILE, then the words passed on. */
export const RUN_ARGS: ArgsSpec = {
  command: "run",
  options: {
    "--dir": { value: true, repeatable: true, emptyAllowed: true },
    "--env": { value: true, repeatable: true, emptyAllowed: true },
    "--preload": { value: true, repeatable: true, emptyAllowed: true },
    "--invoke": { value: true, emptyAllowed: true },
    "--no-fuse": { value: false },
  },
  operands: { name: "FILE", min: 1, max: 1, missing: "run needs a FILE" },
  passRest: true,
};

/**
 * Reads `run`'s arguments: options, then FILE, then the words passed on.
 * Unknown options, missing values and malformed ones are `UsageError`s.
 */
export function parseRunArgs(argv: readonly string[]): RunRequest {
  return runRequest(readArgs(argv, RUN_ARGS));
}

/** The request that `run`'s arguments make, each option's value checked. */
export function runRequest(args: Args): RunRequest {
  const request: RunRequest = {
    file: args.operands[0],
    args: [...args.rest],
    preopens: {},
    env: {},
    preloads: [],
  };
  for (const name of Object.keys(RUN_ARGS.options)) {
    for (const value of args.values(name)) applyOption(request, name, value);
  }
  return request;
}

function applyOption(request: RunRequest, name: string, value: string): void {
  switch (name) {
    case "--dir": {
      const cut = value.indexOf("::");
      const host = cut >= 0 ? value.slice(0, cut) : value;
      const guest = cut >= 0 ? value.slice(cut + 2) : value;
      if (host === "" || guest === "") {
        throw new UsageError(`--dir ${value}: expected HOST[::GUEST]`);
      }
      if (Object.hasOwn(request.preopens, guest)) {
        throw new UsageError(`--dir ${value}: ${guest} is preopened twice`);
      }
      request.preopens[guest] = host;
      return;
    }
    case "--env": {
      const cut = value.indexOf("=");
      if (cut <= 0) throw new UsageError(`--env ${value}: expected NAME=VALUE`);
      request.env[value.slice(0, cut)] = value.slice(cut + 1);
      return;
    }
    case "--preload": {
      const cut = value.indexOf("=");
      if (cut <= 0 || cut === value.length - 1) {
        throw new UsageError(`--preload ${value}: expected NAME=FILE`);
      }
      const preload = { name: value.slice(0, cut), path: value.slice(cut + 1) };
      if (preload.name === WASI_MODULE || request.preloads.some((p) => p.name === preload.name)) {
        throw new UsageError(`--preload ${value}: ${preload.name} is already provided`);
      }
      request.preloads.push(preload);
      return;
    }
    case "--invoke":
      if (value === "") throw new UsageError("--invoke needs an export name");
      request.invoke = value;
      return;
    case "--no-fuse":
      request.noFuse = true;
      return;
  }
}

/** What `run` writes: the CLI gives the console, tests may capture. */
export interface RunOutput {
  log(line: string): void;
  error(line: string): void;
}

const consoleOutput: RunOutput = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

/**
 * Carries out a {@linkcode RunRequest} and returns the process exit code:
 * the command's own, 0 after `--invoke` or listing exports, and
 * {@linkcode TRAP_EXIT_CODE} after a trap (its message on stderr).
 */
export async function runProgram(
  request: RunRequest,
  output: RunOutput = consoleOutput,
): Promise<number> {
  await checkPreopens(request.preopens);
  const load = { fuse: !request.noFuse };
  const module = await loadModule(request.file, load);
  const preloads = await Promise.all(
    request.preloads.map(async (p) => ({ ...p, module: await loadModule(p.path, load) })),
  );
  const imports: Record<string, unknown> = {};
  // WASI is set up only for programs that import it.
  if ([module, ...preloads.map((p) => p.module)].some(importsWasi)) {
    const program = baseName(request.file);
    const backend = await nodeWasi({
      args: request.invoke === undefined ? [program, ...request.args] : [program],
      env: request.env,
      preopens: request.preopens,
    });
    imports[WASI_MODULE] = wasiImports(backend);
  }
  try {
    const early = await preload(module, preloads, imports);
    if (early !== undefined) return early;
    const instance = await instantiate(module, imports);
    if (request.invoke !== undefined) {
      const code = initializeReactor(instance);
      if (code !== undefined) return code;
      output.log(formatResult(invokeExport(module, instance, request.invoke, request.args)));
      return 0;
    }
    if (module.exports().some((e) => e.name === "_start")) return runCommand(instance);
    if (request.args.length > 0) {
      throw new UsageError(
        `${request.file} is not a WASI command (no _start), so it takes no arguments; to call an export: run --invoke NAME FILE ARGS…`,
      );
    }
    const code = initializeReactor(instance);
    if (code !== undefined) return code;
    for (const e of module.exports()) output.log(`${e.kind} ${JSON.stringify(e.name)}: ${e.type}`);
    return 0;
  } catch (e) {
    if (!isTrap(e)) throw e;
    output.error(describeTrap(e as Error));
    return TRAP_EXIT_CODE;
  }
}

/**
 * Satisfies the top-level imports named by `--preload`, in order: a module
 * import with the module itself, anything else with an instance (which has
 * WASI and the earlier preloads, and is initialized if it is a reactor).
 * Returns an exit code if a reactor's initialization exited.
 */
async function preload(
  main: Module,
  preloads: readonly { name: string; path: string; module: Module }[],
  imports: Record<string, unknown>,
): Promise<number | undefined> {
  const modules = preloads.map((p) => p.module);
  for (const [i, p] of preloads.entries()) {
    const importers = [main, ...modules.slice(i + 1)];
    const wanted = importers.flatMap((m) => m.imports()).find((imp) => imp.module === p.name);
    if (wanted === undefined) {
      throw new UsageError(
        `--preload ${p.name}=${p.path}: nothing imports ${JSON.stringify(p.name)}`,
      );
    }
    if (wanted.kind === "module") {
      imports[p.name] = modules[i];
      continue;
    }
    const instance = await instantiate(modules[i], imports);
    const code = initializeReactor(instance);
    if (code !== undefined) return code;
    imports[p.name] = instance;
  }
  return undefined;
}

function importsWasi(module: Module): boolean {
  return module.imports().some((imp) => imp.module === WASI_MODULE);
}

async function checkPreopens(preopens: Record<string, string>): Promise<void> {
  for (const [guest, host] of Object.entries(preopens)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(host);
    } catch (e) {
      throw new UsageError(`--dir ${host}::${guest}: cannot open ${host}: ${fileErrorReason(e)}`);
    }
    if (!info.isDirectory) {
      throw new UsageError(`--dir ${host}::${guest}: ${host} is not a directory`);
    }
  }
}

/** A trap, or V8's stack overflow while wasm runs (which is a trap too). */
function isTrap(e: unknown): boolean {
  if (e instanceof WebAssembly.RuntimeError) return true;
  return e instanceof RangeError && /call stack/i.test(e.message) &&
    (e.stack ?? "").includes("wasm://");
}

/** The trap's message and the wasm frames of its stack, innermost first. */
function describeTrap(e: Error): string {
  const frames = (e.stack ?? "").split("\n").filter((l) => l.includes("wasm://")).slice(0, 12);
  const name = e instanceof RangeError
    ? "RuntimeError: call stack exhausted"
    : `${e.name}: ${e.message}`;
  return [`error: the program trapped: ${name}`, ...frames.map((f) => `    ${f.trim()}`)].join(
    "\n",
  );
}
