// One kernel's part of the matrix: prepare (build, image), boot once, run
// each scenario in the same guest, check it, keep every artefact. A kernel
// crash fails the scenario that caused it and the guest is booted again for
// the rest; an infrastructure failure is reported against every scenario it
// stopped. On a kernel with kmemleak, every guest is scanned once ready
// (leaks of the boot and of the modules' init), after each scenario, and
// at the end after unloading the modules: a leak is a crash. It tells what
// it does as events (events.ts): phases, console lines, results, info and
// warnings (the lower stages' log lines are info events).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelSource } from '../catalog/source.ts';
import { ensureFetched } from '../fetch/fetch.ts';
import { prepareKernel, startGuest, type PreparedKernel } from '../guest/prepare.ts';
import type { Guest } from '../guest/guest.ts';
import { compileScenario, type Scenario } from '../scenario/index.ts';
import { moduleStack } from '../kbuild/modules.ts';
import { hasKmemleak, leakCrash, scanKmemleak } from '../guest/kmemleak.ts';
import { judgeRun } from './judge-run.ts';
import { HoneError, tagKernel } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { cachePaths } from '../util/paths.ts';
import type { Emit, Phase } from './events.ts';
import { zeroCounts, type KernelRun, type ScenarioResult } from './types.ts';

export interface KernelRunOptions {
  out: string;
  /** The guests' vCPUs (default: the source's). */
  smp?: number;
  scenarioTimeoutMs?: number;
  /** Where the kernel's events go. */
  emit: Emit;
  /** Guest memory (default 512 MiB). */
  memoryMiB?: number;
  /** Runs per scenario, in a row in the same guest (default 1); run i > 1... keeps its files in <scenario>/run-<i>. */
  repeat?: number;
  /** Added to the guest kernel's command line. */
  append?: string;
}

/** Runs the scenarios on one kernel; the results are result events, the kernel's record is returned. */
export async function runKernel(source: KernelSource, scenarios: Scenario[], opts: KernelRunOptions): Promise<KernelRun> {
  const k = { id: source.kernelId };
  const { emit } = opts;
  const logger: Logger = (text) => emit({ kind: 'info', kernel: k.id, text });
  const onConsole = (line: string) => emit({ kind: 'console', kernel: k.id, line });
  const report = (r: ScenarioResult) => emit({ kind: 'result', result: r });
  const dir = join(opts.out, k.id);
  await mkdir(dir, { recursive: true });
  const kernel: KernelRun = {
    id: k.id,
    arch: source.arch,
    release: null,
    version: null,
    accel: null,
    accelReason: null,
    toolchain: null,
    buildWarnings: null,
    buildMs: null,
    bootMs: null,
    bootRetries: 0,
    packages: [],
    phasesMs: { fetch: 0, build: 0, boot: 0, scenarios: 0, check: 0 },
  };
  /** A phase as events; `into`: the phasesMs entry its time adds to (a scenario's time is split inside runScenario). */
  const phase = async <T>(
    p: Phase,
    into: keyof KernelRun['phasesMs'] | undefined,
    f: () => Promise<T>,
    scenario?: { scenario: string; n: number; of: number },
  ): Promise<T> => {
    const t0 = Date.now();
    emit({ kind: 'phase-start', kernel: k.id, phase: p, ...scenario });
    try {
      return await f();
    } finally {
      const ms = Date.now() - t0;
      if (into) kernel.phasesMs[into] += ms;
      emit({ kind: 'phase-end', kernel: k.id, phase: p, ms });
    }
  };
  let prepared: PreparedKernel;
  try {
    const fetched = await phase('fetch', 'fetch', () => ensureFetched(source, logger));
    prepared = await phase('build', 'build', () => prepareKernel(fetched, logger, { modules: true }));
  } catch (err) {
    // nothing could run on this kernel: the repro is the step that failed
    const repro = `npx hone build ${k.id}`;
    for (const s of scenarios) report({ ...infra(k.id, s, tagKernel(err, k.id)), repro });
    return kernel;
  } finally {
    await copyFile(join(cachePaths().builds(k.id), 'build.log'), join(dir, 'build.log')).catch(() => undefined);
  }
  describeKernel(kernel, prepared);
  const warnings = prepared.build?.warnings ?? [];
  if (warnings.length)
    emit({
      kind: 'warning',
      kernel: k.id,
      text: `the modules built with ${warnings.length} warning(s), the first: ${warnings[0]} (all in ${join(dir, 'build.log')})`,
    });
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(prepared.bundle.resolved, null, 2)}\n`);
  let guest: Guest | undefined;
  let kmemleak = false;
  let boots = 0;
  const repeat = opts.repeat ?? 1;
  const plan = scenarios.flatMap((s) => Array.from({ length: repeat }, (_, i) => ({ s, attempt: i + 1 })));
  try {
    for (const [i, { s, attempt }] of plan.entries()) {
      if (!guest || s.needsFreshGuest) {
        await guest?.shutdown();
        guest = undefined;
        try {
          const consoleFile = join(dir, boots === 0 ? 'console.log' : `console.${boots}.log`);
          boots++;
          guest = await phase('boot', 'boot', () =>
            startGuest(prepared, logger, { consoleFile, smp: opts.smp, memoryMiB: opts.memoryMiB, append: opts.append, onConsole }),
          );
          kernel.bootMs ??= guest.readyMs;
          kernel.bootRetries += guest.retries;
          if (guest.retries)
            emit({
              kind: 'warning',
              kernel: k.id,
              text: `the guest booted after ${guest.retries} early crash(es) (a known TCG boot race)`,
            });
          logger(`guest ready in ${(guest.readyMs / 1000).toFixed(1)} s (${prepared.accel.accel})`);
          kmemleak = await hasKmemleak(guest);
          if (kmemleak) {
            const file = join(dir, `kmemleak-boot-${boots}.txt`);
            const crash = await leakCheck(guest, k.id, 'after boot (the modules loaded by /init)', file, undefined, kernel);
            // the leaks were read and cleared: this scenario is not run, the next ones use the guest
            if (crash) throw crash;
          }
        } catch (err) {
          const leak = err instanceof HoneError && err.message.startsWith('kmemleak:');
          if (!leak) {
            await guest?.shutdown().catch(() => undefined);
            guest = undefined;
          }
          report({ ...classify(k.id, s, err, 0), ...(repeat > 1 ? { attempt } : {}) });
          continue;
        }
      }
      const g = guest;
      const runDir = repeat > 1 ? join(s.name, `run-${attempt}`) : s.name;
      const r = await phase(
        'scenario',
        undefined,
        async (): Promise<ScenarioResult> => {
          const r: ScenarioResult = {
            ...(await runScenario(
              g,
              k.id,
              s,
              dir,
              logger,
              opts.scenarioTimeoutMs ?? (prepared.debug ? 3 : 1) * 180000,
              kernel.phasesMs,
              runDir,
            )),
            ...(repeat > 1 ? { attempt } : {}),
          };
          if (!kmemleak || r.status === 'crash' || r.status === 'infra') return r;
          const ended = Date.now();
          const crash = await leakCheck(g, k.id, `after scenario ${s.name}`, join(dir, runDir, 'kmemleak.txt'), ended, kernel).catch(
            (err: unknown) => err,
          );
          if (!crash) return r;
          const c = classify(k.id, s, crash, r.durationMs);
          return {
            ...r,
            status: c.status,
            reasons: [...c.reasons, ...(r.status === 'pass' ? [] : [`(the capture's verdict: ${r.status}: ${r.reasons[0] ?? ''})`])],
            repro: reproCommand(k.id, s.name),
          };
        },
        { scenario: s.name, n: i + 1, of: plan.length },
      );
      report(r);
      if (r.status === 'crash' || r.status === 'infra') {
        await guest.shutdown().catch(() => undefined);
        guest = undefined;
      }
    }
    if (guest && kmemleak) {
      const g = guest;
      const r = await phase('unload', undefined, () => unloadCheck(g, k.id, dir, kernel));
      if (r) report(r);
      logger(`unload and kmemleak scan: ${r ? `${r.status} (${r.reasons[0] ?? ''})` : 'clean'}`);
    }
  } finally {
    await guest?.shutdown().catch(() => undefined);
  }
  return kernel;
}

// --- internal ---

export async function runScenario(
  guest: Guest,
  kernelId: string,
  s: Scenario,
  kernelDir: string,
  logger: Logger,
  timeoutMs: number,
  phases?: KernelRun['phasesMs'],
  runDir = s.name,
): Promise<ScenarioResult> {
  const started = Date.now();
  const k = { id: kernelId };
  const dir = join(kernelDir, runDir);
  await mkdir(dir, { recursive: true });
  const remote = `/tmp/hone/${s.name}`;
  try {
    const script = compileScenario(s);
    await writeFile(join(dir, 'script.txt'), script);
    await guest.check(`rm -rf ${remote} && mkdir -p ${remote}`);
    await guest.writeFile(`${remote}/script`, script);
    const r = await guest.exec(`hone-runner run ${remote}/script ${remote}`, { timeoutMs });
    await writeFile(join(dir, 'runner.log'), `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
    if (r.code !== 0) {
      throw new HoneError('E_SCENARIO', `the runner could not perform the scenario (exit ${r.code}): ${lastLine(r.stderr || r.stdout)}`, {
        kernel: k.id,
        hint: `runner output: ${join(dir, 'runner.log')}`,
      });
    }
    for (const f of ['truth.json', 'capture.pcapng', 'honet.txt']) await guest.copyOut(`${remote}/${f}`, join(dir, f));
    const checkStarted = Date.now();
    if (phases) phases.scenarios += checkStarted - started;
    const verdict = await judgeRun(dir, s);
    await writeFile(join(dir, 'verdict.json'), `${JSON.stringify(verdict, null, 2)}\n`);
    if (phases) phases.check += Date.now() - checkStarted;
    return {
      kernel: k.id,
      scenario: s.name,
      status: verdict.status,
      packets: verdict.packets,
      events: verdict.events,
      durationMs: Date.now() - started,
      reasons: verdict.mismatches.slice(0, 10),
      ...(s.knownGap ? { knownGap: s.knownGap } : {}),
      ...(verdict.status === 'fail' ? { repro: reproCommand(k.id, s.name) } : {}),
    };
  } catch (err) {
    logger(`${s.name}: ${err instanceof Error ? err.message : String(err)}`);
    return classify(k.id, s, err, Date.now() - started);
  }
}

/**
 * A kmemleak scan (after the minimum age since `sinceMs`): the crash to
 * report when it found leaks (the report is kept in `file`), or undefined.
 */
async function leakCheck(
  guest: Guest,
  kernel: string,
  when: string,
  file: string,
  sinceMs: number | undefined,
  run: KernelRun,
): Promise<HoneError | undefined> {
  const t0 = Date.now();
  const report = await scanKmemleak(guest, { kernel, sinceMs }).finally(() => {
    run.kmemleakMs = (run.kmemleakMs ?? 0) + Date.now() - t0;
  });
  run.kmemleakScans = (run.kmemleakScans ?? 0) + 1;
  if (!report) return undefined;
  run.kmemleakReports = (run.kmemleakReports ?? 0) + 1;
  await writeFile(file, `${report}\n`);
  return leakCrash(report, { kernel, when, file });
}

/** The result name of the last step on a kmemleak kernel: unloading the modules, then a scan. */
export const unloadStep = 'unload-modules';

/** Unloads Hone's modules and scans; a result only when something is wrong (rmmod refused, a leak, a crash). */
async function unloadCheck(guest: Guest, kernel: string, dir: string, run: KernelRun): Promise<ScenarioResult | undefined> {
  const started = Date.now();
  const pseudo = { name: unloadStep } as Scenario;
  const repro = `npx hone shell ${kernel} -c 'rmmod ${[...moduleStack].reverse().join(' ')}'`;
  try {
    const r = await guest.exec(
      [...moduleStack]
        .reverse()
        .map((m) => `rmmod ${m}`)
        .join(' && '),
      { timeoutMs: 120000 },
    );
    if (r.code !== 0) {
      return {
        ...infra(kernel, pseudo, new Error(`rmmod failed (exit ${r.code}): ${lastLine(r.stderr || r.stdout)}`)),
        status: 'fail',
        durationMs: Date.now() - started,
        repro,
      };
    }
    const crash = await leakCheck(guest, kernel, 'after unloading the modules', join(dir, 'kmemleak-unload.txt'), Date.now(), run);
    return crash ? { ...classify(kernel, pseudo, crash, Date.now() - started), repro } : undefined;
  } catch (err) {
    return { ...classify(kernel, pseudo, err, Date.now() - started), repro };
  }
}

function classify(kernel: string, s: Scenario, err: unknown, durationMs: number): ScenarioResult {
  const crash = err instanceof HoneError && err.code === 'E_KERNEL_CRASH';
  const r = infra(kernel, s, err);
  return { ...r, status: crash ? 'crash' : 'infra', durationMs };
}

function infra(kernel: string, s: Scenario, err: unknown): ScenarioResult {
  const e = err instanceof HoneError ? err : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return {
    kernel,
    scenario: s.name,
    status: 'infra',
    packets: zeroCounts(),
    events: zeroCounts(),
    durationMs: 0,
    reasons: [e ? `${e.code}: ${message}` : message, ...(e?.details.slice(-12) ?? []), ...(e?.hint ? [`next: ${e.hint}`] : [])],
    repro: reproCommand(kernel, s.name),
  };
}

export function reproCommand(kernel: string, scenario: string): string {
  return `npx hone repro ${kernel} ${scenario}`;
}

function describeKernel(kernel: KernelRun, p: PreparedKernel): void {
  kernel.release = p.bundle.release;
  kernel.version = p.bundle.version;
  kernel.accel = p.accel.accel;
  kernel.accelReason = p.accel.reason;
  const tc = p.build?.toolchain;
  kernel.toolchain = tc ? (tc.kind === 'host' ? `host gcc-${tc.major}` : `${tc.suite} build root gcc-${tc.major}`) : null;
  kernel.buildWarnings = p.build?.warnings.length ?? null;
  kernel.buildMs = p.build?.durationMs ?? null;
  kernel.packages = p.bundle.resolved.packages.map(({ name, version, sha256 }) => ({ name, version, sha256 }));
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
