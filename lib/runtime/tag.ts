/**
 * Exception handling's JS classes as V8 has them: `WebAssembly.Tag`, what a
 * core module imports and exports as a tag, and `WebAssembly.Exception`,
 * what a wasm `throw` that reaches JS is. TypeScript's declarations of
 * `WebAssembly` do not have them yet, so they are looked up here, once.
 *
 * @module
 */

/** A `WebAssembly.Tag`: the identity of one kind of exception. */
export interface WasmTag {
  readonly [Symbol.toStringTag]: "WebAssembly.Tag";
}

/** A `WebAssembly.Exception`: a wasm exception seen from JS. */
export interface WasmException {
  /** Whether it was thrown with `tag`. */
  is(tag: WasmTag): boolean;
  /** Value `index` it carries; `tag` must be its tag. */
  getArg(tag: WasmTag, index: number): unknown;
}

/** The classes, where the engine has them. */
const classes = WebAssembly as unknown as {
  readonly Tag?: abstract new (...args: never[]) => WasmTag;
  readonly Exception?: abstract new (...args: never[]) => WasmException;
};

/** Whether `value` is a `WebAssembly.Tag` (by its prototype, as globals are checked). */
export function isTag(value: unknown): value is WasmTag {
  return classes.Tag !== undefined && value instanceof classes.Tag;
}

/** Whether `value` is a `WebAssembly.Exception`: a wasm exception thrown out to JS. */
export function isWasmException(value: unknown): value is WasmException {
  return classes.Exception !== undefined && value instanceof classes.Exception;
}
