/**
 * Byte codes of the module-linking binary format that the decoder and the
 * encoder share, beyond the kinds, value types and section ids of `../ir.ts`:
 * one home each, so that what is written is what is read.
 *
 * @module
 */

/**
 * The first byte of a type section entry: which kind of type follows.
 *
 * @example
 * ```ts
 * import { TypeForm } from "./codes.ts";
 * TypeForm.Module; // 0x61
 * ```
 */
export const TypeForm = {
  Func: 0x60,
  Module: 0x61,
  Instance: 0x62,
} as const;

/**
 * The first byte of an alias section entry: an export of an instance, or an
 * item of an enclosing module (whose kind byte then says module or type).
 *
 * @example
 * ```ts
 * import { AliasForm } from "./codes.ts";
 * AliasForm.Outer; // 1
 * ```
 */
export const AliasForm = {
  InstanceExport: 0x00,
  Outer: 0x01,
} as const;

/**
 * The first byte of an instance section entry: `(instantiate module args…)`,
 * or an instance made of items of the module, `(instance (export …) …)` (an
 * extension from the proposal's later drafts).
 *
 * @example
 * ```ts
 * import { InstanceForm } from "./codes.ts";
 * InstanceForm.Exports; // 1
 * ```
 */
export const InstanceForm = {
  Instantiate: 0x00,
  Exports: 0x01,
} as const;

/**
 * The attribute byte of a tag type, before its type index: the only one
 * defined is 0, an exception.
 *
 * @example
 * ```ts
 * import { TAG_EXCEPTION } from "./codes.ts";
 * TAG_EXCEPTION; // 0
 * ```
 */
export const TAG_EXCEPTION = 0x00;

/**
 * The byte after an empty field name that makes an import single-level:
 * `"a" "" 0xff desc` imports `"a"` itself, not field `""` of it.
 *
 * @example
 * ```ts
 * import { SINGLE_LEVEL_IMPORT } from "./codes.ts";
 * SINGLE_LEVEL_IMPORT; // 0xff
 * ```
 */
export const SINGLE_LEVEL_IMPORT = 0xff;

/**
 * Bits of the flags byte of table and memory limits. Tables use only
 * `HasMax`; memories all three.
 *
 * @example
 * ```ts
 * import { LimitsFlag } from "./codes.ts";
 * LimitsFlag.HasMax | LimitsFlag.Shared; // 3: a shared memory with a maximum
 * ```
 */
export const LimitsFlag = {
  HasMax: 0x01,
  Shared: 0x02,
  Memory64: 0x04,
} as const;

/**
 * The byte after a global's value type: whether the global is mutable.
 *
 * @example
 * ```ts
 * import { Mutability } from "./codes.ts";
 * Mutability.Var; // 1
 * ```
 */
export const Mutability = {
  Const: 0x00,
  Var: 0x01,
} as const;

/**
 * The id of the `name` custom section's subsection that holds the module's
 * own name.
 *
 * @example
 * ```ts
 * import { MODULE_NAME_SUBSECTION } from "./codes.ts";
 * MODULE_NAME_SUBSECTION; // 0
 * ```
 */
export const MODULE_NAME_SUBSECTION = 0x00;

/**
 * The id of the `name` section's function names subsection (the core
 * spec's name section appendix).
 *
 * @example
 * ```ts
 * import { FUNCTION_NAMES_SUBSECTION } from "./codes.ts";
 * FUNCTION_NAMES_SUBSECTION; // 1
 * ```
 */
export const FUNCTION_NAMES_SUBSECTION = 0x01;
