// A fault is a named model of one way a sensor can be wrong, as data:
// `events` faults rewrite the ring events of the perfect capture (what a
// flawed sensor would have written), `bytes` faults damage the written
// PCAP-NG (what a flawed writer or a cut-off file looks like). Each says
// when it applies to a scenario and what the checker must answer.
import type { Truth } from '../../check/types.ts';
import type { ByteOrder } from '../../capture/types.ts';
import { decodePacket } from '../../capture/packet.ts';
import type { PacketEvent, SimCapture, SimEvent } from '../events.ts';
import type { Rng } from '../rng.ts';

export interface FaultContext {
  truth: Truth;
  /** The perfect capture (never modified by a fault). */
  perfect: SimCapture;
  rng: Rng;
}

interface FaultBase {
  name: string;
  /** What it models: the real failure class, in one or two sentences. */
  models: string;
  /** When it applies to a scenario, in words (the `applies` predicate says it in code). */
  appliesWhen: string;
  /** A non-empty result: why it does not apply to this scenario's truth. */
  notApplicable(ctx: Omit<FaultContext, 'rng'>): string | undefined;
}

export interface EventFault extends FaultBase {
  kind: 'events';
  /** The reason the checker must give (one of its mismatches matches). */
  expect: RegExp;
  apply(ctx: FaultContext): SimCapture;
}

export interface BytesFault extends FaultBase {
  kind: 'bytes';
  /** true: a correct reader must skip the damage and the capture must still pass. */
  mustPass: boolean;
  /** For faults that must fail: the reason the reader or checker must give. */
  expect?: RegExp;
  apply(pcapng: Buffer, order: ByteOrder, rng: Rng): Buffer;
}

/** A fault of the /dev/honet text only: the PCAP-NG stays the perfect one. */
export interface TextFault extends FaultBase {
  kind: 'text';
  expect: RegExp;
  apply(honet: string, rng: Rng): string;
}

export type Fault = EventFault | BytesFault | TextFault;

/** Appearances of tagged payload that the checker judges (RULES.md): every send's, and incoming data somebody read. */
export function judged(e: SimEvent): e is PacketEvent {
  return e.kind === 'packet' && (e.meta.role === 'sender' || (e.meta.role === 'reader' && (e.meta.readers?.length ?? 0) > 0));
}

/** The threads a judged packet's tags must be attributed to: the writers of its byte runs, or its readers. */
export function dueTo(e: PacketEvent): Array<{ pid: number; tid: number }> {
  if (e.meta.role === 'sender') return e.meta.runs ?? [];
  return e.meta.readers ?? [];
}

/** A sensor of the 15.07 kind: the label on the packet is the whole story (no read, gain or lose blocks, no holders). */
export function withoutUseBlocks(c: SimCapture): SimCapture {
  return { ...c, events: c.events.filter((e) => e.kind !== 'use') };
}

/** Packets the kernel sends on its own whose existence nobody can predict: pure ACKs and window updates (no data, no SYN, FIN or RST). */
export function pureAck(e: SimEvent): boolean {
  if (e.kind !== 'packet' || e.meta.role !== 'control') return false;
  const p = decodePacket(e.data);
  return !!p && p.payload.length === 0 && !/[SFR]/.test(p.tcpFlags ?? '');
}

/** A scenario item the checker must find: every scenario event and packet but the kernel's pure ACKs. */
export function required(e: SimEvent): boolean {
  if (e.kind === 'packet') {
    if (e.meta.role === 'sender' || e.meta.role === 'reader') return true;
    return e.meta.role === 'control' && (!!e.meta.creator || !!e.meta.beforeAccept) && !pureAck(e);
  }
  if (e.kind === 'use') return e.meta.scenario;
  if (e.kind === 'process' || e.kind === 'socket') return e.meta.scenario && !e.snapshot;
  return false;
}

/**
 * Make every holder-labelled packet list what the capture's own open, gain
 * and lose blocks say at its place (a sensor whose lists agree with its
 * blocks, wherever it put them).
 */
export function holdersFromBlocks(c: SimCapture): void {
  const sets = new Map<string, Set<number>>();
  const of = (id: string) => sets.get(id) ?? sets.set(id, new Set()).get(id)!;
  for (const e of c.events) {
    if (e.kind === 'socket' && e.event === 'open') of(e.socketId).add(e.pid);
    else if (e.kind === 'use' && e.what === 'gain') of(e.socketId).add(e.pid);
    else if (e.kind === 'use' && e.what === 'lose') of(e.socketId).delete(e.pid);
    else if (e.kind === 'packet' && e.attribution === 'holder' && e.socketId !== undefined) {
      const h = [...of(e.socketId)];
      if (h.length > 0) e.holders = h;
      else delete e.holders;
    }
  }
}

/** A copy of a capture whose events can be edited without touching the original. */
export function copyCapture(c: SimCapture, events: SimEvent[] = c.events): SimCapture {
  return {
    ...c,
    events: events.map((e) => ('meta' in e ? { ...e, meta: { ...e.meta } } : { ...e, counters: { ...e.counters } })) as SimEvent[],
  };
}

/** Make a packet say `who` sent it (pid options 258/8 and 262), as a sensor that labels packets would. */
export function labelWith(
  e: PacketEvent,
  who: { pid: number; tid: number; startNs?: bigint },
  attribution: PacketEvent['attribution'],
): void {
  e.pid = who.pid;
  e.tid = who.tid;
  if (who.startNs !== undefined) e.startNs = who.startNs;
  else delete e.startNs;
  delete e.senders;
  delete e.holders;
  e.attribution = attribution;
}
