// hone check DIR...: the verdict on run folders made anywhere (a matrix's
// results/<kernel>/<scenario>, a folder copied from a test machine): the
// same checker the matrix runs, the same lines it prints. DIR may also be
// a folder of run folders (results/<kernel>). Exit 0 only if every run
// passes.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { verdictCounts, type Verdict } from '../check/index.ts';
import { judgeRun } from '../matrix/judge-run.ts';
import { loadScenario } from '../scenario/index.ts';
import { HoneError } from '../util/errors.ts';
import { defineCommand } from './args.ts';

const spec = {
  scenario: { type: 'string', help: 'judge against this scenario file (default: the one truth.json names, from scenarios/)' },
  json: { type: 'boolean', help: 'print each verdict as one JSON line' },
  all: { type: 'boolean', help: 'print every mismatch and note (default: the first 20 mismatches)' },
} as const;

export const checkCommand = defineCommand('check', 'DIR... [--scenario FILE] [--json]', spec, async ({ flags, positional }) => {
  if (positional.length === 0)
    throw new HoneError('E_USAGE', 'check: give a run folder (truth.json, capture.pcapng, honet.txt)', {
      hint: 'e.g. npx hone check results/debian-6.1/tcp-loopback-v4',
    });
  const scenario = flags.scenario ? await loadScenario(flags.scenario) : undefined;
  const runs = (await Promise.all(positional.map(runFolders))).flat();
  let passed = 0;
  for (const dir of runs) {
    const v = await judgeRun(dir, scenario);
    if (v.status === 'pass') passed++;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ dir, ...v })}\n`);
      continue;
    }
    process.stdout.write(`${lines(dir, v, !!flags.all).join('\n')}\n`);
  }
  const failed = runs.length - passed;
  if (!flags.json) process.stdout.write(`check: ${passed} passed, ${failed} not passed (of ${runs.length})\n`);
  return failed === 0 ? 0 : 1;
});

// --- internal ---

/** DIR itself when it holds truth.json, else its sub-folders that do. */
async function runFolders(dir: string): Promise<string[]> {
  const has = async (d: string) => (await stat(join(d, 'truth.json')).catch(() => undefined))?.isFile() ?? false;
  if (await has(dir)) return [dir];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new HoneError('E_USAGE', `check: ${dir} is not a folder`);
  });
  const subs = [];
  for (const e of entries) if (e.isDirectory() && (await has(join(dir, e.name)))) subs.push(join(dir, e.name));
  if (subs.length === 0)
    throw new HoneError('E_USAGE', `check: ${dir} holds no truth.json, nor do its sub-folders`, {
      hint: 'a run folder holds truth.json, capture.pcapng and honet.txt',
    });
  return subs.sort();
}

/** As the matrix says it: status, counts, then the reasons. */
function lines(dir: string, v: Verdict, all: boolean): string[] {
  const out = [`${v.status.toUpperCase()} ${v.scenario} (${dir}): ${verdictCounts(v)}${v.knownGap ? ` [known gap: ${v.knownGap}]` : ''}`];
  for (const m of all ? v.mismatches : v.mismatches.slice(0, 20)) out.push(`  ${m}`);
  if (v.mismatchCount > v.mismatches.length) out.push(`  … ${v.mismatchCount - v.mismatches.length} more (rerun with --all)`);
  for (const n of all ? v.notes : v.notes.slice(0, 5)) out.push(`  note: ${n}`);
  return out;
}
