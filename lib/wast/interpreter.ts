/**
 * The commands of a WebAssembly script (`.wast`), one method each: the core
 * spec suite's, plus the module-linking suite's convention that
 * `(module $name …)` is also importable as `name`. Every module goes through
 * mlink's own pipeline (text → parseWat → compile → instantiate), never
 * straight to `WebAssembly.*`, so the suites test mlink.
 *
 * Expected error *kinds* are always checked (CompileError/WatError for
 * invalid and malformed modules, LinkError for unlinkable ones, a trap for
 * uninstantiable ones, a `WebAssembly.Exception` for an uncaught wasm
 * exception). Expected message *texts* are checked as substrings
 * of our message only when `matchMessages` is on — for the module-linking
 * suite and our own scripts; the core suite's texts are the reference
 * interpreter's wording, which V8 and wabt do not share.
 *
 * @module
 */

import { compile, compileSync } from "../api.ts";
import { CompileError, LinkError, WatError } from "../errors.ts";
import { unreachable } from "../ir.ts";
import { validateSync } from "../validate.ts";
import type { Instance } from "../runtime/instance.ts";
import { instantiateSync } from "../runtime/instantiate.ts";
import type { Module } from "../runtime/module.ts";
import { isWasmException } from "../runtime/tag.ts";
import { parseWat } from "../text/mod.ts";
import { type SAtom, type SExpr, type SList, type SourceFile, stringValue } from "../text/sexpr.ts";
import { checkedCall } from "./checker.ts";
import { atomText, firstAtomText } from "./forms.ts";
import { checkCommand, MalformedCommand } from "./shape.ts";
import { constantType, type ExternRef, jsValue, literalNumber, matchJs, show } from "./values.ts";

/** A module the script defined, and its instance. */
interface Entry {
  module: Module;
  instance: Instance;
}

/** Thrown for a failed expectation. */
class Mismatch extends Error {}

/** Value types that cannot cross JS exactly: calls with them go through `checker.ts`. */
const CHECKED_TYPES: ReadonlySet<string> = new Set(["f32", "f64", "v128"]);

function errorName(e: unknown): string {
  if (isWasmException(e)) return "an uncaught wasm exception (WebAssembly.Exception)";
  return e instanceof Error ? `${e.name}: ${e.message.split("\n")[0]}` : String(e);
}

/** What a failed command reports: our own messages as they are, other errors with their name. */
export function failureMessage(e: unknown): string {
  return e instanceof Mismatch || e instanceof MalformedCommand ? e.message : errorName(e);
}

const isTrap = (e: unknown) => e instanceof WebAssembly.RuntimeError;

const isInvalid = (e: unknown) => e instanceof CompileError || e instanceof WatError;

const isLinkError = (e: unknown) => e instanceof LinkError;

/** Stack exhaustion: V8's `RangeError`, or a trap that says so (mlink may map one to the other). */
function isExhaustion(e: unknown): boolean {
  return e instanceof RangeError ||
    (e instanceof WebAssembly.RuntimeError && /stack/i.test(e.message));
}

/**
 * Runs the commands of one script, in order, keeping what they define: the
 * modules by name, the current module, the instances registered for import
 * and the `ref.extern` values. A command that fails throws; see
 * {@linkcode failureMessage} for what to report.
 */
export class ScriptInterpreter {
  readonly #file: SourceFile;
  readonly #matchMessages: boolean;
  readonly #transform: ((binary: Uint8Array) => Uint8Array) | undefined;
  /** Importable instances by name; own properties only: a module importing "constructor" finds nothing. */
  readonly #registered: Record<string, Instance>;
  readonly #named = new Map<string, Entry>();
  readonly #externs = new Map<number, ExternRef>();
  #current: Entry | undefined;
  readonly #fuse: boolean;
  #fused: boolean | undefined;

  /** Whether the module the last command defined was fused; `undefined` when it defined none. */
  takeFused(): boolean | undefined {
    const fused = this.#fused;
    this.#fused = undefined;
    return fused;
  }

  #compiled(module: Module): Module {
    this.#fused = module.fusion().fused;
    return module;
  }

  /**
   * An interpreter for script `file`. `spectest` is the script's own
   * instance of the `spectest` module (see `spectest.ts`): each script gets
   * a fresh table and memory. `options.transformBinary` rewrites each
   * module's binary before it is compiled.
   */
  constructor(
    file: SourceFile,
    spectest: Instance,
    options: {
      matchMessages?: boolean;
      transformBinary?: (binary: Uint8Array) => Uint8Array;
      fuse?: boolean;
    } = {},
  ) {
    this.#file = file;
    this.#fuse = options.fuse !== false;
    this.#matchMessages = options.matchMessages ?? false;
    this.#transform = options.transformBinary;
    this.#registered = Object.create(null);
    this.#registered.spectest = spectest;
  }

  /**
   * Runs `form`, a top-level command.
   *
   * @throws {MalformedCommand} when it does not have its command's form;
   * anything else when its expectation fails or what it runs throws.
   */
  async run(form: SExpr): Promise<void> {
    const command = checkCommand(form);
    const list = form as SList; // checkCommand made sure
    switch (command) {
      case "module":
        return await this.module(list);
      case "register":
        return this.register(list);
      case "invoke":
      case "get":
        return await this.action(list);
      case "assert_return":
        return await this.assertReturn(list);
      case "assert_trap":
        return await this.assertTrap(list);
      case "assert_exhaustion":
        return await this.assertExhaustion(list);
      case "assert_exception":
        return await this.assertException(list);
      case "assert_invalid":
        return await this.assertInvalid(list);
      case "assert_malformed":
        return await this.assertMalformed(list);
      case "assert_unlinkable":
        return await this.assertUnlinkable(list);
      case "assert_uninstantiable":
        return await this.assertUninstantiable(list);
      default:
        unreachable(command, "command");
    }
  }

  /** A script of bare module fields is one module: instantiates the whole text. */
  async inlineModule(): Promise<void> {
    const { source, filename } = this.#file;
    const module = this.#compiled(await compile(source, { filename, fuse: this.#fuse }));
    instantiateSync(module, this.#registered);
  }

  /** `(module $id? …)`: the current module from now on; importable as `id` when named. */
  async module(form: SList): Promise<void> {
    const entry = await this.#define(form);
    this.#current = entry;
    const id = form.items[1];
    if (id?.type === "atom" && id.kind === "id") {
      this.#named.set(id.text, entry);
      this.#registered[id.text.slice(1)] = entry.instance;
    }
  }

  /** `(register "name" $id?)`: makes a module's instance importable as `name`. */
  register(form: SList): void {
    this.#registered[stringValue(form.items[1] as SAtom, this.#file)] =
      this.#target(form.items[2]).instance;
  }

  /** `(invoke $id? "name" const*)` or `(get $id? "name")`: runs it, whatever its results. */
  async action(form: SList): Promise<void> {
    await this.#act(form);
  }

  /** `(assert_return action result*)`: the action's results are these. */
  async assertReturn(form: SList): Promise<void> {
    await this.#act(form.items[1] as SList, form.items.slice(2) as SList[]);
  }

  /** `(assert_trap action|module "text")`: the action, or instantiating the module, traps. */
  async assertTrap(form: SList): Promise<void> {
    const target = form.items[1] as SList;
    await this.#expectError(
      () => firstAtomText(target) === "module" ? this.#define(target) : this.#act(target),
      isTrap,
      "a trap",
      this.#expectedText(form),
    );
  }

  /** `(assert_exhaustion action "text")`: the action runs out of stack. */
  async assertExhaustion(form: SList): Promise<void> {
    await this.#expectError(
      () => this.#act(form.items[1] as SList),
      isExhaustion,
      "stack exhaustion",
      this.#expectedText(form),
    );
  }

  /** `(assert_exception action)`: the action throws a wasm exception out to the script. */
  async assertException(form: SList): Promise<void> {
    await this.#expectError(
      () => this.#act(form.items[1] as SList),
      isWasmException,
      "a wasm exception",
      "",
    );
  }

  /**
   * `(assert_invalid module "text")`: the module does not compile. `validateSync`
   * judges it, as it judges any user's module, so the two cannot diverge.
   */
  async assertInvalid(form: SList): Promise<void> {
    await this.#expectNotCompiling(form, "an invalid module");
  }

  /** `(assert_malformed module "text")`: the module does not parse or decode. */
  async assertMalformed(form: SList): Promise<void> {
    await this.#expectNotCompiling(form, "a malformed module");
  }

  /** `(assert_unlinkable module "text")`: the module's imports do not link. */
  async assertUnlinkable(form: SList): Promise<void> {
    await this.#expectError(
      () => this.#define(form.items[1] as SList),
      isLinkError,
      "a link error",
      this.#expectedText(form),
    );
  }

  /** `(assert_uninstantiable module "text")`: the module links, but its start function traps. */
  async assertUninstantiable(form: SList): Promise<void> {
    await this.#expectError(
      () => this.#define(form.items[1] as SList),
      isTrap,
      "a trap at instantiation",
      this.#expectedText(form),
    );
  }

  #moduleBytes(form: SList): Promise<Uint8Array> {
    return parseWat(this.#file.source, { filename: this.#file.filename, module: form });
  }

  async #define(form: SList): Promise<Entry> {
    // Bytes from the text are a binary, even when they look like text.
    const bytes = await this.#moduleBytes(form);
    const module = this.#compiled(
      compileSync(this.#transform === undefined ? bytes : this.#transform(bytes), {
        fuse: this.#fuse,
      }),
    );
    const instance = instantiateSync(module, this.#registered);
    return { module, instance };
  }

  /** The module named `id`, or the current one when `id` is not a `$id`. */
  #target(id: SExpr | undefined): Entry {
    if (id?.type === "atom" && id.kind === "id") {
      const entry = this.#named.get(id.text);
      if (!entry) throw new Mismatch(`unknown module ${id.text}`);
      return entry;
    }
    if (!this.#current) throw new Mismatch("no module defined yet");
    return this.#current;
  }

  /** The expected error text of an assertion, `""` when it has none. */
  #expectedText(form: SList): string {
    const text = form.items[2];
    return text?.type === "atom" ? stringValue(text, this.#file) : "";
  }

  /** How `e` is written in the script. */
  #written(e: SExpr): string {
    return this.#file.source.slice(e.start, e.end);
  }

  /** Runs an action (its shape already checked); with `expected`, checks its results. */
  async #act(action: SList, expected?: SList[]): Promise<void> {
    const hasId = action.items[1]?.type === "atom" && action.items[1].kind === "id";
    const entry = this.#target(hasId ? action.items[1] : undefined);
    const name = stringValue(action.items[hasId ? 2 : 1] as SAtom, this.#file);
    if (firstAtomText(action) === "get") return this.#get(entry, name, expected);
    await this.#invoke(entry, name, action.items.slice(hasId ? 3 : 2) as SList[], expected);
  }

  /** Export `name` of `entry`: how its module describes it, and its value (own properties only). */
  #exported(entry: Entry, name: string) {
    const exports = entry.instance.exports;
    return {
      descriptor: entry.module.exports().find((e) => e.name === name),
      value: Object.hasOwn(exports, name) ? exports[name] : undefined,
    };
  }

  #get(entry: Entry, name: string, expected: SList[] | undefined): void {
    const { descriptor, value } = this.#exported(entry, name);
    if (descriptor?.kind !== "global" || !(value instanceof WebAssembly.Global)) {
      throw new Mismatch(`no exported global ${JSON.stringify(name)}`);
    }
    if (expected) this.#compareResults([value.value], expected, name);
  }

  async #invoke(
    entry: Entry,
    name: string,
    args: SList[],
    expected: SList[] | undefined,
  ): Promise<void> {
    const { descriptor, value } = this.#exported(entry, name);
    if (descriptor?.kind !== "func" || typeof value !== "function") {
      throw new Mismatch(`no exported function ${JSON.stringify(name)}`);
    }
    const params = descriptor.params!;
    const results = descriptor.results!;
    this.#checkTypes("argument", args, params, name);
    if (expected) this.#checkTypes("result", expected, results, name);
    if ([...params, ...results].some((type) => CHECKED_TYPES.has(type))) {
      const mismatch = await checkedCall(value, params, results, args, expected, this.#file.source);
      if (mismatch !== null) throw new Mismatch(mismatch);
      return;
    }
    const returned = (value as (...values: unknown[]) => unknown)(
      ...args.map((arg) => jsValue(arg, this.#externs)),
    );
    if (expected) {
      this.#compareResults(
        results.length === 1 ? [returned] : (returned as unknown[]) ?? [],
        expected,
        name,
      );
    }
  }

  /** Constants must match the function's types in number and kind. */
  #checkTypes(what: string, given: SList[], types: readonly string[], name: string): void {
    if (given.length !== types.length) {
      throw new Mismatch(
        `${name} takes ${types.length} ${what}(s) (${
          types.join(" ")
        }), the script gives ${given.length}`,
      );
    }
    given.forEach((constant, i) => {
      if (constantType(constant) !== types[i]) {
        throw new Mismatch(
          `${what} ${i + 1} of ${name} is ${types[i]}, the script gives ${this.#written(constant)}`,
        );
      }
    });
  }

  /** Compares results that crossed into JS with the expected constants. */
  #compareResults(got: unknown[], expected: SList[], name: string): void {
    if (got.length !== expected.length) {
      throw new Mismatch(`${name}: expected ${expected.length} results, got ${got.length}`);
    }
    expected.forEach((e, i) => {
      const head = firstAtomText(e);
      if (head === "f32.const" || head === "f64.const") {
        // Only `get` of a float global lands here: compare as numbers.
        const literal = atomText(e.items[1]);
        const value = literalNumber(literal);
        const want = head === "f32.const" ? Math.fround(value) : value;
        if (literal.includes("nan") ? !Number.isNaN(got[i]) : !Object.is(got[i], want)) {
          throw new Mismatch(`expected ${literal}, got ${show(got[i])}`);
        }
        return;
      }
      if (!matchJs(got[i], e, this.#externs)) {
        throw new Mismatch(`result ${i}: expected ${this.#written(e)}, got ${show(got[i])}`);
      }
    });
  }

  /** The module of assertion `form` must fail to compile: be `what`. */
  /** Both ask `validateSync`, the library's validation, so the two cannot diverge. */
  async #expectNotCompiling(form: SList, what: string): Promise<void> {
    await this.#expectError(
      async () => {
        const result = validateSync(await this.#moduleBytes(form.items[1] as SList));
        if (!result.valid) throw result.error;
      },
      isInvalid,
      what,
      this.#expectedText(form),
    );
  }

  /** Expects `run` to throw an error `accept` recognizes, with `message` in it when matching. */
  async #expectError(
    run: () => Promise<unknown>,
    accept: (e: unknown) => boolean,
    what: string,
    message: string,
  ): Promise<void> {
    try {
      await run();
    } catch (e) {
      if (e instanceof Mismatch) throw e;
      if (!accept(e)) throw new Mismatch(`expected ${what}, got ${errorName(e)}`);
      if (this.#matchMessages && message && !(e as Error).message.includes(message)) {
        throw new Mismatch(`expected ${what} with "${message}", got ${errorName(e)}`);
      }
      return;
    }
    throw new Mismatch(`expected ${what}${message ? ` "${message}"` : ""}, but it succeeded`);
  }
}
