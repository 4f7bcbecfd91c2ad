// A small argument parser: flags declared as data, so every command lists
// what it takes and an unknown flag is an error that names it.
import { HoneError } from '../util/errors.ts';

export interface FlagSpec {
  type: 'boolean' | 'string' | 'strings';
  alias?: string;
  help: string;
}

export type Parsed<F extends Record<string, FlagSpec>> = {
  flags: { [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K]['type'] extends 'strings' ? string[] : string };
  positional: string[];
};

export function parseArgs<F extends Record<string, FlagSpec>>(argv: string[], spec: F, command: string): Parsed<F> {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const name = Object.keys(spec).find((k) => k === rawName || spec[k]?.alias === rawName);
    const s = name ? spec[name] : undefined;
    if (!name || !s) {
      throw new HoneError('E_USAGE', `${command}: unknown option ${arg}`, { hint: `see \`hone ${command} --help\`` });
    }
    if (s.type === 'boolean') {
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new HoneError('E_USAGE', `${command}: ${arg} needs a value`);
    if (s.type === 'strings') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags: flags as Parsed<F>['flags'], positional };
}

export function usage(command: string, synopsis: string, spec: Record<string, FlagSpec>): string {
  const lines = [`usage: hone ${command} ${synopsis}`];
  for (const [name, s] of Object.entries(spec)) {
    const flag = `--${name}${s.alias ? `, -${s.alias}` : ''}${s.type === 'boolean' ? '' : ' VALUE'}`;
    lines.push(`  ${flag.padEnd(26)} ${s.help}`);
  }
  return lines.join('\n');
}

/**
 * A subcommand from its flags and body: parses argv (adding --help, which
 * prints the usage) and runs the body with the parsed flags.
 */
export function defineCommand<F extends Record<string, FlagSpec>>(
  name: string,
  synopsis: string,
  spec: F,
  body: (args: Parsed<F>) => Promise<number>,
): (argv: string[]) => Promise<number> {
  const withHelp = { ...spec, help: { type: 'boolean', alias: 'h', help: 'show this help' } } satisfies Record<string, FlagSpec>;
  return async (argv) => {
    const parsed = parseArgs(argv, withHelp, name);
    if (parsed.flags.help) {
      process.stdout.write(`${usage(name, synopsis, withHelp)}\n`);
      return 0;
    }
    return body(parsed as unknown as Parsed<F>);
  };
}
