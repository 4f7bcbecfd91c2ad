// What every phase of the checker works with.
import type { HonetEvent } from '../capture/types.ts';
import type { CaptureView } from './_capture.ts';
import type { Model } from './_model.ts';
import type { Tally } from './_tally.ts';
import type { FormatPromises } from './promises.ts';

export interface Ctx {
  m: Model;
  cap: CaptureView;
  tally: Tally;
  promises: FormatPromises;
  honet?: HonetEvent[];
}
