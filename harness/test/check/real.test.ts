// The checker on real captures: the runner and the Hone 26.11 sensor (sender
// and reader attribution, read/gain/lose blocks) in a Debian 6.1 guest (hone
// matrix, 2026-11-27). Kept small; they pin down that real output is
// understood and gets the verdict the guest gave it, and that breaking one
// id of a real capture fails it, with the reason naming what was broken.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCK, EPB_OPT, USE_OPT, parseHonet, readPcapng } from '../../capture/index.ts';
import type { Block } from '../../capture/types.ts';
import { checkScenario, parseTruth, type Truth, stepsOf } from '../../check/index.ts';
import { loadScenario } from '../../scenario/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = (s: string) => join(here, '..', 'fixtures', 'real', 'debian-6.1', s);
const scenarios = join(here, '..', '..', '..', 'scenarios');

async function load(name: string) {
  return {
    scenario: await loadScenario(join(scenarios, `${name}.ts`)),
    truth: parseTruth(readFileSync(join(dir(name), 'truth.json'), 'utf8')),
    buf: readFileSync(join(dir(name), 'capture.pcapng')),
    honet: parseHonet(readFileSync(join(dir(name), 'honet.txt'), 'utf8')),
  };
}

const pidOf = (truth: Truth, actor: string) => stepsOf(truth, 'fork').find((s) => s.child === actor)!.childPid!;

/** A copy of the capture with `edit` applied to the options of the blocks `pick` selects (the option values are views into the copy). */
function rewrite(buf: Buffer, pick: (b: Block) => boolean, edit: (code: number, value: Buffer) => boolean) {
  const copy = Buffer.from(buf);
  let changed = 0;
  for (const b of readPcapng(copy).blocks) {
    if (!pick(b) || !('options' in b)) continue;
    for (const o of b.options) if (edit(o.code, o.value)) changed++;
  }
  return { copy, changed };
}

t.test('the fixtures come from the Hone 26.11 sensor', async (t) => {
  for (const name of ['tcp-loopback-v4', 'udp-any-v6', 'icmp-ping-v4', 'fork-child-sends']) {
    const blocks = readPcapng((await load(name)).buf).blocks;
    // a capture of the sensor before the [attribution] work (no packet ids, creator labels) fails here: recapture it
    t.ok(
      blocks.some((b) => b.kind === 'packet' && b.packetId !== undefined),
      `${name}: packets carry packet ids (EPB option 261)`,
    );
    t.ok(
      blocks.some((b) => b.kind === 'use' && b.what === 'read'),
      `${name}: read blocks (0x103)`,
    );
  }
});

t.test('real captures get the verdict the guest gave them', async (t) => {
  for (const name of ['tcp-loopback-v4', 'udp-any-v6', 'icmp-ping-v4', 'fork-child-sends']) {
    const { scenario, truth, buf, honet } = await load(name);
    const v = checkScenario({ scenario, truth, capture: readPcapng(buf), honet });
    t.equal(v.status, 'pass', name) || t.comment(v.mismatches.join('\n'));
    t.same(v.mismatches, [], `${name}: no mismatch`);
    t.same(v.notes, [], `${name}: pcapng and honet agree, no drops`);
    t.equal(v.packets.wrong + v.packets.missing + v.events.wrong + v.events.missing, 0, `${name}: nothing wrong or missing`);
    t.ok(
      v.packets.correct > 0 && v.events.correct > 0,
      `${name}: ${v.packets.correct} packets and ${v.events.correct} events judged right`,
    );
  }
  // fork-child-sends was the old sensor's known gap (creator attribution): the child's data, closed
  const { truth, buf } = await load('fork-child-sends');
  const child = pidOf(truth, 'child');
  const sent = readPcapng(buf).blocks.filter((b) => b.kind === 'packet' && b.attribution === 'sender' && b.pid === child);
  t.ok(sent.length > 0, "fork-child-sends: the child's data is attributed to the child (by sender), not to the socket's creator");
});

t.test('a real capture with one pid rewritten fails', async (t) => {
  const { scenario, truth, buf } = await load('tcp-loopback-v4');
  const client = pidOf(truth, 'client');
  // the pid (options 258 and 8) of the client's outgoing data, by sender, rewritten to 1
  const { copy, changed } = rewrite(
    buf,
    (b) => b.kind === 'packet' && b.attribution === 'sender' && b.pid === client,
    (code, value) => {
      if (code !== EPB_OPT.PID && code !== EPB_OPT.PROCESSID_THREADID) return false;
      value.writeUInt32LE(1);
      return code === EPB_OPT.PID;
    },
  );
  t.ok(changed > 0, 'the client sends data');
  t.equal(copy.readUInt32LE(0), BLOCK.SHB);
  const v = checkScenario({ scenario, truth, capture: readPcapng(copy) });
  t.equal(v.status, 'fail');
  t.match(v.mismatches.join('\n'), /outgoing packet with tag <HT:\w+:\d{6}> sent by pid \d+ \(client\) attributed to pid 1 \(by sender\)/);
});

t.test('a real capture with the thread of one read block rewritten fails', async (t) => {
  const { scenario, truth, buf } = await load('tcp-loopback-v4');
  const server = pidOf(truth, 'server');
  const client = pidOf(truth, 'client');
  // option 258 (thread) of the server's read block: the client's thread instead
  const { copy, changed } = rewrite(
    buf,
    (b) => b.kind === 'use' && b.what === 'read' && b.pid === server,
    (code, value) => {
      if (code !== USE_OPT.TID) return false;
      value.writeUInt32LE(client);
      return true;
    },
  );
  t.equal(changed, 1, 'the server reads once');
  const v = checkScenario({ scenario, truth, capture: readPcapng(copy) });
  t.equal(v.status, 'fail');
  const why = v.mismatches.join('\n');
  t.match(
    why,
    new RegExp(
      `incoming packet with tag <HT:\\w+:\\d{6}> read by pid ${server} \\(server\\): the read block at offset \\d+ that covers it names thread ${client} \\(client\\)`,
    ),
  );
  t.match(why, /read block of pid \d+ \(server\)/, 'the read event is wrong too');
});

t.test("a real capture with the child's data given to its parent fails (fork-child-sends)", async (t) => {
  const { scenario, truth, buf } = await load('fork-child-sends');
  const child = pidOf(truth, 'child');
  const parent = pidOf(truth, 'parent');
  // what the old sensor wrote: the socket's creator, the parent, for the child's data (pid and tid)
  const { copy, changed } = rewrite(
    buf,
    (b) => b.kind === 'packet' && b.attribution === 'sender' && b.pid === child,
    (code, value) => {
      if (code === EPB_OPT.PID) value.writeUInt32LE(parent);
      else if (code === EPB_OPT.PROCESSID_THREADID) {
        value.writeUInt32LE(parent, 0);
        value.writeUInt32LE(parent, 4);
      } else return false;
      return code === EPB_OPT.PID;
    },
  );
  t.ok(changed > 0, 'the child sends data');
  const v = checkScenario({ scenario, truth, capture: readPcapng(copy) });
  t.equal(v.status, 'fail', 'fails');
  t.match(
    v.mismatches.join('\n'),
    /outgoing packet with tag <HT:\w+:\d{6}> sent by pid \d+ \(child\) attributed to pid \d+ \(parent\), the socket's creator \(by sender\)/,
  );
});

t.test(
  'honet lines that lack read/gain/lose blocks, or disagree on by= or id=, fail the capture (the text must say what the PCAP-NG says)',
  async (t) => {
    const { scenario, truth, buf } = await load('tcp-loopback-v4');
    const text = readFileSync(join(dir('tcp-loopback-v4'), 'honet.txt'), 'utf8');
    const mismatchesOf = (edited: string) => {
      const v = checkScenario({ scenario, truth, capture: readPcapng(buf), honet: parseHonet(edited), maxMismatches: 100 });
      t.equal(v.status, 'fail', 'a disagreement fails');
      return v.mismatches.join('\n');
    };
    const lines = text.split('\n');
    const server = pidOf(truth, 'server');
    const client = pidOf(truth, 'client');
    {
      // the server's READ line and one LOSE line gone
      const read = lines.findIndex((l) => / READ \w+ /.test(l) && l.split(' ')[3] === String(server));
      const lose = lines.findIndex((l) => / LOSE \w+ /.test(l));
      const n = mismatchesOf(lines.filter((_, i) => i !== read && i !== lose).join('\n'));
      t.match(n, /honet text and PCAP-NG disagree: the read block at offset \d+ has no honet line/);
      t.match(n, /honet text and PCAP-NG disagree: the lose block at offset \d+ has no honet line/);
    }
    {
      // a READ line with other sequence numbers is not the pcapng's read block
      const read = lines.findIndex((l) => / READ \w+ /.test(l));
      const n = mismatchesOf(lines.map((l, i) => (i === read ? l.replace(/seq=(\d+)-/, (_, a) => `seq=${Number(a) + 1}-`) : l)).join('\n'));
      t.match(
        n,
        new RegExp(
          `the honet line ${read + 1} and the read block at offset \\d+ disagree: seq=\\d+-\\d+ in the text, \\d+-\\d+ in the PCAP-NG`,
        ),
      );
    }
    {
      // by=sender -> by=holder on the client's data line, and another pid on the server's
      const cl = lines.findIndex((l) => / PAKT O /.test(l) && l.includes('by=sender') && l.split(' ')[4] === String(client));
      const sv = lines.findIndex((l) => / PAKT O /.test(l) && l.includes('by=sender') && l.split(' ')[4] === String(server));
      const edited = lines.map((l, i) =>
        i === cl
          ? l.replace('by=sender', 'by=holder')
          : i === sv
            ? l.replace(/ tid=\d+ /, ` tid=${client} `).replace(` ${server} TCPv4`, ` ${client} TCPv4`)
            : l,
      );
      const n = mismatchesOf(edited.join('\n'));
      t.match(
        n,
        new RegExp(
          `the honet line ${cl + 1} and the packet \\(id \\d+\\) at offset \\d+ disagree: by=holder in the text, sender in the PCAP-NG`,
        ),
      );
      t.match(
        n,
        new RegExp(
          `the honet line ${sv + 1} and the packet \\(id \\d+\\) at offset \\d+ disagree: pid=${client} in the text, ${server} in the PCAP-NG, tid=${client} in the text, ${server} in the PCAP-NG`,
        ),
      );
    }
    {
      // id= of a PAKT line changed: its packet has no line, and the line no packet
      const pk = lines.findIndex((l) => / PAKT I /.test(l) && l.includes('by=reader'));
      const id = / id=(\d+)/.exec(lines[pk]!)![1]!;
      const n = mismatchesOf(lines.map((l, i) => (i === pk ? l.replace(` id=${id}`, ' id=999999') : l)).join('\n'));
      t.match(n, new RegExp(`the packet \\(id ${id}\\) at offset \\d+ has no honet line`));
      t.match(n, new RegExp(`the honet line ${pk + 1} \\(PAKT line\\) has no block in the PCAP-NG`));
    }
    // unedited: the two streams agree
    const v = checkScenario({ scenario, truth, capture: readPcapng(buf), honet: parseHonet(text) });
    t.equal(v.status, 'pass');
    t.same(v.notes, []);
    t.equal(v.honet!.wrong, 0);
    t.ok(v.honet!.total > 30, `${v.honet!.total} blocks compared`);
  },
);
