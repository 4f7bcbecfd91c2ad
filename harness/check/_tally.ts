// The verdict being built: counts per category, the reasons of every wrong
// or missing item in plain words, and notes that do not change the status.
import type { Counts } from './types.ts';

export type Category = 'events' | 'packets' | 'control' | 'honet';

export class Tally {
  readonly counts: Record<Category, Counts> = { events: zero(), packets: zero(), control: zero(), honet: zero() };
  /** Reasons the capture fails, in the order found. */
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  unmatched = 0;

  correct(c: Category): void {
    this.counts[c].total++;
    this.counts[c].correct++;
  }

  wrong(c: Category, why: string): void {
    this.counts[c].total++;
    this.counts[c].wrong++;
    this.problems.push(why);
  }

  missing(c: Category, why: string): void {
    this.counts[c].total++;
    this.counts[c].missing++;
    this.problems.push(why);
  }

  /** A failure of the capture as a whole (unreadable, duplicated, out of order), counted nowhere. */
  problem(why: string): void {
    this.problems.push(why);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get failed(): boolean {
    return this.problems.length > 0;
  }
}

function zero(): Counts {
  return { total: 0, correct: 0, wrong: 0, missing: 0 };
}
