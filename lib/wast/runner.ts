/**
 * Runs WebAssembly scripts (`.wast`) through mlink: see `interpreter.ts`
 * for what the commands do and how they are checked, `shape.ts` for the
 * forms they must have.
 *
 * A wasm function that loops for ever cannot be interrupted in the thread
 * that runs it, so a time limit needs a worker. With `timeoutMs`, the
 * script runs in a worker that reports each command as it starts; when one
 * runs longer than the limit, the worker is terminated, that command fails
 * with "timed out after N ms", and the script goes on in a fresh worker.
 * The fresh worker first replays the commands before it, unreported, to
 * rebuild the modules and their state, leaves out every command that timed
 * out, and reports from the next one. (A command that timed out has done
 * part of its work; the replay leaves it out, so its side effects are not
 * seen by the commands after it.) Should the replay itself fail, the
 * commands not yet run are reported as failures, "not run".
 *
 * Without `timeoutMs` the script runs in this thread, with no limit: the
 * conformance suites' ~54,000 commands take about 10 s that way, and a worker
 * per script would add some 60–250 ms each (startup, and the text
 * front-end and wabt loaded again), more than doubling that time. A
 * {@linkcode ScriptRunner} keeps its worker from one script to the next,
 * so the cost is paid again only after a timeout. `cli.ts wast` sets a
 * limit by default and runs all its scripts through one runner.
 *
 * @module
 */

import {
  type CommandResult,
  type PlannedCommand,
  runCommands,
  type RunOptions,
  type ScriptResult,
} from "./script.ts";
import type { WorkerReport, WorkerRequest } from "./worker.ts";

export type { CommandResult, RunOptions, ScriptResult } from "./script.ts";

/** The per-command limit `cli.ts wast` uses unless told otherwise: 10 s. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** The longest limit: `setTimeout`'s largest delay. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Runs one script. Never throws for a failing command (it is counted and
 * reported), nor for a malformed one or a script that cannot be read.
 *
 * @throws {Error} only when `timeoutMs` is given with `transformBinary`, or is not a whole number
 * of milliseconds from 1 to 2³¹−1.
 */
export async function runScript(
  text: string,
  filename: string,
  options: RunOptions = {},
): Promise<ScriptResult> {
  using runner = new ScriptRunner(options);
  return await runner.run(text, filename);
}

/**
 * Runs scripts one after the other with the same options. With a time
 * limit it keeps its worker from one script to the next (until a command
 * overruns), which saves starting one, and loading the text front-end into
 * it, per script; `close()` (or `using`) stops it.
 */
export class ScriptRunner {
  readonly #options: RunOptions;
  readonly #limit: number | undefined;
  #worker: Worker | undefined;

  /**
   * Makes a runner; nothing starts before the first script.
   *
   * @throws {Error} when `timeoutMs` is not a whole number of milliseconds from 1 to 2³¹−1, or
   * is given with `transformBinary`.
   */
  constructor(options: RunOptions = {}) {
    const limit = options.timeoutMs;
    if (
      limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMEOUT_MS)
    ) {
      throw new Error(`timeoutMs must be a whole number from 1 to ${MAX_TIMEOUT_MS}, got ${limit}`);
    }
    if (limit !== undefined && options.transformBinary !== undefined) {
      throw new Error("transformBinary runs in this thread: it cannot be given with timeoutMs");
    }
    this.#options = options;
    this.#limit = limit;
  }

  /** Runs one script; see {@linkcode runScript}. */
  async run(text: string, filename: string): Promise<ScriptResult> {
    if (this.#limit === undefined) return await runCommands(text, filename, this.#options);
    return await this.#runInWorkers(text, filename, this.#limit);
  }

  /** Stops the worker, if one is running. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  /** Same as {@linkcode ScriptRunner.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #runInWorkers(text: string, filename: string, limit: number): Promise<ScriptResult> {
    const options = this.#options;
    const result: ScriptResult = { passed: 0, failed: 0, failures: [] };
    let plan: readonly PlannedCommand[] = [];
    /** The first command not reported yet. */
    let next = 0;
    const record = (r: CommandResult) => {
      if (r.ok) result.passed++;
      else {
        result.failed++;
        result.failures.push(r);
      }
      options.onCommand?.(r);
    };
    const fail = (index: number, message: string) => {
      const { line, command } = plan[index];
      record({ file: filename, line, command, ok: false, message });
    };
    const skip: number[] = [];
    for (;;) {
      this.#worker ??= new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      const ending = await runInWorker(
        this.#worker,
        {
          text,
          filename,
          matchMessages: options.matchMessages ?? false,
          fuse: options.fuse !== false,
          replayUntil: next,
          skip,
        },
        limit,
        {
          plan: (commands) => plan = commands,
          result: (r) => {
            record(r);
            next++;
          },
        },
      );
      if (ending.kind === "done") return result;
      this.close();
      const { index, why } = ending;
      if (index === undefined) {
        // It failed before running any command: the script cannot be run.
        record({ file: filename, line: 1, command: "script", ok: false, message: why });
        return result;
      }
      if (index < next) {
        // The replay failed: what is left cannot be run.
        for (let i = next; i < plan.length; i++) {
          if (!skip.includes(i)) {
            fail(i, `not run: replaying the commands before it failed (${why})`);
          }
        }
        return result;
      }
      fail(index, why);
      skip.push(index);
      next = index + 1;
      if (next >= plan.length) return result;
    }
  }
}

/** How one request to a worker ended. */
type Ending =
  | { kind: "done" }
  | { kind: "stopped"; index: number | undefined; why: string };

/**
 * Sends `request` to `worker` and follows it until it is done, or until a
 * command overruns `limit` or the worker fails (then the caller must
 * terminate it).
 */
function runInWorker(
  worker: Worker,
  request: WorkerRequest,
  limit: number,
  on: {
    plan(commands: readonly PlannedCommand[]): void;
    result(result: CommandResult): void;
  },
): Promise<Ending> {
  return new Promise<Ending>((resolve) => {
    let running: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = (ending: Ending) => {
      clearTimeout(timer);
      worker.onmessage = worker.onerror = worker.onmessageerror = null;
      resolve(ending);
    };
    worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      const report = event.data;
      switch (report.type) {
        case "plan":
          on.plan(report.commands);
          return;
        case "start":
          running = report.index;
          clearTimeout(timer);
          timer = setTimeout(
            () => end({ kind: "stopped", index: running, why: `timed out after ${limit} ms` }),
            limit,
          );
          return;
        case "result":
          clearTimeout(timer);
          on.result(report.result);
          return;
        case "done":
          return end({ kind: "done" });
        case "error":
          return end({ kind: "stopped", index: running, why: report.message });
        default: {
          const _: never = report;
          return _;
        }
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end({ kind: "stopped", index: running, why: `the worker failed: ${event.message}` });
    };
    worker.onmessageerror = () => {
      end({ kind: "stopped", index: running, why: "the worker sent an unreadable message" });
    };
    worker.postMessage(request);
  });
}
