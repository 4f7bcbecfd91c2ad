export type * from './types.ts';
export { DEFAULT_SIZE, TAG_LENGTH, RUNNER_ACTOR } from './types.ts';
export { ScenarioError } from './errors.ts';
export { validateScenario, type ScenarioModel } from './validate.ts';
export { compileScenario, stepOffset, SCRIPT_MAGIC } from './compile.ts';
export { loadScenarios, loadScenario, SCENARIO_DIR } from './load.ts';
export { defineScenario, repeat } from './define.ts';
export { Descriptors, type Descriptor, type Dropped } from './descriptors.ts';
