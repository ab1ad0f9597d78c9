/**
 * The worker in which `runner.ts` runs a script when commands have a time
 * limit: it runs {@linkcode runCommands} and tells its host about every step,
 * so that the host knows which command to blame when it stops the worker.
 *
 * @module
 */

import { type CommandResult, type PlannedCommand, runCommands } from "./script.ts";

/** What the host asks: a script, and after a restart what to replay and to leave out. */
export interface WorkerRequest {
  text: string;
  filename: string;
  matchMessages: boolean;
  /** Compile with fusion (`false`: without). */
  fuse: boolean;
  replayUntil: number;
  skip: number[];
}

/** What the worker tells its host, in order: the plan, then each command's start and result. */
export type WorkerReport =
  | { type: "plan"; commands: readonly PlannedCommand[] }
  | { type: "start"; index: number }
  | { type: "result"; result: CommandResult }
  | { type: "done" }
  | { type: "error"; message: string };

// A worker's global scope, typed here: the `deno.worker` lib would retype the whole program.
const scope = globalThis as unknown as {
  postMessage(message: WorkerReport): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};

const post = (report: WorkerReport) => scope.postMessage(report);

scope.onmessage = async (event) => {
  const { text, filename, matchMessages, fuse, replayUntil, skip } = event.data;
  try {
    await runCommands(text, filename, {
      matchMessages,
      fuse,
      onCommand: (result) => post({ type: "result", result }),
    }, {
      onPlan: (commands) => post({ type: "plan", commands }),
      onStart: (index) => post({ type: "start", index }),
      replayUntil,
      skip: new Set(skip),
    });
    post({ type: "done" });
  } catch (e) {
    post({ type: "error", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
