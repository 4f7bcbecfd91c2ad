// Judging one run's folder (truth.json, capture.pcapng, honet.txt): what
// the matrix does after a scenario ran in a guest, and what `hone check`
// does with a folder copied from anywhere.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHonet, readPcapng } from '../capture/index.ts';
import { checkScenario, parseTruth, type Verdict } from '../check/index.ts';
import { loadScenarios, type Scenario } from '../scenario/index.ts';
import { HoneError } from '../util/errors.ts';

export const RUN_FILES = ['truth.json', 'capture.pcapng', 'honet.txt'] as const;

/** The verdict on a run folder; the scenario is the truth's own unless given. A missing honet.txt is a failure: the matrix always records it. */
export async function judgeRun(dir: string, scenario?: Scenario): Promise<Verdict> {
  const read = async (f: string) => {
    try {
      return await readFile(join(dir, f));
    } catch (e) {
      throw new HoneError('E_USAGE', `${dir}: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
        hint: `a run folder holds ${RUN_FILES.join(', ')} (results/<kernel>/<scenario>/)`,
      });
    }
  };
  const truth = parseTruth((await read('truth.json')).toString('utf8'), join(dir, 'truth.json'));
  const s = scenario ?? (await loadScenarios()).find((x) => x.name === truth.scenario);
  if (!s)
    throw new HoneError('E_USAGE', `${dir}: truth.json is for scenario "${truth.scenario}", which is not in scenarios/`, {
      hint: 'give --scenario FILE',
    });
  return checkScenario({
    scenario: s,
    truth,
    capture: readPcapng(await read('capture.pcapng')),
    honet: parseHonet((await read('honet.txt')).toString('utf8')),
  });
}
