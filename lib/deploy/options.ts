/**
 * Checking the arguments of the deploy tools' public functions
 * (`loadFromCache`, `loadCached`, `loadFromManifest`, `precompile`): each
 * misuse is an `ArtifactError` that names the function and the option, and
 * says what it got instead.
 *
 * @module
 */

import { typeName } from "../errors.ts";
import { ArtifactError } from "../errors.ts";

/**
 * Whether `value` is a plain record: an object, and neither `null` nor an array.
 *
 * @example
 * ```ts
 * import { isRecord } from "./options.ts";
 * isRecord({ format: 1 }); // true
 * isRecord([]); // false
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `options` as a record, or an `ArtifactError` naming `caller`.
 *
 * @example
 * ```ts
 * import { optionsRecord } from "./options.ts";
 * optionsRecord({ cacheDir: "cache" }, "loadCached").cacheDir; // "cache"
 * ```
 */
export function optionsRecord(options: unknown, caller: string): Record<string, unknown> {
  if (!isRecord(options)) {
    throw new ArtifactError(`${caller}: options must be an object, got ${typeName(options)}`);
  }
  return options;
}

/**
 * A directory option: a non-empty string.
 *
 * @example
 * ```ts
 * import { directoryOption } from "./options.ts";
 * directoryOption("cache", "precompile", "outDir"); // "cache"
 * ```
 */
export function directoryOption(value: unknown, caller: string, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ArtifactError(
      `${caller}: ${name} must be a non-empty string, got ${typeName(value)}`,
    );
  }
  return value;
}

/**
 * A size limit option: a positive safe integer, or `fallback` when absent.
 *
 * @example
 * ```ts
 * import { limitOption } from "./options.ts";
 * limitOption(undefined, "loadFromManifest", "maxManifestBytes", 8 << 20); // 8388608
 * ```
 */
export function limitOption(
  value: unknown,
  caller: string,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new ArtifactError(
      `${caller}: ${name} must be a positive integer, got ${
        typeof value === "number" ? value : typeName(value)
      }`,
    );
  }
  return value;
}

/**
 * A callback option: a function, or `undefined`.
 *
 * @example
 * ```ts
 * import { functionOption } from "./options.ts";
 * const onCorrupt = functionOption<() => void>(undefined, "loadCached", "onCorrupt"); // undefined
 * ```
 */
export function functionOption<F>(value: unknown, caller: string, name: string): F | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new ArtifactError(`${caller}: ${name} must be a function, got ${typeName(value)}`);
  }
  return value as F | undefined;
}
