/**
 * Interprets a WebAssembly script (`.wast`) in this thread: the commands of
 * the core spec suite plus the module-linking suite's convention that
 * `(module $name …)` is also importable as `name`. Every module goes through
 * mlink's own pipeline (text → parseWat → compile → instantiate), never
 * straight to `WebAssembly.*`, so the suites test mlink.
 *
 * Expected error *kinds* are always checked (CompileError/WatError for
 * invalid and malformed modules, LinkError for unlinkable ones, a trap for
 * uninstantiable ones). Expected message *texts* are checked as substrings
 * of our message only when `matchMessages` is on — for the module-linking
 * suite and our own scripts; the core suite's texts are the reference
 * interpreter's wording, which V8 and wabt do not share.
 *
 * `runner.ts` is the public entry: it runs this directly, or in a worker
 * that it can stop when a command takes too long.
 *
 * @module
 */

import { compile, compileSync } from "../api.ts";
import { CompileError, LinkError, WatError } from "../errors.ts";
import type { Instance } from "../runtime/instance.ts";
import { instantiateSync } from "../runtime/instantiate.ts";
import type { Module } from "../runtime/module.ts";
import { parseWat } from "../text/mod.ts";
import {
  readSExprs,
  type SAtom,
  type SExpr,
  type SList,
  SourceFile,
  stringValue,
} from "../text/sexpr.ts";
import { checkedCall } from "./checker.ts";
import { checkCommand, COMMANDS, MalformedCommand } from "./shape.ts";
import { spectest } from "./spectest.ts";
import {
  type ExternRef,
  headOf,
  jsValue,
  literalNumber,
  matchJs,
  show,
  typeOfConst,
} from "./values.ts";

/** Options of `runScript`. */
export interface RunOptions {
  /** Check expected error texts as substrings of our messages. */
  matchMessages?: boolean;
  /** Called for every command, passed or failed. */
  onCommand?: (result: CommandResult) => void;
  /**
   * Most milliseconds one command may take. With it, the script runs in a
   * worker that is stopped when a command overruns (see `runner.ts`);
   * without it, in this thread, with no limit.
   */
  timeoutMs?: number;
}

/** One command's outcome. */
export interface CommandResult {
  /** The script's file name, as given. */
  file: string;
  /** The 1-based line the command starts on. */
  line: number;
  /** The command's keyword (`assert_return`), or `script` for a script that cannot be read. */
  command: string;
  /** Whether it passed. */
  ok: boolean;
  /** Why it failed: expected X, got Y. */
  message?: string;
}

/** A whole script's outcome. */
export interface ScriptResult {
  /** Commands that passed. */
  passed: number;
  /** Commands that failed, malformed and timed-out ones included. */
  failed: number;
  /** The failed commands, in order. */
  failures: CommandResult[];
}

/** A command of the script, before it runs. */
export interface PlannedCommand {
  /** The 1-based line the command starts on. */
  line: number;
  /** The command's keyword. */
  command: string;
}

/**
 * How a worker drives {@linkcode runCommands}: what it learns as the script
 * runs, and which commands a restarted worker replays or leaves out.
 */
export interface Progress {
  /** Called once with every command of the script, in order. */
  onPlan?(commands: readonly PlannedCommand[]): void;
  /** Called before command `index` runs. */
  onStart?(index: number): void;
  /** Commands before this index run again without being reported (the replay after a restart). */
  replayUntil?: number;
  /** Commands not to run at all: the ones that timed out. */
  skip?: ReadonlySet<number>;
}

interface Entry {
  module: Module;
  instance: Instance;
}

/** Thrown inside the runner for a failed expectation. */
class Mismatch extends Error {}

const FLOATY = new Set(["f32", "f64", "v128"]);

function atomText(e: SExpr | undefined): string {
  return e?.type === "atom" ? e.text : "";
}

function errorName(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message.split("\n")[0]}` : String(e);
}

/** Stack exhaustion: V8's `RangeError`, or a trap that says so (mlink may map one to the other). */
function isExhaustion(e: unknown): boolean {
  return e instanceof RangeError ||
    (e instanceof WebAssembly.RuntimeError && /stack/i.test(e.message));
}

/**
 * Runs one script in this thread. Never throws for a failing command (it
 * is counted and reported), nor for a script that cannot be read (one
 * failure at the line of the fault).
 */
export async function runCommands(
  text: string,
  filename: string,
  options: RunOptions = {},
  progress: Progress = {},
): Promise<ScriptResult> {
  const file = new SourceFile(text, filename);
  const result: ScriptResult = { passed: 0, failed: 0, failures: [] };
  const replayUntil = progress.replayUntil ?? 0;
  const report = (r: CommandResult, index: number) => {
    if (index < replayUntil) return;
    if (r.ok) result.passed++;
    else {
      result.failed++;
      result.failures.push(r);
    }
    options.onCommand?.(r);
  };

  let forms: SExpr[];
  try {
    forms = readSExprs(text, filename);
  } catch (e) {
    const line = e instanceof WatError ? e.line : 1;
    progress.onPlan?.([{ line, command: "script" }]);
    progress.onStart?.(0);
    report({ file: filename, line, command: "script", ok: false, message: errorName(e) }, 0);
    return result;
  }

  // Own properties only: a module importing "constructor" finds nothing.
  const registered: Record<string, Instance> = Object.create(null);
  registered.spectest = await spectest();
  const named = new Map<string, Entry>();
  const externs = new Map<number, ExternRef>();
  let current: Entry | undefined;

  const moduleBytes = (form: SList): Promise<Uint8Array> =>
    parseWat(text, { filename, module: form });

  const define = async (form: SList): Promise<Entry> => {
    // Bytes from the text are a binary, even when they look like text.
    const module = compileSync(await moduleBytes(form));
    const instance = instantiateSync(module, registered);
    return { module, instance };
  };

  const target = (id: SExpr | undefined): Entry => {
    if (id?.type === "atom" && id.kind === "id") {
      const entry = named.get(id.text);
      if (!entry) throw new Mismatch(`unknown module ${id.text}`);
      return entry;
    }
    if (!current) throw new Mismatch("no module defined yet");
    return current;
  };

  /** Runs an action (its shape already checked); with `expected`, checks its results. */
  const act = async (action: SList, expected?: SList[]): Promise<void> => {
    const head = headOf(action);
    const hasId = action.items[1]?.type === "atom" && action.items[1].kind === "id";
    const entry = target(hasId ? action.items[1] : undefined);
    const name = stringValue(action.items[hasId ? 2 : 1] as SAtom, file);
    const descriptor = entry.module.exports().find((e) => e.name === name);
    const exported = Object.hasOwn(entry.instance.exports, name)
      ? entry.instance.exports[name]
      : undefined;
    if (head === "get") {
      if (descriptor?.kind !== "global" || !(exported instanceof WebAssembly.Global)) {
        throw new Mismatch(`no exported global ${JSON.stringify(name)}`);
      }
      if (expected) compareJs([exported.value], expected, name);
      return;
    }
    if (descriptor?.kind !== "func" || typeof exported !== "function") {
      throw new Mismatch(`no exported function ${JSON.stringify(name)}`);
    }
    const args = action.items.slice(hasId ? 3 : 2) as SList[];
    const params = descriptor.params!;
    const results = descriptor.results!;
    checkTypes("argument", args, params, name);
    if (expected) checkTypes("result", expected, results, name);
    if ([...params, ...results].some((t) => FLOATY.has(t))) {
      const checked = await checkedCall(exported, params, results, args, expected, text);
      if (checked.mismatch) throw new Mismatch(checked.mismatch);
      return;
    }
    const value = (exported as (...a: unknown[]) => unknown)(
      ...args.map((a) => jsValue(a, externs)),
    );
    if (expected) {
      compareJs(results.length === 1 ? [value] : (value as unknown[]) ?? [], expected, name);
    }
  };

  /** Constants must match the function's types in number and kind. */
  const checkTypes = (what: string, given: SList[], types: readonly string[], name: string) => {
    if (given.length !== types.length) {
      throw new Mismatch(
        `${name} takes ${types.length} ${what}(s) (${
          types.join(" ")
        }), the script gives ${given.length}`,
      );
    }
    given.forEach((c, i) => {
      if (typeOfConst(c) !== types[i]) {
        throw new Mismatch(
          `${what} ${i + 1} of ${name} is ${types[i]}, the script gives ${
            text.slice(c.start, c.end)
          }`,
        );
      }
    });
  };

  const compareJs = (got: unknown[], expected: SList[], name: string) => {
    if (got.length !== expected.length) {
      throw new Mismatch(`${name}: expected ${expected.length} results, got ${got.length}`);
    }
    expected.forEach((e, i) => {
      const head = headOf(e);
      if (head === "f32.const" || head === "f64.const") {
        // Only `get` of a float global lands here: compare as numbers.
        const lit = atomText(e.items[1]);
        const value = literalNumber(lit);
        const want = head === "f32.const" ? Math.fround(value) : value;
        if (lit.includes("nan") ? !Number.isNaN(got[i]) : !Object.is(got[i], want)) {
          throw new Mismatch(`expected ${lit}, got ${show(got[i])}`);
        }
        return;
      }
      if (!matchJs(got[i], e, externs)) {
        throw new Mismatch(
          `result ${i}: expected ${text.slice(e.start, e.end)}, got ${show(got[i])}`,
        );
      }
    });
  };

  /** Expects `run` to throw an error `accept` recognizes, with `message` in it when matching. */
  const expectError = async (
    run: () => Promise<unknown>,
    accept: (e: unknown) => boolean,
    what: string,
    message: string,
  ) => {
    try {
      await run();
    } catch (e) {
      if (e instanceof Mismatch) throw e;
      if (!accept(e)) throw new Mismatch(`expected ${what}, got ${errorName(e)}`);
      if (options.matchMessages && message && !(e as Error).message.includes(message)) {
        throw new Mismatch(`expected ${what} with "${message}", got ${errorName(e)}`);
      }
      return;
    }
    throw new Mismatch(`expected ${what} "${message}", but it succeeded`);
  };

  const isTrap = (e: unknown) => e instanceof WebAssembly.RuntimeError;
  const isInvalid = (e: unknown) => e instanceof CompileError || e instanceof WatError;

  // A file of bare module fields is one module (as `inline-module.wast` is).
  if (forms.length > 0 && !COMMANDS.has(headOf(forms[0]) ?? "")) {
    progress.onPlan?.([{ line: 1, command: "module" }]);
    if (progress.skip?.has(0)) return result;
    progress.onStart?.(0);
    let message: string | undefined;
    try {
      instantiateSync(await compile(text, { filename }), registered);
    } catch (e) {
      message = errorName(e);
    }
    report({ file: filename, line: 1, command: "module", ok: message === undefined, message }, 0);
    return result;
  }

  const plan = forms.map((form) => ({
    line: file.position(form.start).line,
    command: headOf(form) ?? (form.type === "atom" ? form.text : "?"),
  }));
  progress.onPlan?.(plan);
  for (const [index, form] of forms.entries()) {
    if (progress.skip?.has(index)) continue;
    progress.onStart?.(index);
    const { line, command } = plan[index];
    const record = (ok: boolean, message?: string) =>
      report({ file: filename, line, command, ok, message }, index);
    try {
      checkCommand(form);
      const list = form as SList;
      const arg = (i: number) => list.items[i] as SList;
      const message = () => {
        const a = list.items[2];
        return a?.type === "atom" ? stringValue(a, file) : "";
      };
      switch (command) {
        case "module": {
          const entry = await define(list);
          current = entry;
          const id = list.items[1];
          if (id?.type === "atom" && id.kind === "id") {
            named.set(id.text, entry);
            registered[id.text.slice(1)] = entry.instance;
          }
          break;
        }
        case "register":
          registered[stringValue(list.items[1] as SAtom, file)] = target(list.items[2]).instance;
          break;
        case "invoke":
        case "get":
          await act(list);
          break;
        case "assert_return":
          await act(arg(1), list.items.slice(2) as SList[]);
          break;
        case "assert_trap":
          await expectError(
            () => headOf(arg(1)) === "module" ? define(arg(1)) : act(arg(1)),
            isTrap,
            "a trap",
            message(),
          );
          break;
        case "assert_exhaustion":
          await expectError(() => act(arg(1)), isExhaustion, "stack exhaustion", message());
          break;
        case "assert_invalid":
        case "assert_malformed":
          await expectError(
            () => moduleBytes(arg(1)).then((b) => compileSync(b)),
            isInvalid,
            command === "assert_invalid" ? "an invalid module" : "a malformed module",
            message(),
          );
          break;
        case "assert_unlinkable":
          await expectError(
            () => define(arg(1)),
            (e) => e instanceof LinkError,
            "a link error",
            message(),
          );
          break;
        case "assert_uninstantiable":
          await expectError(() => define(arg(1)), isTrap, "a trap at instantiation", message());
          break;
        default:
          throw new Mismatch(`unknown command ${command}`);
      }
      record(true);
    } catch (e) {
      record(
        false,
        e instanceof Mismatch || e instanceof MalformedCommand ? e.message : errorName(e),
      );
    }
  }
  return result;
}
