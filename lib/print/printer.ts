/**
 * What `printWat` loads on first use: the module printer and wabt's
 * disassembler.
 *
 * @module
 */

export { loadDisassembler } from "./disassemble.ts";
export { needsDisassembler, printModule } from "./module.ts";
