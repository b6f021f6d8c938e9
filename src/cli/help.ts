// One way --help shows defaults, for every command: "(default: 24h)" after the description, whether
// commander applies the default or the command does at run time (flags.ts defaulted()).

import type { Help, Option } from 'commander';

/** The default an option shows in --help, or undefined when it has none worth showing. */
export function shownDefault(option: Option): string | undefined {
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  const value: unknown = option.defaultValue;
  if (value === undefined || typeof value === 'boolean') return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export function optionDescription(option: Option): string {
  const shown = shownDefault(option);
  if (shown === undefined) return option.description;
  return option.description === '' ? `(default: ${shown})` : `${option.description} (default: ${shown})`;
}

/** Help settings for the program (subcommands inherit them). */
export const HELP_CONFIG: Partial<Help> = { optionDescription, sortSubcommands: false };
