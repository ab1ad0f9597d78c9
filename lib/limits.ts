/**
 * Limits that stop hostile input cheaply. Each is far above what real
 * programs use; crossing one is a `CompileError`, `LinkError` or `ArtifactError`
 * that names it.
 *
 * @module
 */

/** How deep modules may nest inside modules. */
export const MAX_NESTING_DEPTH = 100;

/** Most entries of one kind (types, imports, aliases, …) one module may declare. */
export const MAX_ITEMS = 1_000_000;

/** Most arguments one `instantiate` may name. */
export const MAX_INSTANTIATE_ARGS = 100_000;

/**
 * Largest effective size of a type: every func/table/memory/global counts 1,
 * a module or instance type counts 1 plus the sizes of what it imports and
 * exports, counted as often as it is referenced. Bounds the work of
 * subtyping checks, which otherwise grows exponentially with types that
 * reference each other.
 */
export const MAX_TYPE_SIZE = 100_000;

/** Default cap on instances one `instantiate` call may create, nested ones included. */
export const DEFAULT_MAX_INSTANCES = 10_000;

/** How deep instantiations may nest (a module instantiating a module instantiating …). */
export const MAX_INSTANTIATION_DEPTH = 500;

/**
 * Largest `manifest.json` the loader reads (8 MiB). An entry takes about 150
 * bytes, so this is some 50,000 artifacts; a bigger file is a mistake or an
 * attack, and is refused before it is read into memory.
 */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
