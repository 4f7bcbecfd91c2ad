// The checker: judges a capture against the runner's ground truth and says,
// in plain words, what the sensor got right, wrong or not at all. Every
// expectation comes from truth.json (RULES.md next to this file says, rule
// by rule, which record of the runner it comes from); the capture is only
// ever what is judged (_model.ts: the expectations, built in _expect.ts).
// One phase per kind of record:
//   _stream    the capture as a stream (ids, duplicates, time order, drops)
//   _events    process, socket, read, gain and lose blocks
//   _outgoing  tagged data leaving its sender
//   _incoming  tagged data arriving at its reader (or at nobody)
//   _control   the kernel's own packets of the scenario's TCP connections
//   _honet     /dev/honet against /dev/hone
import type { Capture, HonetEvent } from '../capture/types.ts';
import type { Scenario } from '../scenario/types.ts';
import { CaptureView } from './_capture.ts';
import type { Ctx } from './_context.ts';
import { judgeControl } from './_control.ts';
import { judgeEvents } from './_events.ts';
import { judgeHonet } from './_honet.ts';
import { judgeIncoming } from './_incoming.ts';
import { buildModel } from './_expect.ts';
import { judgeOutgoing } from './_outgoing.ts';
import { judgeStream } from './_stream.ts';
import { Tally } from './_tally.ts';
import { FORMAT_PROMISES, type FormatPromises } from './promises.ts';
import type { Truth, Verdict } from './types.ts';

export interface CheckInput {
  scenario: Scenario;
  truth: Truth;
  capture: Capture;
  /** The run's /dev/honet text: compared with the PCAP-NG, block by block. */
  honet?: HonetEvent[];
  /** How many mismatches to keep in the verdict (default 20). */
  maxMismatches?: number;
  /** What the format promises (default FORMAT_PROMISES). */
  promises?: Partial<FormatPromises>;
}

export function checkScenario(input: CheckInput): Verdict {
  const { scenario, truth } = input;
  const tally = new Tally();
  if (truth.scenario !== scenario.name) tally.problem(`truth.json is for scenario "${truth.scenario}", not "${scenario.name}"`);
  if (!truth.ok) {
    tally.problem(
      `the runner did not complete the scenario: ${truth.error ?? 'no reason given'} (infrastructure or scenario error, not a sensor verdict)`,
    );
    return verdict(input, tally);
  }
  const m = buildModel(truth);
  for (const p of m.truthProblems) tally.problem(`the truth contradicts itself: ${p}`);
  const ctx: Ctx = { m, cap: new CaptureView(input.capture, m, input.honet), tally, promises: { ...FORMAT_PROMISES, ...input.promises } };
  judgeStream(ctx);
  const events = judgeEvents(ctx);
  judgeOutgoing(ctx, events);
  judgeIncoming(ctx, events);
  judgeControl(ctx);
  // start times of packets no tagged appearance judged (a sender-labelled packet without a tag)
  for (const [offset, why] of events.starts) {
    const b = ctx.cap.blocks[ctx.cap.indexOf(offset)];
    tally.wrong('packets', `${b?.kind === 'packet' && b.direction === 'in' ? 'incoming' : 'outgoing'} packet at offset ${offset}: ${why}`);
  }
  if (input.honet) judgeHonet(ctx, input.honet);
  const c = tally.counts;
  if (c.events.total + c.packets.total === 0)
    tally.problem('nothing to judge: the truth has no events or tagged packets after the capture started');
  return verdict(input, tally);
}

// --- internal ---

function verdict(input: CheckInput, tally: Tally): Verdict {
  const { scenario, truth } = input;
  const max = input.maxMismatches ?? 20;
  const c = tally.counts;
  const status: Verdict['status'] = !tally.failed ? 'pass' : scenario.knownGap && truth.ok ? 'todo' : 'fail';
  const notes = tally.notes.length > 50 ? [...tally.notes.slice(0, 50), '… and more notes'] : tally.notes;
  const v: Verdict = {
    scenario: scenario.name,
    status,
    packets: c.packets,
    events: c.events,
    control: c.control,
    unmatched: tally.unmatched,
    mismatches: tally.problems.slice(0, max),
    mismatchCount: tally.problems.length,
    notes,
  };
  if (input.honet) v.honet = c.honet;
  if (scenario.knownGap) v.knownGap = scenario.knownGap;
  return v;
}

/** "packets 4/4, events 15/15, control 16/16, honet 35/35": correct of judged, per category. */
export function verdictCounts(v: Verdict): string {
  const c = (name: string, x: { correct: number; total: number } | undefined) => (x ? [`${name} ${x.correct}/${x.total}`] : []);
  return [...c('packets', v.packets), ...c('events', v.events), ...c('control', v.control), ...c('honet', v.honet)].join(', ');
}
