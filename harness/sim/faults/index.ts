// The fault table: every fault the simulator knows, in the order the table
// of scenarios by faults shows them.
import { creatorOnly, lastUser, noAnyAddressInbound, singleSender, stalePidReuse, wrongDirection } from './attribution.ts';
import { truncatedBlock, unknownBlocks, wrongByteOrderMarker, wrongTrailingLength } from './format.ts';
import { controlAsSender, noHolderEvents } from './holders.ts';
import { dropEvents, dropEventsUncounted, dropPackets, dropPacketsUncounted } from './loss.ts';
import { reorder, swapParentChild } from './order.ts';
import { noReadBlocks, readerIsCurrent } from './readers.ts';
import type { Fault } from './types.ts';

export const FAULTS: readonly Fault[] = [
  creatorOnly,
  lastUser,
  dropEvents,
  dropEventsUncounted,
  dropPackets,
  dropPacketsUncounted,
  reorder,
  swapParentChild,
  noAnyAddressInbound,
  wrongDirection,
  stalePidReuse,
  readerIsCurrent,
  noReadBlocks,
  singleSender,
  noHolderEvents,
  controlAsSender,
  truncatedBlock,
  wrongTrailingLength,
  wrongByteOrderMarker,
  unknownBlocks,
];

export function faultNamed(name: string): Fault | undefined {
  return FAULTS.find((f) => f.name === name);
}

export type { Fault, EventFault, BytesFault, FaultContext } from './types.ts';
export { judged } from './types.ts';
