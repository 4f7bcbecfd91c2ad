// One simulated capture: the truth (recorded in a guest, or derived from
// the scenario for a seed), the perfect sensor's events, a fault if one is
// asked for, and the two files a reader would have written.
import type { ByteOrder } from '../capture/types.ts';
import type { Truth } from '../check/types.ts';
import type { Scenario } from '../scenario/types.ts';
import { HoneError } from '../util/errors.ts';
import type { SimCapture } from './events.ts';
import { FAULTS, faultNamed, type Fault } from './faults/index.ts';
import { makeRng } from './rng.ts';
import { deriveTruth } from './runner-model.ts';
import { simulateSensor } from './sensor/index.ts';
import { writeHonet } from './write-honet.ts';
import { writePcapng } from './write-pcapng.ts';

export const DEFAULT_SEED = 1;

export interface SimOptions {
  scenario: Scenario;
  /** A truth.json recorded in a guest; without it the truth is derived from the scenario and the seed. */
  truth?: Truth;
  seed?: number;
  fault?: string;
  order?: ByteOrder;
}

export interface SimResult {
  truth: Truth;
  /** true when the simulator derived the truth itself. */
  derived: boolean;
  fault?: Fault;
  /** Ring events after the fault (for `bytes` faults: the perfect ones). */
  capture: SimCapture;
  pcapng: Buffer;
  honet: string;
}

export function simulate(o: SimOptions): SimResult {
  const seed = o.seed ?? DEFAULT_SEED;
  const truth = o.truth ?? deriveTruth(o.scenario, seed);
  if (truth.scenario !== o.scenario.name)
    throw new HoneError('E_USAGE', `the truth is for scenario "${truth.scenario}", not "${o.scenario.name}"`);
  const perfect = simulateSensor(truth, seed);
  return withFault({ truth, derived: !o.truth, perfect, seed, ...(o.fault ? { fault: o.fault } : {}), order: o.order ?? 'le' });
}

/** Apply a fault (a name from the table, or a fault itself) to a perfect capture and write both files. */
export function withFault(o: {
  truth: Truth;
  derived: boolean;
  perfect: SimCapture;
  seed: number;
  fault?: string | Fault;
  order: ByteOrder;
}): SimResult {
  const fault = o.fault === undefined ? undefined : typeof o.fault === 'string' ? faultNamed(o.fault) : o.fault;
  if (o.fault !== undefined && !fault) {
    throw new HoneError('E_USAGE', `unknown fault "${String(o.fault)}"`, { hint: `faults: ${FAULTS.map((f) => f.name).join(', ')}` });
  }
  const rng = makeRng(o.seed).fork(`fault:${fault?.name ?? ''}:${o.truth.scenario}`);
  const capture = fault?.kind === 'events' ? fault.apply({ truth: o.truth, perfect: o.perfect, rng }) : o.perfect;
  let pcapng = writePcapng(capture, o.order);
  if (fault?.kind === 'bytes') pcapng = fault.apply(pcapng, o.order, rng);
  let honet = writeHonet(capture);
  if (fault?.kind === 'text') honet = fault.apply(honet, rng);
  const r: SimResult = { truth: o.truth, derived: o.derived, capture, pcapng, honet };
  if (fault) r.fault = fault;
  return r;
}
