/**
 * Runs WebAssembly scripts (`.wast`): the commands of the core spec suite
 * plus the module-linking suite's convention that `(module $name …)` is
 * also importable as `name`. Every module goes through mlink's own pipeline
 * (text → parseWat → compile → instantiate), never straight to
 * `WebAssembly.*`, so the suites test mlink.
 *
 * Expected error *kinds* are always checked (CompileError/WatError for
 * invalid and malformed modules, LinkError for unlinkable ones, a trap for
 * uninstantiable ones). Expected message *texts* are checked as substrings
 * of our message only when `matchMessages` is on — for the module-linking
 * suite and our own scripts; the core suite's texts are the reference
 * interpreter's wording, which V8 and wabt do not share.
 *
 * @module
 */

import { compile } from "../api.ts";
import { CompileError, LinkError, WatError } from "../errors.ts";
import type { Instance } from "../runtime/instance.ts";
import { instantiateSync } from "../runtime/instantiate.ts";
import type { Module } from "../runtime/module.ts";
import { parseWat } from "../text/mod.ts";
import { readSExprs, type SExpr, type SList, SourceFile, stringValue } from "../text/sexpr.ts";
import { checkedCall } from "./checker.ts";
import { spectest } from "./spectest.ts";
import { type ExternRef, headOf, jsValue, matchJs, show } from "./values.ts";

/** Options of {@linkcode runScript}. */
export interface RunOptions {
  /** Check expected error texts as substrings of our messages. */
  matchMessages?: boolean;
  /** Called for every command, passed or failed. */
  onCommand?: (result: CommandResult) => void;
}

/** One command's outcome. */
export interface CommandResult {
  file: string;
  line: number;
  command: string;
  ok: boolean;
  /** Why it failed: expected X, got Y. */
  message?: string;
}

/** A whole script's outcome. */
export interface ScriptResult {
  passed: number;
  failed: number;
  failures: CommandResult[];
}

interface Entry {
  module: Module;
  instance: Instance;
}

/** Thrown inside the runner for a failed expectation. */
class Mismatch extends Error {}

const FLOATY = new Set(["f32", "f64", "v128"]);

const COMMANDS = new Set([
  "module",
  "register",
  "invoke",
  "get",
  "assert_return",
  "assert_trap",
  "assert_exhaustion",
  "assert_invalid",
  "assert_malformed",
  "assert_unlinkable",
  "assert_uninstantiable",
]);

function atomText(e: SExpr | undefined): string {
  return e?.type === "atom" ? e.text : "";
}

function errorName(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message.split("\n")[0]}` : String(e);
}

/** Runs one script; never throws for a failing command (it is counted and reported). */
export async function runScript(
  text: string,
  filename: string,
  options: RunOptions = {},
): Promise<ScriptResult> {
  const file = new SourceFile(text, filename);
  const result: ScriptResult = { passed: 0, failed: 0, failures: [] };
  const named = new Map<string, Entry>();
  const registered: Record<string, Instance> = { spectest: await spectest() };
  const externs = new Map<number, ExternRef>();
  let current: Entry | undefined;

  const imports = () => registered;

  const moduleBytes = (form: SList): Promise<Uint8Array> =>
    parseWat(text, { filename, module: form });

  const define = async (form: SList): Promise<Entry> => {
    const module = await compile(await moduleBytes(form));
    const instance = instantiateSync(module, imports());
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

  /** Runs an action; with `expected`, checks its results. Returns the results for JS-typed calls. */
  const act = async (action: SList, expected?: SList[]): Promise<void> => {
    const head = headOf(action);
    const hasId = action.items[1]?.type === "atom" &&
      (action.items[1] as { kind: string }).kind === "id";
    const entry = target(hasId ? action.items[1] : undefined);
    const nameAtom = action.items[hasId ? 2 : 1];
    const name = nameAtom?.type === "atom" ? stringValue(nameAtom, file) : "";
    if (head === "get") {
      const global = entry.instance.exports[name];
      const value = global instanceof WebAssembly.Global ? global.value : global;
      if (expected) compareJs([value], expected, entry, name);
      return;
    }
    const descriptor = entry.module.exports().find((e) => e.name === name);
    if (!descriptor || descriptor.kind !== "func") {
      throw new Mismatch(`no exported function ${JSON.stringify(name)}`);
    }
    const fn = entry.instance.exports[name];
    const args = action.items.slice(hasId ? 3 : 2) as SList[];
    const params = descriptor.params!;
    const results = descriptor.results!;
    if ([...params, ...results].some((t) => FLOATY.has(t))) {
      const checked = await checkedCall(fn, params, results, args, expected, text);
      if (checked.mismatch) throw new Mismatch(checked.mismatch);
      return;
    }
    const value = (fn as (...a: unknown[]) => unknown)(...args.map((a) => jsValue(a, externs)));
    if (expected) {
      compareJs(results.length === 1 ? [value] : (value as unknown[]) ?? [], expected, entry, name);
    }
  };

  const compareJs = (got: unknown[], expected: SList[], _entry: Entry, name: string) => {
    if (got.length !== expected.length) {
      throw new Mismatch(`${name}: expected ${expected.length} results, got ${got.length}`);
    }
    expected.forEach((e, i) => {
      const head = headOf(e);
      if (head === "f32.const" || head === "f64.const") {
        // Only `get` of a float global lands here: compare as numbers.
        const lit = atomText(e.items[1]);
        const want = head === "f32.const" ? Math.fround(Number(lit)) : Number(lit);
        if (lit.startsWith("nan") ? !Number.isNaN(got[i]) : !Object.is(got[i], want)) {
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

  const forms = readSExprs(text, filename);
  // A file of bare module fields is one module (as `inline-module.wast` is).
  if (forms.length > 0 && !COMMANDS.has(headOf(forms[0]) ?? "")) {
    try {
      await compile(text, { filename }).then((m) => instantiateSync(m, imports()));
      result.passed++;
    } catch (e) {
      result.failed++;
      result.failures.push({
        file: filename,
        line: 1,
        command: "module",
        ok: false,
        message: errorName(e),
      });
    }
    return result;
  }
  for (const form of forms) {
    if (form.type !== "list") continue;
    const command = headOf(form) ?? "?";
    const line = file.position(form.start).line;
    const record = (ok: boolean, message?: string) => {
      const r: CommandResult = { file: filename, line, command, ok, message };
      if (ok) result.passed++;
      else {
        result.failed++;
        result.failures.push(r);
      }
      options.onCommand?.(r);
    };
    try {
      const arg = (i: number) => form.items[i] as SList;
      const text1 = (i: number) => {
        const a = form.items[i];
        return a?.type === "atom" && a.kind === "string" ? stringValue(a, file) : "";
      };
      switch (command) {
        case "module": {
          const entry = await define(form);
          current = entry;
          const id = form.items[1];
          if (id?.type === "atom" && id.kind === "id") {
            named.set(id.text, entry);
            registered[id.text.slice(1)] = entry.instance;
          }
          break;
        }
        case "register": {
          const name = text1(1);
          registered[name] = target(form.items[2]).instance;
          break;
        }
        case "invoke":
        case "get":
          await act(form);
          break;
        case "assert_return":
          await act(arg(1), form.items.slice(2) as SList[]);
          break;
        case "assert_trap":
          await expectError(
            () => headOf(arg(1)) === "module" ? define(arg(1)) : act(arg(1)),
            isTrap,
            "a trap",
            text1(2),
          );
          break;
        case "assert_exhaustion":
          await expectError(
            () => act(arg(1)),
            (e) => e instanceof RangeError,
            "stack exhaustion",
            text1(2),
          );
          break;
        case "assert_invalid":
        case "assert_malformed":
          await expectError(
            () => moduleBytes(arg(1)).then((b) => compile(b)),
            isInvalid,
            command === "assert_invalid" ? "an invalid module" : "a malformed module",
            text1(2),
          );
          break;
        case "assert_unlinkable":
          await expectError(
            () => define(arg(1)),
            (e) => e instanceof LinkError,
            "a link error",
            text1(2),
          );
          break;
        case "assert_uninstantiable":
          await expectError(() => define(arg(1)), isTrap, "a trap at instantiation", text1(2));
          break;
        default:
          throw new Mismatch(`unknown command ${command}`);
      }
      record(true);
    } catch (e) {
      record(false, e instanceof Mismatch ? e.message : errorName(e));
    }
  }
  return result;
}
