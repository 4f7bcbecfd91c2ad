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
const base = (): BenchResults => ({
  startedAt: 'now', durationMs: 1000, quick: false,
  machine: { cores: 2, memoryGiB: 24, node: 'v20', cpu: 'x' }, accel: 'tcg',
  kernels: [{ id: 'k', release: 'r', version: 'v' }],
  boot: [{ kernel: 'k', accel: 'tcg', smp: 2, memoryMiB: 512, bareMs: s(4000), readyMs: s(4400), ratio: s(1.1, 1.12, 1.3) }],
  overhead: [{
    kernel: 'k', bulkBytes: 1 << 28, rrCount: 100,
    bulkMiBps: { none: s(100), hone: s(97), tcpdump: s(80) }, rrPerSecond: { none: s(10), hone: s(10), tcpdump: s(9) },
    bulkRatio: { hone: s(0.97), tcpdump: s(0.8) }, rrRatio: { hone: s(1), tcpdump: s(0.9) }, qemuPeakRssMiB: 300,
  }],
  capacity: [{ kernel: 'k', forks: 5000, datagrams: 50000, draining: { delivered: 10, ringDropped: 0, dropped: 0 },
    pair: { draining: { delivered: 10, ringDropped: 0, dropped: 0 }, stopped: { delivered: 4, ringDropped: 6, dropped: 0 }, expectedDrops: 6, countedDrops: 6 } }],
  matrix: [{ cache: 'warm', kernels: 6, scenarios: 16, wallMs: 170000, phasesMs: { boot: 1 }, passed: true }],
  footprint: [],
});

t.test('targets are judged on the median and each names its figure', async (t) => {
  const all = targets(base());
  t.ok(all.every((x) => x.met), all.filter((x) => !x.met).map((x) => x.what).join('; '));
  const worse = base();
  worse.boot[0]!.ratio = s(1.2, 1.1, 1.3);
  worse.overhead[0]!.bulkRatio.hone = s(0.7);
  worse.capacity[0]!.pair.countedDrops = 5;
  worse.matrix[0]!.wallMs = 200000;
  const missed = targets(worse).filter((x) => !x.met).map((x) => x.what);
  t.match(missed.join('\n'), /boot to ready/);
  t.match(missed.join('\n'), /bulk TCP throughput with Hone/);
  t.match(missed.join('\n'), /Hone costs less than tcpdump/);
  t.match(missed.join('\n'), /stopped reader/);
  t.match(missed.join('\n'), /matrix wall time, warm/);
  t.match(benchMarkdown(worse), /\| NOT met \|/);
});

t.test('a partial matrix is reported but never counted as meeting the 6-kernel target', async (t) => {
  const r = base();
  r.matrix[0]!.kernels = 1;
  r.matrix[0]!.wallMs = 10;
  const m = targets(r).find((x) => x.what.startsWith('matrix'));
  t.equal(m?.met, false);
  t.match(m?.note, /not judged/);
});
