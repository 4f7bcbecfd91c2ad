// How one result reads in a table cell, shared by the terminal and Markdown.
import type { ResultStatus, ScenarioResult } from '../matrix/types.ts';

const words: { [K in ResultStatus]: (r: ScenarioResult) => string } = {
  pass: (r) => `pass ${accuracy(r)}`,
  fail: (r) => `FAIL ${accuracy(r)}`,
  todo: (r) => `todo ${accuracy(r)}`,
  crash: () => 'CRASH',
  infra: () => 'INFRA',
};

export function cell(r: ScenarioResult | undefined): string {
  return r ? words[r.status](r) : '-';
}

/** Packet accuracy: correct packets out of those the scenario made. */
export function accuracy(r: ScenarioResult): string {
  return r.packets.total === 0 ? 'n/a' : `${Math.floor((100 * r.packets.correct) / r.packets.total)}%`;
}

const worst: ResultStatus[] = ['crash', 'infra', 'fail', 'todo', 'pass'];

/** A case over its runs: one run as `cell`; several as the worst status and how many passed ("pass 5/5", "FAIL 4/5"). */
export function caseCell(runs: ScenarioResult[]): string {
  if (runs.length <= 1) return cell(runs[0]);
  const status = worst.find((s) => runs.some((r) => r.status === s))!;
  const passed = runs.filter((r) => r.status === 'pass').length;
  return `${status === 'pass' ? 'pass' : status.toUpperCase()} ${passed}/${runs.length}`;
}
