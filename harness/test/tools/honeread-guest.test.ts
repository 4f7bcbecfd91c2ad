// honeread survives 100 SIGHUPs during traffic (the recorder issue), in a
// guest with Hone loaded. The recorder uses the mmap backend (the default
// where the device has rings) and appends (-a, as hone.service does); a
// second honeread, never rotated and on the read() path (-n), records the
// same time as the reference. hone-traffic makes rounds of fork, exec,
// TCP, UDP and exit meanwhile; before each SIGHUP the output is renamed as
// logrotate would; every 10th SIGHUP is followed at once by another (a
// rotation during a rotation), and the last one by SIGTERM. On the host:
// every file is a valid PCAP-NG file on its own, packet ids run without a
// gap or a repeat across the files, the drop counters are 0, and every
// live event between the two marker processes is in the files exactly as
// often as in the reference. Then the same files, doctored (one packet
// dropped at a rotation, one read block recorded twice, one socket event
// lost, one process event lost, one repeated right after the next file's
// snapshot, a file cut), must fail.
// Needs the kernel fetched (`npm run setup`) and a host gcc that links
// statically.
import t from 'tap';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcapng } from '../../capture/index.ts';
import { checkRecording, type RecordingFile } from '../../capture/recording.ts';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { catalogSource } from '../../catalog/source.ts';
import { requireFetched } from '../../fetch/fetch.ts';
import { prepareKernel, startGuest } from '../../guest/prepare.ts';
import { buildHonereadStatic, buildTrafficStatic } from '../../packaging/tools.ts';
import { quiet } from '../../util/log.ts';
import { run } from '../../util/run.ts';

const kernelId = process.env.HONE_E2E_KERNEL ?? 'debian-6.1';
const HUPS = Number(process.env.HONE_HUPS ?? 100);
const here = dirname(fileURLToPath(import.meta.url));

t.test(`honeread: ${HUPS} SIGHUPs during traffic on ${kernelId}, nothing lost or repeated`, async (t) => {
  const [k] = pickKernels(await loadCatalog(), [kernelId]);
  if (!k) throw new Error('unreachable');
  const dir = await mkdtemp(join(tmpdir(), 'hone-honeread-'));
  const [honeread, traffic] = [await buildHonereadStatic(), await buildTrafficStatic(dir)];
  const prepared = await prepareKernel(await requireFetched(catalogSource(k)), quiet, { modules: true });
  const guest = await startGuest(prepared, quiet, { consoleFile: join(dir, 'console.log') });
  const started = Date.now();
  try {
    await guest.writeFile('/tmp/honeread', await readFile(honeread), '0755');
    await guest.writeFile('/tmp/hone-traffic', await readFile(traffic), '0755');
    await guest.writeFile('/tmp/hups.sh', await readFile(join(here, 'honeread-hups.sh')), '0755');
    const r = await guest.exec(`/tmp/hups.sh ${HUPS}`, { timeoutMs: 15 * 60 * 1000 });
    t.equal(r.code, 0, 'the guest script ran') || t.comment(r.stderr);
    t.comment(r.stdout.trim());
    t.match(r.stdout, /recorder exit 0/, 'the recorder drained and exited 0 on SIGTERM');
    t.match(r.stdout, /reference exit 0/, 'so did the reference');
    t.match(r.stdout, /recorder: honeread: using mmap\(\)/, 'the recorder maps the rings');
    t.match(r.stdout, /reference: honeread: using read\(\)/, 'the reference reads');
    await guest.copyOut('/tmp/rec.tar', join(dir, 'rec.tar'));
  } finally {
    await guest.shutdown();
  }
  t.comment(`guest part: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await run('tar', ['xf', join(dir, 'rec.tar'), '-C', dir]);
  const names = (await readdir(dir)).filter((n) => /^out\.(\d+\.)?pcapng$/.test(n));
  const order = (n: string) => Number(/^out\.(\d+)\./.exec(n)?.[1] ?? Infinity);
  names.sort((a, b) => order(a) - order(b));
  const files: RecordingFile[] = await Promise.all(names.map(async (name) => ({ name, buf: await readFile(join(dir, name)) })));
  const reference = { name: 'ref.pcapng', buf: await readFile(join(dir, 'ref.pcapng')) };

  const v = checkRecording(files, { reference });
  t.same(v.problems, [], 'no problem');
  // HUPS renamed files and the last one renamed before SIGHUP+SIGTERM; one more if
  // SIGTERM came after the reopen (it then waits for the next section to begin)
  t.ok(v.files === HUPS + 1 || v.files === HUPS + 2, `${v.files} files`);
  // a second SIGHUP during a rotation adds a section to the next file (unless both came before honeread looked)
  t.ok(v.sections >= v.files && v.sections <= v.files + Math.floor(HUPS / 10), `${v.sections} sections in ${v.files} files`);
  t.ok(v.packets > 1000, `${v.packets} packets, ids ${v.packetIds?.first}..${v.packetIds?.last}, each in exactly one file`);
  t.ok(
    v.window && v.window.reference > 1000,
    `between the markers: ${v.window?.reference} live events in the reference, ${v.window?.recorded} in the files (+${v.window?.snapshotOrLive} snapshot-or-live process blocks)`,
  );
  t.same(
    Object.values(v.drops).filter((n) => n > 0n),
    [],
    'drop counters all 0',
  );
  const refCheck = checkRecording([reference]);
  t.same(refCheck.problems, [], 'the reference itself is whole, without gaps or drops');

  // the same files, doctored: each must fail, for the reason it was doctored
  const mid = Math.floor(files.length / 2);
  const doctored = (i: number, buf: Buffer) => files.map((f, j) => (j === i ? { ...f, buf } : f));
  const lastPacket = lastBlock(files[mid]!.buf, 'packet');
  const lost = checkRecording(doctored(mid, cut(files[mid]!.buf, lastPacket)), { reference });
  t.match(lost.problems.join('\n'), /packet id\(s\) missing/, 'a packet dropped at a rotation is a gap in the ids');
  const firstRead = firstBlock(files[mid + 1]!.buf, (b) => b.kind === 'use' && b.what === 'read');
  const twice = checkRecording(doctored(mid, insertBeforeLast(files[mid]!.buf, files[mid + 1]!.buf, firstRead)), { reference });
  t.match(twice.problems.join('\n'), /recorded more often than the reference/, 'a read block in two files is a duplicate');
  const firstOpen = firstBlock(files[mid + 1]!.buf, (b) => b.kind === 'connection' && !b.snapshot);
  const noOpen = checkRecording(doctored(mid + 1, cut(files[mid + 1]!.buf, firstOpen)), { reference });
  t.match(noOpen.problems.join('\n'), /missing from the recording/, 'a lost socket event is missing');
  // process events: snapshot process blocks are flagged (process option 262), so a live one is never taken for one
  const firstLiveProc = firstBlock(files[mid + 1]!.buf, (b) => b.kind === 'process' && !b.snapshot);
  const noProc = checkRecording(doctored(mid + 1, cut(files[mid + 1]!.buf, firstLiveProc)), { reference });
  t.match(noProc.problems.join('\n'), /missing from the recording: process/, 'a lost process event is missing');
  const lastLiveProc = ranges(files[mid]!.buf)
    .filter((r) => r.b.kind === 'process' && !r.b.snapshot)
    .at(-1)!;
  const afterSnapshot = firstBlock(
    files[mid + 1]!.buf,
    (b) => !['section', 'interface'].includes(b.kind) && !('snapshot' in b && b.snapshot),
  );
  const procTwice = checkRecording(doctored(mid + 1, insertAt(files[mid + 1]!.buf, afterSnapshot.start, files[mid]!.buf, lastLiveProc)), {
    reference,
  });
  t.match(
    procTwice.problems.join('\n'),
    /recorded more often than the reference saw them: process/,
    'a process event repeated right after the next snapshot is a duplicate',
  );
  const truncated = checkRecording(doctored(mid, files[mid]!.buf.subarray(0, files[mid]!.buf.length - 100)), { reference });
  t.match(truncated.problems.join('\n'), /not a valid PCAP-NG file/, 'a cut file is not valid');
});

// --- helpers: block ranges of a file ---

type Range = { start: number; end: number };

function ranges(buf: Buffer) {
  const blocks = readPcapng(buf).blocks;
  return blocks.map((b, i) => ({ b, start: b.offset, end: blocks[i + 1]?.offset ?? buf.length }));
}

function lastBlock(buf: Buffer, kind: string): Range {
  return ranges(buf)
    .filter((r) => r.b.kind === kind)
    .at(-1)!;
}

function firstBlock(buf: Buffer, pick: (b: ReturnType<typeof readPcapng>['blocks'][number]) => boolean): Range {
  return ranges(buf).find((r) => pick(r.b))!;
}

function cut(buf: Buffer, r: Range): Buffer {
  return Buffer.concat([buf.subarray(0, r.start), buf.subarray(r.end)]);
}

/** buf with the block r of other inserted at offset at. */
function insertAt(buf: Buffer, at: number, other: Buffer, r: Range): Buffer {
  return Buffer.concat([buf.subarray(0, at), other.subarray(r.start, r.end), buf.subarray(at)]);
}

/** buf with the block r of other inserted before buf's last block (its ISB). */
function insertBeforeLast(buf: Buffer, other: Buffer, r: Range): Buffer {
  const isb = ranges(buf).at(-1)!;
  return Buffer.concat([buf.subarray(0, isb.start), other.subarray(r.start, r.end), buf.subarray(isb.start)]);
}
