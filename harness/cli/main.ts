// The `hone` command line: one file per subcommand; only this entry point
// catches errors, prints them and sets the exit code.
import { formatError, HoneError } from '../util/errors.ts';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { load: () => Promise<Command>; help: string }> = {
  kernels: {
    load: async () => (await import('./kernels.ts')).kernelsCommand,
    help: 'list catalog kernels, resolved versions and cache state',
  },
  fetch: { load: async () => (await import('./fetch.ts')).fetchCommand, help: 'download and extract kernels into the cache' },
  build: { load: async () => (await import('./build.ts')).buildCommand, help: 'build kmod/ for kernels and check vermagic' },
  shell: {
    load: async () => (await import('./shell.ts')).shellCommand,
    help: 'boot a kernel with the modules loaded and open a shell in it',
  },
  matrix: {
    load: async () => (await import('./matrix.ts')).matrixCommand,
    help: 'run every scenario on every kernel and check the captures',
  },
  repro: {
    load: async () => (await import('./repro.ts')).reproCommand,
    help: 'rerun one kernel and scenario locally, then open a shell in the guest',
  },
  read: { load: async () => (await import('./read.ts')).readCommand, help: 'print a capture (pcapng or honet text) with processes' },
  check: {
    load: async () => (await import('./check.ts')).checkCommand,
    help: 'judge run folders (truth.json, capture.pcapng, honet.txt) made anywhere',
  },
  ci: { load: async () => (await import('./ci.ts')).ciCommand, help: 'print, write or check the per-kernel CI workflow' },
  stress: {
    load: async () => (await import('./stress.ts')).stressCommand,
    help: 'the fault and abuse suite in guests: readers, kills, ioctls, parameters, unloads, sockets, 4 GiB',
  },
  'package-test': {
    load: async () => (await import('./package-test.ts')).packageTestCommand,
    help: 'install the hone-dkms deb in a debootstrapped Debian guest and load it',
  },
  bench: {
    load: async () => (await import('./bench.ts')).benchCommand,
    help: 'benchmarks: boot overhead, sensor overhead, capacity, matrix time, footprint',
  },
  doctor: { load: async () => (await import('./doctor.ts')).doctorCommand, help: 'check (and with --fix install) what the host needs' },
  sim: {
    load: async () => (await import('./sim.ts')).simCommand,
    help: "simulate a scenario's capture (perfect or with a fault); --faults-table",
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(
      `usage: hone <command> [options]\n\n${Object.entries(commands)
        .map(([n, c]) => `  ${n.padEnd(9)} ${c.help}`)
        .join('\n')}\n`,
    );
    return name ? 0 : 2;
  }
  const entry = commands[name];
  try {
    if (!entry) throw new HoneError('E_USAGE', `unknown command "${name}"`, { hint: `commands: ${Object.keys(commands).join(', ')}` });
    return await (
      await entry.load()
    )(rest);
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    return err instanceof HoneError && err.code === 'E_USAGE' ? 2 : 1;
  }
}
