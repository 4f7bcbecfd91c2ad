// The fault table: every fault the simulator knows, in the order the table
// of scenarios by faults shows them.
import { creatorOnly, lastUser, noAnyAddressInbound, singleSender, stalePidReuse, wrongDirection } from './attribution.ts';
import { truncatedBlock, unknownBlocks, wrongByteOrderMarker, wrongTrailingLength } from './format.ts';
import { controlNoSocket, dropControl } from './control.ts';
import { controlAsSender, earlyClose, earlyLose, lateGain, noHolderEvents, snapshotOneHolder } from './holders.ts';
import { closeAfterCapture, dropEvents, dropEventsUncounted, dropOne, dropPackets, dropPacketsUncounted } from './loss.ts';
import { reorder, swapParentChild } from './order.ts';
import { beforeAcceptNone, noReadBlocks, readerIsCurrent, unreadNobodys } from './readers.ts';
import {
  backwardsTimestamps,
  bogusExec,
  duplicatePackets,
  noInode,
  noNetns,
  noStartTimes,
  secondExit,
  widenedReads,
  wrongCloseFields,
  zeroTimestamps,
} from './records.ts';
import { honetDisagrees } from './text.ts';
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
  // the holes the proof audit found (harness/check/RULES.md says which rule catches each)
  dropControl,
  controlNoSocket,
  lateGain,
  earlyLose,
  earlyClose,
  wrongCloseFields,
  snapshotOneHolder,
  duplicatePackets,
  zeroTimestamps,
  backwardsTimestamps,
  widenedReads,
  noStartTimes,
  noNetns,
  noInode,
  bogusExec,
  secondExit,
  honetDisagrees,
  unreadNobodys,
  beforeAcceptNone,
  closeAfterCapture,
  dropOne,
  truncatedBlock,
  wrongTrailingLength,
  wrongByteOrderMarker,
  unknownBlocks,
];

export function faultNamed(name: string): Fault | undefined {
  return FAULTS.find((f) => f.name === name);
}

export type { Fault, EventFault, BytesFault, TextFault, FaultContext } from './types.ts';
export { judged } from './types.ts';
