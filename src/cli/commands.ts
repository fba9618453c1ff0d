import type { Command } from './command.js';

/**
 * Every subcommand, in the order `airlb --help` lists them. A new command adds one import and
 * one entry here.
 */
export const commands: readonly Command[] = [];
