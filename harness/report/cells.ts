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
