import t from 'tap';
import { PcapngWriter, IPPROTO, ISB_OPT, readPcapng, type ProcessSpec } from '../../capture/index.ts';
import { checkRecording, type RecordingFile } from '../../capture/recording.ts';
import { ipPacket } from '../fixtures/synth.ts';

type Event = { packet: number } | { read: number } | { exec: string; pid: number };

interface SectionOptions {
  drops?: bigint;
  /** More processes in the snapshot (after process 1). */
  alsoAlive?: Array<{ exec: string; pid: number }>;
  /** A module before process option 262: snapshot process blocks unflagged. */
  legacy?: boolean;
}

const execSpec = (e: { exec: string; pid: number }, snapshot: boolean): ProcessSpec => ({
  event: 'exec',
  pid: e.pid,
  ppid: 1,
  exe: '/bin/true',
  argv: ['true', e.exec],
  startNs: BigInt(e.pid),
  snapshot,
});

/** One section: headers, a snapshot (process 1 and its socket), the events, an ISB. */
function section(events: Event[], opts: SectionOptions = {}): Buffer {
  const w = new PcapngWriter().header();
  w.process({ event: 'exec', pid: 1, ppid: 0, exe: '/sbin/init', argv: ['init'], startNs: 1n, snapshot: !opts.legacy });
  for (const p of opts.alsoAlive ?? []) w.process(execSpec(p, !opts.legacy));
  w.connection({ event: 'open', socketId: '0000000000000001', pid: 1, snapshot: true });
  for (const e of events) {
    if ('packet' in e)
      w.packet({
        direction: 'out',
        data: ipPacket('127.0.0.1:1', '127.0.0.1:2', IPPROTO.UDP, Buffer.from('x')),
        socketId: '0000000000000001',
        pid: 1,
        tid: 1,
        attribution: 'sender',
        packetId: BigInt(e.packet),
        timestampUs: BigInt(e.packet),
      });
    else if ('read' in e)
      w.use({
        what: 'read',
        socketId: '0000000000000001',
        pid: 1,
        tid: 1,
        readPacketId: BigInt(e.read),
        bytes: 1,
        timestampUs: BigInt(e.read),
      });
    else w.process(execSpec(e, false));
  }
  return w.stats({ [ISB_OPT.PACKETS_RING_DROPPED]: opts.drops ?? 0n }).toBuffer();
}

const begin = { exec: 'HONE-MARK-BEGIN', pid: 10 };
const end = { exec: 'HONE-MARK-END', pid: 11 };
const all: Event[] = [
  begin,
  { packet: 1 },
  { read: 1 },
  { packet: 2 },
  { exec: 'work', pid: 12 },
  { read: 2 },
  { packet: 3 },
  { read: 3 },
  end,
];
const reference: RecordingFile = { name: 'ref', buf: section(all) };
const split = (a: Event[], b: Event[], o: SectionOptions & { dropsA?: bigint } = {}): RecordingFile[] => [
  { name: 'a', buf: section(a, { drops: o.dropsA ?? 0n, legacy: o.legacy ?? false }) },
  { name: 'b', buf: section(b, o) },
];

t.test('a recording split at a rotation, every event once', async (t) => {
  const v = checkRecording(split(all.slice(0, 4), all.slice(4)), { reference });
  t.same(v.problems, []);
  // the live exec right after the second snapshot cannot be told from a snapshot block: it may fill in, never duplicate
  // flagged snapshot blocks are not events; every other block is one
  t.match(v, {
    ok: true,
    files: 2,
    sections: 2,
    packets: 3,
    packetIds: { first: 1n, last: 3n },
    window: { reference: 7, recorded: 7, snapshotOrLive: 0 },
  });
  const legacy = checkRecording(split(all.slice(0, 4), all.slice(4), { legacy: true }), { reference });
  t.same(legacy.problems, []);
  const fused = checkRecording([{ name: 'one', buf: Buffer.concat([section(all.slice(0, 4)), section(all.slice(4))]) }], { reference });
  t.same(fused.problems, [], 'two sections in one file (-a, no rename) are fine too');
});

t.test('process events at a rotation, with and without the snapshot flag (process option 262)', async (t) => {
  const work = all[4] as { exec: string; pid: number };
  // the live exec of pid 12 lost at the rotation; the next section's snapshot lists pid 12
  const lost = split(all.slice(0, 4), all.slice(5), { alsoAlive: [work] });
  t.match(
    checkRecording(lost, { reference }).problems.join('\n'),
    /1 event\(s\) of the reference missing from the recording: process/,
    'a lost exec is missing, though the snapshot lists the process',
  );
  // the live exec of pid 12 in both files: at the end of a and right after b's snapshot
  const twice = split(all.slice(0, 5), all.slice(4));
  t.match(
    checkRecording(twice, { reference }).problems.join('\n'),
    /1 event\(s\) recorded more often than the reference saw them: process/,
    'a repeated exec right after the snapshot is a duplicate',
  );
  // before the flag, both hide behind the snapshot (a snapshot exec block is the live one's bytes)
  t.same(
    checkRecording(split(all.slice(0, 4), all.slice(5), { alsoAlive: [work], legacy: true }), { reference }).problems,
    [],
    'unflagged: the loss is unseen',
  );
  t.same(
    checkRecording(split(all.slice(0, 5), all.slice(4), { legacy: true }), { reference }).problems,
    [],
    'unflagged: the duplicate is unseen',
  );
});

t.test('what a broken rotation looks like', async (t) => {
  const problems = (files: RecordingFile[]) => checkRecording(files, { reference }).problems.join('\n');
  t.match(
    problems(split(all.slice(0, 3), all.slice(4))),
    /1 packet id\(s\) missing: 2\.\.2 \(the last before is in a, the next in b\)/,
    'a packet lost',
  );
  t.match(problems(split(all.slice(0, 4), all.slice(3))), /packet id 2 is in a and again in b/, 'a packet in both files');
  t.match(
    problems(split(all.slice(0, 6), all.slice(5))),
    /recorded more often than the reference saw them: use/,
    'a read block in both files',
  );
  t.match(problems(split(all.slice(0, 4), [all[4]!, ...all.slice(6)])), /missing from the recording: use/, 'a read block lost');
  t.match(problems(split(all.slice(0, 4), all.slice(4), { drops: 3n })), /3 packets ring-dropped \(ISB counters\)/, 'drops counted');
  t.match(
    problems(split(all.slice(0, 4), all.slice(4), { dropsA: 3n, drops: 3n })),
    /^3 packets ring-dropped \(ISB counters\)$/m,
    'cumulative counters repeated in every file are counted once',
  );
  const cut = section(all.slice(0, 4));
  t.match(
    problems([
      { name: 'a', buf: cut.subarray(0, cut.length - 4) },
      { name: 'b', buf: section(all.slice(4)) },
    ]),
    /a: not a valid PCAP-NG file/,
    'a cut file',
  );
  const isbAt = readPcapng(cut).blocks.at(-1)!.offset;
  const noIsb = Buffer.concat([cut.subarray(0, isbAt), section(all.slice(4))]);
  t.match(
    checkRecording([{ name: 'x', buf: noIsb }]).problems.join('\n'),
    /x: the section before offset \d+ does not end with an ISB/,
    'a section without its ISB',
  );
  t.match(problems([{ name: 'a', buf: section(all.slice(1)) }]), /marker processes .* missing from the recording/, 'no markers');
});
