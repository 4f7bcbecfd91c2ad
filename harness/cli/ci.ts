// hone ci [--write|--check]: the per-kernel CI workflow generated from the
// catalog. --check exits 1 when ci/hone-matrix.yml is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCatalog } from '../catalog/catalog.ts';
import { renderWorkflow, workflowFile } from '../../ci/workflow.ts';
import { repoRoot } from '../util/paths.ts';
import { log } from '../util/log.ts';
import { defineCommand } from './args.ts';

const spec = {
  write: { type: 'boolean', help: `write ${workflowFile}` },
  check: { type: 'boolean', help: `exit 1 if ${workflowFile} does not match the catalog` },
} as const;

export const ciCommand = defineCommand('ci', '[--write|--check]', spec, async ({ flags }) => {
  const text = renderWorkflow(await loadCatalog());
  const file = join(repoRoot, workflowFile);
  if (flags.write) {
    await writeFile(file, text);
    log(`wrote ${workflowFile}`);
    return 0;
  }
  if (flags.check) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current !== text) {
      log(`${workflowFile} does not match harness/catalog/kernels.json: run \`npx hone ci --write\``);
      return 1;
    }
    log(`${workflowFile} matches the catalog`);
    return 0;
  }
  process.stdout.write(text);
  return 0;
});
