export type * from './types.ts';
export { checkScenario, type CheckInput } from './check.ts';
export { parseTruth } from './truth.ts';
