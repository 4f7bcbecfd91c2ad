import t from 'tap';
import { summarize } from '../../bench/stats.ts';
import { targets, benchMarkdown, bootDetailRow, mergeBoot, replaceBootRows } from '../../bench/report.ts';
import { bootTimes, type BootMeasure } from '../../bench/boot.ts';
import type { BenchResults } from '../../bench/run.ts';

t.test('summaries: median of odd and even counts, min, max', async (t) => {
  t.same(summarize([3, 1, 2]), { runs: [3, 1, 2], min: 1, median: 2, max: 3 });
  t.equal(summarize([4, 1, 2, 3]).median, 2.5);
  t.ok(Number.isNaN(summarize([]).median));
});

const s = (...runs: number[]) => summarize(runs);
const modes = (none: number, loaded: number, hone96: number, hone: number, tcpdump96: number, tcpdump: number) => ({
  none: s(none),
  loaded: s(loaded),
  hone96: s(hone96),
  hone: s(hone),
  tcpdump96: s(tcpdump96),
  tcpdump: s(tcpdump),
});
const ratios = (loaded: number, hone96: number, hone: number, tcpdump96: number, tcpdump: number) => ({
  loaded: s(loaded),
  hone96: s(hone96),
  hone: s(hone),
  tcpdump96: s(tcpdump96),
  tcpdump: s(tcpdump),
});
const cap = (generated: number, delivered: number, dropped: number) => [{ generated, delivered, dropped }];
const captures = () => ({ hone96: cap(200, 200, 0), hone: cap(200, 200, 0), tcpdump96: cap(200, 100, 0), tcpdump: cap(200, 100, 0) });
const base = (): BenchResults => ({
  startedAt: 'now',
  durationMs: 1000,
  quick: false,
  machine: { cores: 2, memoryGiB: 24, node: 'v20', cpu: 'x' },
  accel: 'tcg',
  kernels: [{ id: 'k', release: 'r', version: 'v' }],
  boot: [
    {
      kernel: 'k',
      accel: 'tcg',
      smp: 2,
      memoryMiB: 512,
      bareMs: s(4000),
      readyMs: s(4400),
      ratio: s(1.1, 1.12, 1.3),
      stepsS: { 'net-up': s(3.1), ready: s(3.9) },
      sshAfterReadyMs: s(20),
      bareUptimeS: s(3.3),
    },
  ],
  overhead: [
    {
      kernel: 'k',
      clock: 'icount',
      bulkBytes: 1 << 28,
      rrCount: 100,
      bulkMiBps: modes(100, 100, 97, 80, 90, 78),
      rrPerSecond: modes(10, 10, 10, 9, 9, 9),
      rrP50us: modes(1, 1, 1, 1, 1, 1),
      rrP99us: modes(2, 2, 2, 2, 2, 2),
      bulkRatio: ratios(0.995, 0.97, 0.8, 0.9, 0.78),
      rrRatio: ratios(1, 1, 0.9, 0.9, 0.9),
      captures: { bulk: captures(), rr: captures() },
      qemuPeakRssMiB: 300,
    },
  ],
  capacity: [
    {
      kernel: 'k',
      draining: {
        forks: 5000,
        datagrams: 50000,
        delivered: { packets: 10, process: 5, socket: 5 },
        dropped: { packets: 0, process: 0, socket: 0 },
      },
      drops: {
        datagrams: 50000,
        forks: 100,
        generated: { packets: 100000, childEvents: 300 },
        truth: { packets: 100000, otherPacketsInWindow: 4, ringDropped: 0, sawEnd: 1 },
        stopped: {
          packets: 7870,
          packetsGot: 7874,
          childEvents: 300,
          packetsDropped: 92130,
          processDropped: 0,
          socketDropped: 0,
          lossRecords: 95,
          lossReported: 92134,
        },
        seen: { stopped: [100004, 302, 412], draining: [100004, 302, 412] },
      },
    },
  ],
  matrix: [{ cache: 'warm', kernels: 6, scenarios: 16, wallMs: 170000, phasesMs: { boot: 1 }, passed: true }],
  footprint: [],
});

t.test('targets are judged on the median and each names its figure', async (t) => {
  const all = targets(base());
  t.ok(
    all.every((x) => x.met),
    all
      .filter((x) => !x.met)
      .map((x) => x.what)
      .join('; '),
  );
  const worse = base();
  worse.boot[0]!.ratio = s(1.2, 1.1, 1.3);
  worse.overhead[0]!.bulkRatio.hone96 = s(0.7);
  worse.overhead[0]!.rrRatio.loaded = s(0.98);
  worse.overhead[0]!.bulkRatio.hone = s(0.7);
  worse.overhead[0]!.captures.rr.hone96 = cap(200, 150, 50);
  worse.capacity[0]!.drops.stopped.packetsDropped = 92131;
  worse.capacity[0]!.drops.seen.draining = [100005, 302, 412];
  worse.capacity[0]!.drops.stopped.processDropped = 1;
  worse.capacity[0]!.draining.dropped.socket = 1;
  worse.matrix[0]!.wallMs = 200000;
  const missed = targets(worse)
    .filter((x) => !x.met)
    .map((x) => x.what)
    .join('\n');
  t.match(missed, /boot to ready/);
  t.match(missed, /bulk TCP: Hone at snaplen 96/);
  t.match(missed, /request\/response: Hone at snaplen 96/, 'drops fail the snaplen-96 target even at a good ratio');
  t.match(missed, /request\/response: modules loaded, no reader/);
  t.match(missed, /bulk TCP: Hone at full snaplen vs tcpdump/);
  t.match(missed, /request\/response: Hone vs tcpdump at snaplen 96, and the share/, 'a smaller share fails');
  t.match(missed, /counted drops = packets that reached it - packets it got/);
  t.match(missed, /what reached the stopped reader = what reached the draining one/);
  t.match(missed, /no process or socket event/);
  t.match(missed, /events lost by a draining reader/);
  t.match(missed, /matrix wall time, warm/);
  t.match(benchMarkdown(worse), /\| NOT met \|/);
});

t.test('wall-clock runs are shown but never judged', async (t) => {
  const r = base();
  r.overhead.push({ ...r.overhead[0]!, clock: 'wall', bulkRatio: { ...r.overhead[0]!.bulkRatio, hone96: s(0.1) } });
  t.ok(targets(r).every((x) => x.met));
  t.match(benchMarkdown(r), /### k, wall/);
});

t.test('a partial matrix is reported but never counted as meeting the 6-kernel target', async (t) => {
  const r = base();
  r.matrix[0]!.kernels = 1;
  r.matrix[0]!.wallMs = 10;
  const m = targets(r).find((x) => x.what.startsWith('matrix'));
  t.equal(m?.met, false);
  t.match(m?.note, /not judged/);
});

t.test('boot timeline: guest uptime per /init step and SSH after HONE-READY, summarized over boots', async (t) => {
  const step = (name: string, uptime: number) => ({ step: name, uptime });
  const b = bootTimes([
    { steps: [step('net-up', 3), step('ssh-up', 3.1), step('ready', 4)], sshUpMs: 5000, readyLineMs: 6000, connectedMs: 6010 },
    { steps: [step('net-up', 3.2), step('ready', 4.4)], readyLineMs: 6000, connectedMs: 5900 },
  ]);
  t.same(Object.keys(b.stepsS), ['net-up', 'ssh-up', 'ready'], 'in the order /init reports them');
  t.equal(b.stepsS['net-up']?.median, 3.1);
  t.same(b.stepsS['ssh-up']?.runs, [3.1], 'a step one boot did not report is left out of its summary');
  t.same(b.sshAfterReadyMs.runs, [10, 0], 'SSH up before the ready line counts 0');
  const row = bootDetailRow({ ...base().boot[0]!, ...b });
  t.match(
    row,
    /^\| boot k \| bare 4000 ms .*\| tcg, -smp 2, -m 512; bare prompt at uptime 3\.30 s; guest uptime s \(median\): net-up 3\.10, ssh-up 3\.10, ready 4\.20; SSH 5 ms after HONE-READY \|$/,
  );
  const old = { ...base().boot[0]! } as Partial<BootMeasure>;
  delete old.stepsS;
  delete old.bareUptimeS;
  t.match(bootDetailRow(old as BootMeasure), /-m 512 \|$/, 'an older results.json without the timeline');
});

t.test('--only boot: its rows replace theirs, other rows and notes stay', async (t) => {
  const boot = (kernel: string, ratio: number): BootMeasure => ({ ...base().boot[0]!, kernel, ratio: s(ratio) });
  const earlier = { ...base(), boot: [boot('a', 1.3), boot('b', 1.3)] };
  const md = `${benchMarkdown(earlier)}\n## Conditions of this run\n\nwritten by hand\n`;
  const now = { ...base(), matrix: [], overhead: [], capacity: [], boot: [boot('b', 1.1), boot('c', 1.2)] };
  const merged = mergeBoot(earlier, now);
  t.same(
    merged.boot.map((b) => [b.kernel, b.ratio.median]),
    [
      ['a', 1.3],
      ['b', 1.1],
      ['c', 1.2],
    ],
  );
  t.equal(merged.matrix, earlier.matrix, 'the other measures are kept');
  t.equal(mergeBoot(undefined, now), now);
  const out = replaceBootRows(md, now) as string;
  const rows = out.split('\n').filter((l) => l.startsWith('| boot'));
  t.same(
    rows.map((l) => l.split(' |')[0]),
    [
      '| boot to ready / bare boot, a',
      '| boot to ready / bare boot, b',
      '| boot to ready / bare boot, c',
      '| boot a',
      '| boot b',
      '| boot c',
    ],
  );
  t.match(rows[0], /1\.30 .*NOT met/);
  t.match(rows[1], /1\.10 .*\| met \|/);
  t.match(out, /written by hand/);
  t.equal(out.split('\n').length, md.split('\n').length + 2, 'two rows added for the new kernel, none lost');
  t.equal(replaceBootRows('# nothing here\n', now), undefined, 'no boot rows to replace');
});
