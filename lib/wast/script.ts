/**
 * Runs a WebAssembly script (`.wast`) in this thread: reads it, plans its
 * commands, runs each through a {@linkcode ScriptInterpreter} (see
 * `interpreter.ts` for what the commands do and how they are checked) and
 * reports each outcome.
 *
 * `runner.ts` is the public entry: it runs this directly, or in a worker
 * that it can stop when a command takes too long.
 *
 * @module
 */

import { WatError } from "../errors.ts";
import { readSExprs, type SExpr, SourceFile } from "../text/sexpr.ts";
import { firstAtomText } from "./forms.ts";
import { failureMessage, ScriptInterpreter } from "./interpreter.ts";
import { isCommand } from "./shape.ts";
import { spectest } from "./spectest.ts";

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
  /**
   * Rewrites the binary of each module a command defines before it is
   * compiled: a seam for testing binary transformations (the fusion
   * rewriter) against the suites. Runs in this thread only: it cannot be
   * given with `timeoutMs`.
   */
  transformBinary?: (binary: Uint8Array) => Uint8Array;
  /** Compile modules with fusion (the default) or without (`false`). */
  fuse?: boolean;
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
  /** For a command that defines a module: whether it was compiled into a fused form. */
  fused?: boolean;
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
  const result: ScriptResult = { passed: 0, failed: 0, failures: [] };
  // Made once the script is read; reports ask it whether a module was fused.
  const made: { interpreter?: ScriptInterpreter } = {};
  const replayUntil = progress.replayUntil ?? 0;
  /** Reports command `index`: passed when there is no failure `message`. */
  const report = (index: number, line: number, command: string, message?: string) => {
    if (index < replayUntil) return;
    const outcome: CommandResult = {
      file: filename,
      line,
      command,
      ok: message === undefined,
      message,
    };
    const fused = made.interpreter?.takeFused();
    if (fused !== undefined) outcome.fused = fused;
    if (outcome.ok) result.passed++;
    else {
      result.failed++;
      result.failures.push(outcome);
    }
    options.onCommand?.(outcome);
  };

  let forms: SExpr[];
  try {
    forms = readSExprs(text, filename);
  } catch (e) {
    const line = e instanceof WatError ? e.line : 1;
    progress.onPlan?.([{ line, command: "script" }]);
    progress.onStart?.(0);
    report(0, line, "script", failureMessage(e));
    return result;
  }
  const file = new SourceFile(text, filename);
  const interpreter = made.interpreter = new ScriptInterpreter(file, await spectest(), options);

  // A file of bare module fields is one module (as `inline-module.wast` is).
  if (forms.length > 0 && !isCommand(firstAtomText(forms[0]))) {
    progress.onPlan?.([{ line: 1, command: "module" }]);
    if (progress.skip?.has(0)) return result;
    progress.onStart?.(0);
    let message: string | undefined;
    try {
      await interpreter.inlineModule();
    } catch (e) {
      message = failureMessage(e);
    }
    report(0, 1, "module", message);
    return result;
  }

  const plan: PlannedCommand[] = forms.map((form) => ({
    line: file.position(form.start).line,
    command: firstAtomText(form) ?? (form.type === "atom" ? form.text : "?"),
  }));
  progress.onPlan?.(plan);
  for (const [index, form] of forms.entries()) {
    if (progress.skip?.has(index)) continue;
    progress.onStart?.(index);
    const { line, command } = plan[index];
    try {
      await interpreter.run(form);
      report(index, line, command);
    } catch (e) {
      report(index, line, command, failureMessage(e));
    }
  }
  return result;
}
