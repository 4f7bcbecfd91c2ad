import t from 'tap';
import { judgeFault, parseStressLine, parseStressLines } from '../../stress/lines.ts';
import { faults, pickFaults, UnknownFault } from '../../stress/faults.ts';
import { stressMarkdown, stressPassed, stressSummary, stressTable, type FaultResult, type StressReport } from '../../stress/report.ts';

t.test('verdict lines: name, PASS or FAIL, the rest as detail', async (t) => {
  t.same(parseStressLine('stress: readers PASS 8 readers, all valid'), { fault: 'readers', pass: true, detail: '8 readers, all valid' });
  t.same(parseStressLine('stress: threads-exit FAIL 19 of 20 with one EXIT\r'), {
    fault: 'threads-exit',
    pass: false,
    detail: '19 of 20 with one EXIT',
  });
  t.same(parseStressLine('stress: kill PASS'), { fault: 'kill', pass: true, detail: '' });
  t.equal(parseStressLine('stress: kill MAYBE fine'), undefined);
  t.equal(parseStressLine('hone-stress kill: stress: kill PASS x'), undefined, 'only at the start of a line');
  t.equal(parseStressLine('stress:kill PASS'), undefined);
  t.same(
    parseStressLines('noise\nstress: a PASS one\nmore\nstress: b FAIL two\n').map((l) => [l.fault, l.pass]),
    [
      ['a', true],
      ['b', false],
    ],
  );
});

const run = (over: Partial<Parameters<typeof judgeFault>[0]>) =>
  judgeFault({ fault: 'ioctl', exitCode: 0, stdout: 'stress: ioctl PASS 1000 ioctls\n', dmesg: '[ 1.0] hone: open refused\n', ...over });

t.test('a fault passes only with its PASS line, exit 0 and a clean kernel log', async (t) => {
  t.equal(run({}).status, 'pass');
  t.equal(run({}).detail, '1000 ioctls');
  const failed = run({ stdout: 'stress: ioctl FAIL 3 not as specified\n', exitCode: 1 });
  t.equal(failed.status, 'fail');
  t.equal(failed.detail, '3 not as specified');
  t.equal(run({ stdout: 'stress: ioctl FAIL 3 not as specified\n', exitCode: 0 }).status, 'fail', 'a FAIL line fails even with exit 0');
  t.match(run({ exitCode: 1 }), { status: 'fail', detail: /exit code 1/ });
  t.match(run({ stdout: 'stress: readers PASS other fault\n' }), { status: 'fail', detail: /no verdict line/ });
  t.match(run({ stdout: '', exitCode: 139 }), { status: 'fail', detail: /exit code 139/ });
  t.match(run({ stdout: 'stress: ioctl PASS a\nstress: ioctl PASS b\n' }), { status: 'fail', detail: /2 verdict lines/ });
  const splat = run({ dmesg: '[ 5.1] WARNING: CPU: 0 PID: 77 at kmod/reader.c:10 hone_ioctl+0x10\n[ 5.2] Call Trace:\n' });
  t.equal(splat.status, 'crash');
  t.equal(splat.splats.length, 2);
  t.match(splat.detail, /kernel splat: \[ 5.1\] WARNING/);
  t.match(run({ dmesg: 'BUG: KASAN: use-after-free in hone_read\n' }), { status: 'crash' });
});

const result = (kernel: string, fault: string, status: FaultResult['status'], detail = 'd'): FaultResult => ({
  kernel,
  fault,
  status,
  detail,
  durationMs: 12000,
  splats: [],
  notes: [],
});
const report = (results: FaultResult[]): StressReport => ({
  startedAt: '2026-12-06T01:00:00Z',
  durationMs: 60000,
  faults: [
    { name: 'readers', what: 'r' },
    { name: 'ioctl', what: 'i' },
  ],
  kernels: [
    { id: 'debian-6.1', boots: 1 },
    { id: 'debian-6.12', boots: 2 },
  ],
  results,
});

t.test('the table: one row per fault, one column per kernel', async (t) => {
  const r = report([
    result('debian-6.1', 'readers', 'pass'),
    result('debian-6.1', 'ioctl', 'fail', 'bad | pipe'),
    result('debian-6.12', 'readers', 'crash'),
  ]);
  const lines = stressTable(r).split('\n');
  t.equal(lines[0], '| fault | debian-6.1 | debian-6.12 |');
  t.equal(lines[2], '| readers | PASS (12 s) | CRASH (12 s) |');
  t.equal(lines[3], '| ioctl | FAIL (12 s) | - |', 'a fault not run on a kernel is a dash');
  const md = stressMarkdown(r);
  t.match(md, /NOT all passed/);
  t.match(md, /\*\*ioctl\*\* FAIL: bad \\\| pipe/, 'details escape table pipes');
  t.match(stressSummary(r).at(-1) ?? '', /1 of 3 passed on 2 kernel\(s\), 2 not/);
});

t.test("a FAIL line from the guest fails the command's verdict", async (t) => {
  const lines = ['stress: readers PASS fine', 'stress: ioctl FAIL 1 not as specified'];
  const results = lines.map((l, i) => {
    const fault = i ? 'ioctl' : 'readers';
    const j = judgeFault({ fault, exitCode: i, stdout: `${l}\n`, dmesg: '' });
    return result('debian-6.1', fault, j.status, j.detail);
  });
  t.notOk(stressPassed(report(results)), 'one FAIL: the run fails');
  const allPass = ['readers', 'ioctl'].map((fault) => {
    const j = judgeFault({ fault, exitCode: 0, stdout: `stress: ${fault} PASS fine\n`, dmesg: '' });
    return result('debian-6.1', fault, j.status);
  });
  t.ok(stressPassed(report(allPass)));
  t.notOk(stressPassed(report([])), 'nothing run is not a pass');
  t.notOk(stressPassed(report([...allPass, result('debian-6.12', 'readers', 'infra')])), 'infra is not a pass');
});

t.test('faults: every one listed, picked by name, unknown names refused', async (t) => {
  t.same(
    faults.map((f) => f.name),
    ['readers', 'kill', 'readsizes', 'ioctl', 'params', 'rmmod', 'soak', 'sockets', 'blocked', 'wrap4g', 'threads-exit', 'access', 'names'],
  );
  t.same(
    pickFaults(['ioctl', 'kill']).map((f) => f.name),
    ['ioctl', 'kill'],
  );
  t.equal(pickFaults(undefined).length, faults.length);
  t.throws(() => pickFaults(['nope']), { message: 'unknown fault "nope"' });
  t.ok(
    (() => {
      try {
        pickFaults(['nope']);
      } catch (e) {
        return e instanceof UnknownFault;
      }
      return false;
    })(),
    'as an UnknownFault',
  );
  t.same(pickFaults(['soak'])[0]?.args({ soakCycles: 7 }), ['7']);
});

t.test('the guest program has a subcommand for every fault, and no other', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../../util/paths.ts');
  const src = await readFile(join(repoRoot, 'harness', 'stress', 'guest', 'hone-stress.c'), 'utf8');
  const handled = [...src.matchAll(/!strcmp\(fault, "([a-z0-9-]+)"\)/g)].map((m) => m[1]);
  t.same(
    handled,
    faults.map((f) => f.name),
  );
});
