// A malformed scenario: names the file, the step (index and kind) and the reason.
import { HoneError } from '../util/errors.ts';

export class ScenarioError extends HoneError {
  readonly file: string;
  /** Index of the offending step, or undefined when the fault is in the scenario's header. */
  readonly step: number | undefined;
  readonly reason: string;

  constructor(file: string, step: number | undefined, reason: string, stepKind?: string) {
    const where = step === undefined ? '' : ` step ${step}${stepKind ? ` (${stepKind})` : ''}`;
    super('E_SCENARIO', `${file}:${where} ${reason}`, { hint: 'fix the scenario file; no guest was booted' });
    this.name = 'ScenarioError';
    this.file = file;
    this.step = step;
    this.reason = reason;
  }
}
