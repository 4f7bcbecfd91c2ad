// The Vagrantfile must stay valid: `vagrant validate` where Vagrant is
// installed (it works offline, no box is fetched), else `ruby -c`.
import t from 'tap';
import { join } from 'node:path';
import { run } from '../../util/run.ts';
import { repoRoot } from '../../util/paths.ts';

const has = async (tool: string) => (await run('sh', ['-c', `command -v ${tool}`], { allowFail: true })).exitCode === 0;

t.test('Vagrantfile is valid', async (t) => {
  const file = join(repoRoot, 'Vagrantfile');
  if (await has('vagrant')) {
    const r = await run('vagrant', ['validate'], { cwd: repoRoot, allowFail: true, env: { VAGRANT_CHECKPOINT_DISABLE: '1' } });
    t.equal(r.exitCode, 0, `vagrant validate: ${r.stdout} ${r.stderr}`);
  } else if (await has('ruby')) {
    const r = await run('ruby', ['-c', file], { allowFail: true });
    t.equal(r.exitCode, 0, `ruby -c: ${r.stderr}`);
  } else {
    t.plan(0, 'skipped: neither vagrant nor ruby is installed (apt-get install --no-install-recommends vagrant)');
  }
});
