import t from 'tap';
import { summarize } from '../../bench/stats.ts';
import { targets, benchMarkdown } from '../../bench/report.ts';
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
  boot: [{ kernel: 'k', accel: 'tcg', smp: 2, memoryMiB: 512, bareMs: s(4000), readyMs: s(4400), ratio: s(1.1, 1.12, 1.3) }],
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
