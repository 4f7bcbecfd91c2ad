// kmemleak in a guest: on kernels built with it (/sys/kernel/debug/kmemleak),
// the matrix scans after each scenario and after unloading the modules,
// and `hone shell -c` after its command. A non-empty report is a kernel
// crash naming the leaked objects.
//
// kmemleak reports an object only when it is older than its minimum age
// (5 s, MSECS_MIN_AGE) at a scan, and not in the scan where its contents
// changed since the previous one (the checksum check greys it). So a check
// waits until the newest allocation of interest is 5 s old, scans twice,
// and reads the report. A report that was read is cleared (echo clear) so
// the next check sees only what is new.
import { HoneError } from '../util/errors.ts';

export const kmemleakFile = '/sys/kernel/debug/kmemleak';
/** kmemleak's MSECS_MIN_AGE, plus a margin for the guest's clock under TCG. */
export const kmemleakMinAgeMs = 5500;

/** What a check needs of a guest: a shell command's output and code. */
export interface ShellRunner {
  exec(command: string, opts?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
}

export interface LeakedObject {
  address: string;
  size: number;
  comm: string;
  pid: number;
  /** Backtrace frames, innermost first. */
  backtrace: string[];
  /** The first frame past the allocator: who allocated it. */
  allocatedBy: string;
}

/** Mounts debugfs if needed; true when the kernel has kmemleak and it is on. */
export async function hasKmemleak(guest: ShellRunner): Promise<boolean> {
  const r = await guest.exec(
    `[ -e ${kmemleakFile} ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null; [ -e ${kmemleakFile} ] && cat ${kmemleakFile} >/dev/null`,
  );
  return r.code === 0;
}

/**
 * Scans twice (after the minimum age has passed since `sinceMs`, a host
 * Date.now() of the last allocation of interest) and returns the report's
 * text ("" when nothing leaked), then clears it. A scan that fails (kmemleak
 * turned itself off, for one) is an error: no report would be a false pass.
 */
export async function scanKmemleak(guest: ShellRunner, o: { sinceMs?: number; kernel: string }): Promise<string> {
  const wait = o.sinceMs === undefined ? kmemleakMinAgeMs : kmemleakMinAgeMs - (Date.now() - o.sinceMs);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const r = await guest.exec(
    `echo scan > ${kmemleakFile} && echo scan > ${kmemleakFile} && cat ${kmemleakFile} && echo clear > ${kmemleakFile}`,
    { timeoutMs: 300000 },
  );
  if (r.code !== 0) {
    throw new HoneError(
      'E_KERNEL_CRASH',
      `kmemleak scan failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`,
      {
        kernel: o.kernel,
        hint: 'kmemleak may have turned itself off (see the console: "kmemleak: ... disabled"); a leak check without it proves nothing',
      },
    );
  }
  return r.stdout.trim();
}

/** The objects of a kmemleak report (the text of /sys/kernel/debug/kmemleak). */
export function parseKmemleak(text: string): LeakedObject[] {
  const out: LeakedObject[] = [];
  for (const block of text.split(/^(?=unreferenced object )/m)) {
    const head = /^unreferenced object (0x[0-9a-f]+) \(size (\d+)\):/.exec(block);
    if (!head?.[1]) continue;
    const who = /comm "(.*)", pid (\d+)/.exec(block);
    const lines = block.split('\n');
    const bt = lines.findIndex((l) => /^\s*backtrace/.test(l));
    const backtrace =
      bt < 0
        ? []
        : lines
            .slice(bt + 1)
            .map((l) => l.trim().replace(/^\[<[0-9a-f]+>\]\s*/, ''))
            .filter(Boolean);
    out.push({
      address: head[1],
      size: Number(head[2]),
      comm: who?.[1] ?? '?',
      pid: Number(who?.[2] ?? 0),
      backtrace,
      allocatedBy: allocator(backtrace),
    });
  }
  return out;
}

/** One line per object: "0xffff888004c6e000 (32 bytes) allocated by kmemleak_test_init+0x.. [kmemleak_test] (insmod, pid 85)". */
export function describeLeaks(objects: LeakedObject[]): string[] {
  return objects.map((o) => `${o.address} (${o.size} bytes) allocated by ${o.allocatedBy} (${o.comm}, pid ${o.pid})`);
}

/** The crash a non-empty report makes: the objects named in the message, the report in the details. */
export function leakCrash(report: string, o: { kernel: string; when: string; file?: string }): HoneError | undefined {
  if (!report.trim()) return undefined;
  const objects = parseKmemleak(report);
  const lines = describeLeaks(objects);
  const owners = [...new Set(objects.map((x) => x.allocatedBy.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, '').replace(/^0x[0-9a-f]+ /, '')))];
  return new HoneError(
    'E_KERNEL_CRASH',
    `kmemleak: ${objects.length || 'unparsed'} unreferenced object(s) ${o.when}: ${owners.slice(0, 4).join(', ')}${owners.length > 4 ? ', ...' : ''}`,
    {
      kernel: o.kernel,
      details: [...lines.slice(0, 10), ...(lines.length > 10 ? [`... ${lines.length - 10} more`] : []), ...report.split('\n').slice(0, 30)],
      hint: o.file ? `the whole report: ${o.file}` : "the report is kmemleak's (/sys/kernel/debug/kmemleak in the guest)",
    },
  );
}

// --- internal ---

/**
 * The first frame past the allocators. A bare address is code that is gone
 * (a module's init section, an unloaded module): the next named frame says
 * where it was called from.
 */
function allocator(backtrace: string[]): string {
  const i = backtrace.findIndex((f) => !allocatorFrame.test(f));
  const frame = backtrace[i];
  if (frame === undefined) return backtrace[0] ?? '?';
  if (!/^0x[0-9a-f]+$/.test(frame)) return frame;
  const caller = backtrace.slice(i + 1).find((f) => !/^0x[0-9a-f]+$/.test(f));
  return `${frame} (code since freed: a module's init or an unloaded module)${caller ? `, called from ${caller}` : ''}`;
}

/** Frames of the allocators themselves, skipped to name who allocated. */
const allocatorFrame =
  /^(kmemleak_|__?kmalloc|kmalloc_|kmem_cache_|__kmem_cache|slab_|__slab|___slab|kzalloc|kvmalloc|__kvmalloc|kvzalloc|krealloc|vmalloc|__vmalloc|vzalloc|pcpu_|__alloc_percpu|alloc_pages|__alloc_pages|alloc_slab|new_slab|allocate_slab|kstrdup|kmemdup|__kmalloc_node|kmalloc_trace|__kasan|kasan_|mempool_alloc|alloc_large|__do_kmalloc)/;
