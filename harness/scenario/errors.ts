// A malformed scenario: names the file, the step (index and kind) and the reason.

export class ScenarioError extends Error {
  readonly code: 'E_SCENARIO';
  readonly file: string;
  /** Index of the offending step, or undefined when the fault is in the scenario's header. */
  readonly step: number | undefined;
  readonly reason: string;

  constructor(file: string, step: number | undefined, reason: string, stepKind?: string) {
    const where = step === undefined ? '' : ` step ${step}${stepKind ? ` (${stepKind})` : ''}`;
    super(`${file}:${where} ${reason}; fix the scenario file before running the matrix`);
    this.name = 'ScenarioError';
    this.code = 'E_SCENARIO';
    this.file = file;
    this.step = step;
    this.reason = reason;
  }
}
