/**
 * The shape of every script command, checked before it runs: how many
 * operands, of which kinds, and well-formed constants. A malformed command
 * is a failure at its line, never a pass, and nothing of it can reach the
 * generated checker module except whole, checked constants.
 *
 * The forms, as the spec interpreter reads them:
 *
 *     (module $id? …)                         (register "name" $id?)
 *     (invoke $id? "name" const*)             (get $id? "name")
 *     (assert_return action result*)          (assert_trap action|module "text")
 *     (assert_exhaustion action "text")       (assert_exception action)
 *     (assert_invalid|assert_malformed|assert_unlinkable|assert_uninstantiable module "text")
 *
 * @module
 */

import { unreachable } from "../ir.ts";
import type { SAtom, SExpr, SList } from "../text/sexpr.ts";
import { firstAtomText } from "./forms.ts";
import { literalNumber, parseInteger } from "./values.ts";

/** The commands a script may hold. */
const COMMANDS = [
  "module",
  "register",
  "invoke",
  "get",
  "assert_return",
  "assert_trap",
  "assert_exhaustion",
  "assert_exception",
  "assert_invalid",
  "assert_malformed",
  "assert_unlinkable",
  "assert_uninstantiable",
] as const;

/** The keyword of a command a script may hold. */
export type Command = typeof COMMANDS[number];

const COMMAND_WORDS: ReadonlySet<string> = new Set(COMMANDS);

/** Whether `word` is the keyword of a command. */
export function isCommand(word: string | undefined): word is Command {
  return word !== undefined && COMMAND_WORDS.has(word);
}

/** Thrown for a command that does not have its form. */
export class MalformedCommand extends Error {
  /** Makes the error; the message says what is wrong. */
  constructor(message: string) {
    super(`malformed command: ${message}`);
    this.name = "MalformedCommand";
  }
}

function isAtom(e: SExpr | undefined, kind: SAtom["kind"]): e is SAtom {
  return e?.type === "atom" && e.kind === kind;
}

function describe(e: SExpr | undefined): string {
  if (e === undefined) return "nothing";
  if (e.type === "atom") return e.text;
  return `(${firstAtomText(e) ?? "…"} …)`;
}

/**
 * Checks `form`, a top-level command, and returns its keyword: `form` is
 * then a list of that command's form.
 *
 * @throws {MalformedCommand} naming what is missing, extra or ill-formed.
 */
export function checkCommand(form: SExpr): Command {
  if (form.type !== "list") throw new MalformedCommand(`expected a command, found ${form.text}`);
  const command = firstAtomText(form);
  if (!isCommand(command)) {
    throw new MalformedCommand(`unknown command ${describe(form.items[0])}`);
  }
  checkOperands(form, command);
  return command;
}

/** Checks the operands of `form`, a `command`. */
function checkOperands(form: SList, command: Command): void {
  const items = form.items;
  switch (command) {
    case "module":
      return;
    case "register":
      if (!isAtom(items[1], "string")) throw new MalformedCommand("register needs a name string");
      if (items.length > 2 && !isAtom(items[2], "id")) {
        throw new MalformedCommand(`register: expected a module $id, found ${describe(items[2])}`);
      }
      return extra(items, 3, command);
    case "invoke":
    case "get":
      return checkAction(form);
    case "assert_return":
      checkAction(operand(items, 1, "an action", command));
      for (const result of items.slice(2)) checkConstant(result, true);
      return;
    case "assert_trap": {
      const target = operand(items, 1, "an action or a module", command);
      if (firstAtomText(target) === "module") checkModule(target, command);
      else checkAction(target);
      return checkMessage(items, command);
    }
    case "assert_exhaustion":
      checkAction(operand(items, 1, "an action", command));
      return checkMessage(items, command);
    case "assert_exception":
      // Exception handling's form: no expected text, as a wasm exception has none.
      checkAction(operand(items, 1, "an action", command));
      return extra(items, 2, command);
    case "assert_invalid":
    case "assert_malformed":
    case "assert_unlinkable":
    case "assert_uninstantiable":
      checkModule(operand(items, 1, "a module", command), command);
      return checkMessage(items, command);
    default:
      unreachable(command, "command");
  }
}

function operand(items: readonly SExpr[], at: number, what: string, command: string): SList {
  const e = items[at];
  if (e?.type !== "list") {
    throw new MalformedCommand(`${command} needs ${what}, found ${describe(e)}`);
  }
  return e;
}

function extra(items: readonly SExpr[], max: number, command: string): void {
  if (items.length > max) {
    throw new MalformedCommand(`${command}: unexpected ${describe(items[max])}`);
  }
}

function checkModule(e: SList, command: string): void {
  if (firstAtomText(e) !== "module") {
    throw new MalformedCommand(`${command} needs a module, found ${describe(e)}`);
  }
}

/** The expected error text: one string, last. */
function checkMessage(items: readonly SExpr[], command: string): void {
  if (!isAtom(items[2], "string")) {
    throw new MalformedCommand(
      `${command} needs the expected error text, found ${describe(items[2])}`,
    );
  }
  extra(items, 3, command);
}

/** `(invoke $id? "name" const*)` or `(get $id? "name")`. */
function checkAction(action: SList): void {
  const head = firstAtomText(action);
  if (head !== "invoke" && head !== "get") {
    throw new MalformedCommand(`expected an action (invoke or get), found ${describe(action)}`);
  }
  const at = isAtom(action.items[1], "id") ? 2 : 1;
  if (!isAtom(action.items[at], "string")) {
    throw new MalformedCommand(
      `${head} needs an export name string, found ${describe(action.items[at])}`,
    );
  }
  if (head === "get") return extra(action.items, at + 1, head);
  for (const arg of action.items.slice(at + 1)) checkConstant(arg, false);
}

const INTEGER = /^[+-]?(?:\d(?:_?\d)*|0x[0-9a-fA-F](?:_?[0-9a-fA-F])*)$/;

/** Lanes of each v128 shape, and their bit width. */
const SHAPES: Readonly<Record<string, { lanes: number; bits: number; float: boolean }>> = {
  i8x16: { lanes: 16, bits: 8, float: false },
  i16x8: { lanes: 8, bits: 16, float: false },
  i32x4: { lanes: 4, bits: 32, float: false },
  i64x2: { lanes: 2, bits: 64, float: false },
  f32x4: { lanes: 4, bits: 32, float: true },
  f64x2: { lanes: 2, bits: 64, float: true },
};

/**
 * Checks an argument constant, or with `result` an expected result (which
 * may also be a NaN class, `(ref.extern)` or `(ref.func)`).
 */
function checkConstant(e: SExpr, result: boolean): void {
  if (e.type !== "list") throw new MalformedCommand(`expected a constant, found ${e.text}`);
  const head = firstAtomText(e) ?? "";
  const items = e.items;
  const count = (n: number) => {
    if (items.length !== n) {
      throw new MalformedCommand(
        `${head} takes ${n - 1} operand(s), found ${items.length - 1}`,
      );
    }
  };
  switch (head) {
    case "i32.const":
    case "i64.const":
      count(2);
      return checkInteger(items[1], head === "i32.const" ? 32 : 64, head);
    case "f32.const":
    case "f64.const":
      count(2);
      return checkFloat(items[1], head === "f32.const" ? 32 : 64, head, result);
    case "v128.const": {
      const name = items[1]?.type === "atom" ? items[1].text : "";
      const shape = Object.hasOwn(SHAPES, name) ? SHAPES[name] : undefined;
      if (shape === undefined) {
        throw new MalformedCommand(
          `v128.const needs a shape (i32x4, f64x2, …), found ${describe(items[1])}`,
        );
      }
      count(2 + shape.lanes);
      for (const lane of items.slice(2)) {
        if (shape.float) checkFloat(lane, shape.bits, head, result);
        else checkInteger(lane, shape.bits, head);
      }
      return;
    }
    case "ref.null":
      count(2);
      if (!isAtom(items[1], "keyword") || !["func", "extern"].includes(items[1].text)) {
        throw new MalformedCommand(`ref.null needs func or extern, found ${describe(items[1])}`);
      }
      return;
    case "ref.extern":
      if (result && items.length === 1) return;
      count(2);
      return checkInteger(items[1], 32, head);
    case "ref.func":
      if (!result) throw new MalformedCommand("ref.func cannot be an argument");
      return count(1);
    default:
      throw new MalformedCommand(`expected a constant, found ${describe(e)}`);
  }
}

function checkInteger(e: SExpr | undefined, bits: number, head: string): void {
  if (e?.type !== "atom" || !INTEGER.test(e.text)) {
    throw new MalformedCommand(`${head}: expected an integer, found ${describe(e)}`);
  }
  const value = parseInteger(e.text);
  const limit = 1n << BigInt(bits);
  if (value < -(limit >> 1n) || value >= limit) {
    throw new MalformedCommand(`${head}: ${e.text} is out of range for ${bits} bits`);
  }
}

function checkFloat(e: SExpr | undefined, bits: number, head: string, result: boolean): void {
  if (e?.type === "atom" && result && /^nan:(?:canonical|arithmetic)$/.test(e.text)) return;
  if (e?.type !== "atom" || e.kind !== "number") {
    throw new MalformedCommand(`${head}: expected a number, found ${describe(e)}`);
  }
  const special = /inf|nan/.test(e.text);
  const value = literalNumber(e.text);
  if (!special && Number.isNaN(value)) {
    throw new MalformedCommand(`${head}: expected a number, found ${e.text}`);
  }
  if (!special && !Number.isFinite(bits === 32 ? Math.fround(value) : value)) {
    throw new MalformedCommand(`${head}: ${e.text} is out of range for f${bits}`);
  }
}
