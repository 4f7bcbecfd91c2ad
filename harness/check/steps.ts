// Typed access to a truth's steps of one kind.
import type { StepKind } from '../scenario/types.ts';
import type { Truth, TruthStep, TruthStepOf } from './types.ts';

/** The steps of `kind`, in step order, typed. */
export function stepsOf<K extends StepKind>(truth: Truth, kind: K): Array<TruthStepOf<K>> {
  return truth.steps.filter((s: TruthStep): s is TruthStepOf<K> => s.kind === kind);
}
