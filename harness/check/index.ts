export type * from './types.ts';
export { checkScenario, verdictCounts, type CheckInput } from './check.ts';
export { FORMAT_PROMISES, type FormatPromises } from './promises.ts';
export { parseTruth } from './truth.ts';
export { stepsOf } from './steps.ts';
