// The host's tshark, for the tests and the package test: fields of every
// frame (optionally with Hone's Wireshark plugin, tools/wireshark/hone.lua).
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { run } from '../util/run.ts';

/** Hone's Wireshark post-dissector in this checkout. */
export const honeLuaPlugin = join(repoRoot, 'tools', 'wireshark', 'hone.lua');

export interface TsharkOptions {
  /** Load the Hone plugin. */
  plugin?: boolean;
  /** Display filter (-Y). */
  filter?: string;
  /** Preferences (-o NAME:VALUE). */
  prefs?: Record<string, string>;
  env?: Record<string, string | undefined>;
}

/** One row per displayed frame: each field's occurrences, in order. */
export async function tsharkFields(file: string, fields: string[], o: TsharkOptions = {}): Promise<string[][][]> {
  const args = [
    ...(o.plugin ? ['-X', `lua_script:${honeLuaPlugin}`] : []),
    ...Object.entries(o.prefs ?? {}).flatMap(([k, v]) => ['-o', `${k}:${v}`]),
    '-r',
    file,
    ...(o.filter ? ['-Y', o.filter] : []),
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=|',
    '-E',
    'separator=\t',
    ...fields.flatMap((f) => ['-e', f]),
  ];
  const r = await run('tshark', args, { code: 'E_CAPTURE', env: o.env, hint: 'apt-get install tshark' });
  const warnings = r.stderr.split('\n').filter((l) => l.trim() && !/^Running as user "root"/.test(l));
  if (warnings.length > 0) throw new HoneError('E_CAPTURE', `tshark -r ${file} printed warnings`, { details: warnings });
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t').map((v) => (v === '' ? [] : v.split('|'))));
}
