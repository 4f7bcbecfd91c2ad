// The mutation suite: for every scenario, the perfect capture must pass the
// checker, and every fault that applies must make it fail with the fault's
// reason (or, for faults a reader must tolerate, still pass).
import { CaptureError } from '../capture/errors.ts';
import { parseHonet } from '../capture/honet.ts';
import { readPcapng } from '../capture/pcapng.ts';
import { checkScenario } from '../check/check.ts';
import type { Truth, Verdict } from '../check/types.ts';
import type { Scenario } from '../scenario/types.ts';
import { FAULTS, type Fault } from './faults/index.ts';
import { simulateSensor } from './sensor/index.ts';
import { withFault } from './simulate.ts';

export type Outcome =
  /** The fault applies and the checker failed the capture with the fault's reason. */
  | 'caught'
  /** The fault does not apply to this scenario (its `notApplicable` says why). */
  | 'n/a'
  /** A fault a reader must tolerate: the capture still passes. */
  | 'tolerated'
  /** The fault applies and the checker passed the capture, or failed it for another reason. */
  | 'missed';

export interface Cell {
  scenario: string;
  fault: string;
  outcome: Outcome;
  /** Why: the matching mismatch, the reason it does not apply, or what the checker said instead. */
  detail: string;
  /** Verdict with the scenario's knownGap kept (never `pass` for a caught fault). */
  status: Verdict['status'];
}

export interface PerfectResult {
  scenario: string;
  status: Verdict['status'];
  detail: string;
}

export interface MutationReport {
  seed: number;
  perfect: PerfectResult[];
  cells: Cell[];
  /** Faults no scenario caught (or tolerated): a gap of the scenario set when every scenario ran. */
  uncaughtFaults: string[];
  /** Every perfect capture passes and every applicable fault is caught. */
  ok: boolean;
}

export interface MutationInput {
  scenario: Scenario;
  truth: Truth;
}

/** Judge a written capture like the matrix does (with its honet text); a file the reader rejects is a failure with the reader's reason. */
export function judge(scenario: Scenario, truth: Truth, pcapng: Buffer, honet?: string): Verdict {
  try {
    return checkScenario({
      scenario,
      truth,
      capture: readPcapng(pcapng),
      ...(honet !== undefined ? { honet: parseHonet(honet) } : {}),
      maxMismatches: 1_000_000,
    });
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    const zero = { total: 0, correct: 0, wrong: 0, missing: 0 };
    return {
      scenario: scenario.name,
      status: 'fail',
      packets: zero,
      events: zero,
      control: zero,
      unmatched: 0,
      mismatches: [`unreadable capture: ${e.message}`],
      mismatchCount: 1,
      notes: [],
    };
  }
}

export function runMutations(inputs: MutationInput[], seed: number, faults: readonly Fault[] = FAULTS): MutationReport {
  const perfectResults: PerfectResult[] = [];
  const cells: Cell[] = [];
  for (const { scenario, truth } of inputs) {
    const strict: Scenario = { ...scenario };
    delete strict.knownGap;
    const perfect = simulateSensor(truth, seed);
    const base = { truth, derived: false, perfect, seed, order: 'le' as const };
    const pr = withFault(base);
    const pv = judge(strict, truth, pr.pcapng, pr.honet);
    perfectResults.push({
      scenario: scenario.name,
      status: pv.status,
      detail: pv.status === 'pass' ? `${pv.packets.total} packets, ${pv.events.total} events` : (pv.mismatches[0] ?? ''),
    });
    for (const fault of faults) {
      const na = fault.notApplicable({ truth, perfect });
      if (na) {
        cells.push({ scenario: scenario.name, fault: fault.name, outcome: 'n/a', detail: na, status: pv.status });
        continue;
      }
      const { pcapng, honet } = withFault({ ...base, fault });
      const v = judge(strict, truth, pcapng, honet);
      const lenient = scenario.knownGap ? judge(scenario, truth, pcapng, honet).status : v.status;
      if (fault.kind === 'bytes' && fault.mustPass) {
        cells.push({
          scenario: scenario.name,
          fault: fault.name,
          outcome: v.status === 'pass' ? 'tolerated' : 'missed',
          detail: v.status === 'pass' ? 'skipped, capture passes' : `failed: ${v.mismatches[0]}`,
          status: lenient,
        });
        continue;
      }
      const expect = fault.expect!;
      const hit = v.status === 'fail' ? v.mismatches.find((m) => expect.test(m)) : undefined;
      cells.push({
        scenario: scenario.name,
        fault: fault.name,
        outcome: hit ? 'caught' : 'missed',
        status: lenient,
        detail: hit ?? (v.status === 'pass' ? 'the checker passed it' : `failed for another reason: ${v.mismatches[0]}`),
      });
    }
  }
  const uncaughtFaults = faults
    .filter((f) => !cells.some((c) => c.fault === f.name && (c.outcome === 'caught' || c.outcome === 'tolerated')))
    .map((f) => f.name);
  const ok = perfectResults.every((p) => p.status === 'pass') && cells.every((c) => c.outcome !== 'missed');
  return { seed, perfect: perfectResults, cells, uncaughtFaults, ok };
}

const SHORT: Record<string, string> = {
  'creator-only': 'creator',
  'last-user': 'last-user',
  'drop-events': 'drop-ev',
  'drop-events-uncounted': 'drop-ev-u',
  'drop-packets': 'drop-pk',
  'drop-packets-uncounted': 'drop-pk-u',
  reorder: 'reorder',
  'swap-parent-child': 'swap-pc',
  'no-any-address-inbound': 'any-in',
  'wrong-direction': 'direction',
  'stale-pid-reuse': 'stale-pid',
  'reader-is-current': 'rd-current',
  'no-read-blocks': 'no-read',
  'single-sender': 'single',
  'no-holder-events': 'no-hold',
  'control-as-sender': 'ctl-send',
  'drop-control': 'drop-ctl',
  'control-no-socket': 'ctl-nosock',
  'late-gain': 'late-gain',
  'early-lose': 'early-lose',
  'early-close': 'early-close',
  'wrong-close-fields': 'close-flds',
  'snapshot-one-holder': 'snap-one',
  'duplicate-packets': 'dup-pk',
  'zero-timestamps': 'ts-zero',
  'backwards-timestamps': 'ts-back',
  'widened-reads': 'wide-rd',
  'no-start-times': 'no-start',
  'no-netns': 'no-netns',
  'no-inode': 'no-ino',
  'bogus-exec': 'bogus-exec',
  'second-exit': '2nd-exit',
  'honet-disagrees': 'honet',
  'unread-nobodys': 'unread',
  'before-accept-none': 'pre-accept',
  'close-after-capture': 'late-close',
  'drop-one': 'drop-one',
  'truncated-block': 'truncated',
  'wrong-trailing-length': 'trailer',
  'wrong-byte-order-marker': 'bom',
  'unknown-blocks': 'unknown',
};

/** The table of scenarios by faults, with a legend and a verdict line. */
export function renderTable(r: MutationReport, faults: readonly Fault[] = FAULTS): string {
  const names = faults.map((f) => f.name);
  const head = ['scenario', 'perfect', ...names.map((n) => SHORT[n] ?? n)];
  const cellText: Record<Outcome, string> = { caught: 'caught', 'n/a': 'n/a', tolerated: 'passes', missed: 'MISSED' };
  const rows = r.perfect.map((p) => [
    p.scenario,
    p.status === 'pass' ? 'pass' : p.status.toUpperCase(),
    ...names.map((n) => {
      const c = r.cells.find((x) => x.scenario === p.scenario && x.fault === n);
      return c ? cellText[c.outcome] : '-';
    }),
  ]);
  const caughtBy = names.map((n) =>
    String(r.cells.filter((c) => c.fault === n && (c.outcome === 'caught' || c.outcome === 'tolerated')).length),
  );
  rows.push(['scenarios catching', '', ...caughtBy]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  out.push('columns: ' + names.map((n) => `${SHORT[n] ?? n} = ${n}`).join(', '));
  out.push(
    "cells: caught = the checker fails the capture with the fault's reason; n/a = the fault cannot show in this scenario; passes = a fault a reader must tolerate was tolerated; MISSED = applicable and not caught",
  );
  const missed = r.cells.filter((c) => c.outcome === 'missed');
  for (const m of missed) out.push(`MISSED ${m.scenario} × ${m.fault}: ${m.detail}`);
  for (const p of r.perfect.filter((x) => x.status !== 'pass')) out.push(`PERFECT CAPTURE DOES NOT PASS ${p.scenario}: ${p.detail}`);
  for (const f of r.uncaughtFaults) out.push(`no scenario here catches ${f}`);
  out.push(r.ok ? `ok: ${r.perfect.length} perfect captures pass; every applicable fault is caught (seed ${r.seed})` : 'NOT OK');
  if (r.ok && r.uncaughtFaults.length === 0) out.push(`every fault is caught by at least one scenario`);
  return out.join('\n');
}
