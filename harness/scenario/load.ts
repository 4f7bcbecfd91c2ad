// Loads scenario files: `*.ts` / `*.js` modules whose default export is a
// Scenario (typed builder) or `*.json` files (declarative), all checked by
// the same validator before anything boots.
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ScenarioError } from './errors.ts';
import { validateScenario } from './validate.ts';
import type { Scenario } from './types.ts';

/** The repository's scenarios/ folder. */
export const SCENARIO_DIR = resolve(fileURLToPath(new URL('../../scenarios', import.meta.url)));

/** Load and validate every scenario in `dir` (default scenarios/), sorted by file name. Names must be unique. */
export async function loadScenarios(dir: string = SCENARIO_DIR): Promise<Scenario[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new ScenarioError(dir, undefined, `cannot list the scenario folder (${(e as Error).message})`);
  }
  const files = names.filter((n) => /\.(ts|js|json)$/.test(n) && !n.startsWith('_') && !n.endsWith('.d.ts')).sort();
  const out: Scenario[] = [];
  const byName = new Map<string, string>();
  for (const f of files) {
    const s = await loadScenario(join(dir, f));
    const other = byName.get(s.name);
    if (other) throw new ScenarioError(join(dir, f), undefined, `scenario name "${s.name}" is also used by ${other}`);
    byName.set(s.name, join(dir, f));
    out.push(s);
  }
  return out;
}

/** Load and validate one scenario file (.ts, .js or .json). */
export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  let value: unknown;
  try {
    if (extname(path) === '.json') {
      value = JSON.parse(await readFile(path, 'utf8'));
    } else {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
      value = mod.default;
    }
  } catch (e) {
    throw new ScenarioError(path, undefined, `cannot load the file (${(e as Error).message})`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) value = { ...value, file: path };
  const { scenario } = validateScenario(value, path);
  if (extname(path) !== '.json' && basename(path, extname(path)) !== scenario.name) {
    throw new ScenarioError(path, undefined, `the file name should be the scenario name ("${scenario.name}${extname(path)}")`);
  }
  return scenario;
}
