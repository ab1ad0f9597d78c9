/**
 * The command line's one argument reader. Each command declares its
 * options and how many operands it takes; every other word is a
 * `UsageError`: an unknown option, a missing or empty value, an option given
 * twice, an operand too many.
 *
 * - `--name VALUE` and `--name=VALUE`; short spellings (`-o`) take the next word.
 * - `--` ends the options: the words after it are operands, dashes and all.
 * - `-h`/`--help` is every command's, and with it nothing is required.
 * - With `passRest`, the first operand ends the options and the words after
 *   it are passed on as they are (`run FILE ARGS…`).
 *
 * @module
 */

import { UsageError } from "./usage.ts";

/** One option of a command. */
export interface OptionSpec {
  /** Whether it takes a value (`--out DIR`) or is a flag (`--json`). */
  readonly value: boolean;
  /** Other spellings, such as `-o` for `--output`. */
  readonly aliases?: readonly string[];
  /** It may be given more than once; its values are kept in order. */
  readonly repeatable?: boolean;
  /** The command checks the value itself, the empty one included. */
  readonly emptyAllowed?: boolean;
  /** When set, the option is required, and this is the error without it. */
  readonly required?: string;
}

/** What a command accepts. */
export interface ArgsSpec {
  /** The command's name, for messages. */
  readonly command: string;
  /** Options by their long name (`--output`). */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The operands: what they are called (`FILE`, `PATH…`), how many, and the error when too few. */
  readonly operands: {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly missing: string;
  };
  /** The first operand ends the options; the words after it are `rest`. */
  readonly passRest?: boolean;
}

/** A command line read against its {@linkcode ArgsSpec}. */
export class Args {
  readonly #values: ReadonlyMap<string, readonly string[]>;
  /** The operands, in order. */
  readonly operands: readonly string[];
  /** With `passRest`: the words after the first operand. */
  readonly rest: readonly string[];
  /** Whether `--help` was given. */
  readonly help: boolean;

  /** Made by {@linkcode readArgs}. */
  constructor(
    values: ReadonlyMap<string, readonly string[]>,
    operands: readonly string[],
    rest: readonly string[],
    help: boolean,
  ) {
    this.#values = values;
    this.operands = operands;
    this.rest = rest;
    this.help = help;
  }

  /** The value of option `name` (its long name), if given. */
  value(name: string): string | undefined {
    return this.#values.get(name)?.[0];
  }

  /** Every value of a repeatable option, in order. */
  values(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }

  /** Whether flag `name` was given. */
  flag(name: string): boolean {
    return this.#values.has(name);
  }
}

const HELP = "--help";

/**
 * Reads `argv` (the words after the command's name) against `spec`.
 *
 * @throws {UsageError} naming the first word that does not fit.
 *
 * @example
 * ```ts
 * import { readArgs } from "./args.ts";
 * const args = readArgs(["app.wat", "--json"], {
 *   command: "inspect",
 *   options: { "--json": { value: false } },
 *   operands: { name: "FILE", min: 1, max: 1, missing: "inspect needs a FILE" },
 * });
 * args.flag("--json"); // true
 * ```
 */
export function readArgs(argv: readonly string[], spec: ArgsSpec): Args {
  const names = new Map<string, string>([[HELP, HELP], ["-h", HELP]]);
  for (const [name, option] of Object.entries(spec.options)) {
    names.set(name, name);
    for (const alias of option.aliases ?? []) names.set(alias, name);
  }
  const values = new Map<string, string[]>();
  const operands: string[] = [];
  let rest: string[] = [];
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (optionsEnded || !word.startsWith("-") || word === "-") {
      operands.push(word);
      if (spec.passRest) {
        rest = argv.slice(i + 1);
        break;
      }
      continue;
    }
    if (word === "--") {
      optionsEnded = true;
      continue;
    }
    const equalsAt = word.startsWith("--") ? word.indexOf("=") : -1;
    const written = equalsAt > 0 ? word.slice(0, equalsAt) : word;
    const name = names.get(written);
    if (name === undefined) throw new UsageError(`unknown option ${written}`);
    const option: OptionSpec = name === HELP ? { value: false } : spec.options[name];
    let value = "";
    if (!option.value) {
      if (equalsAt > 0) throw new UsageError(`${written} takes no value`);
    } else if (equalsAt > 0) {
      value = word.slice(equalsAt + 1);
    } else if (i + 1 < argv.length) {
      value = argv[++i];
    } else {
      throw new UsageError(`${written} needs a value`);
    }
    if (option.value && value === "" && !option.emptyAllowed) {
      throw new UsageError(`${written} needs a value`);
    }
    const seen = values.get(name);
    if (seen === undefined) values.set(name, [value]);
    else if (option.repeatable) seen.push(value);
    else throw new UsageError(`${written} is given twice`);
  }
  const help = values.delete(HELP);
  if (!help) {
    const { operands: want } = spec;
    if (operands.length < want.min) throw new UsageError(want.missing);
    if (operands.length > want.max) {
      const count = want.max === 1 ? "one" : want.max === 0 ? "no" : String(want.max);
      throw new UsageError(
        `unexpected argument ${operands[want.max]}: ${spec.command} takes ${count} ${want.name}`,
      );
    }
    for (const [name, option] of Object.entries(spec.options)) {
      if (option.required !== undefined && !values.has(name)) {
        throw new UsageError(option.required);
      }
    }
  }
  return new Args(values, operands, rest, help);
}
