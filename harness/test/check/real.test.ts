// The checker on real captures: the runner and the sensor in a Debian 6.1
// guest (hone matrix). Kept small; they pin down that real output is
// understood, and that breaking a real capture fails it. The fixtures of
// 2026-11-27 come from the old sensor (creator attribution, no packet ids,
// no read blocks), which the checker now fails by design: until they are
// recaptured from the Hone 26.11 sensor these tests skip themselves.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCK, EPB_OPT, parseHonet, readPcapng } from '../../capture/index.ts';
import { checkScenario, parseTruth } from '../../check/index.ts';
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

/** Why the fixtures cannot be judged by today's rules, or false when they can. */
function oldFormat(): string | false {
  const buf = readFileSync(join(dir('tcp-loopback-v4'), 'capture.pcapng'));
  const packets = readPcapng(buf).blocks.filter((b) => b.kind === 'packet');
  if (packets.some((b) => b.kind === 'packet' && b.packetId !== undefined)) return false;
  return 'fixtures/real/debian-6.1 was captured by the old sensor (no EPB option 261 packet ids, creator attribution): recapture it from the Hone 26.11 sensor';
}
const skip = oldFormat();

t.test('real captures get the verdict the guest gave them', { skip }, async (t) => {
  for (const [name, status] of [['tcp-loopback-v4', 'pass'], ['udp-any-v6', 'pass'], ['icmp-ping-v4', 'pass'], ['fork-child-sends', 'todo']] as const) {
    const { scenario, truth, buf, honet } = await load(name);
    const v = checkScenario({ scenario, truth, capture: readPcapng(buf), honet });
    t.equal(v.status, status, name) || t.comment(v.mismatches.join('\n'));
    t.same(v.notes, [], `${name}: pcapng and honet agree, no drops`);
    if (name === 'fork-child-sends') {
      t.equal(v.packets.wrong, 2);
      t.match(v.mismatches[0], /outgoing packet with tag <HT:\w+:000009> sent by pid \d+ \(child\) attributed to pid \d+ \(parent\), the socket's creator \(by creator\)/);
    }
  }
});

t.test('a real capture with one pid rewritten fails', { skip }, async (t) => {
  const { scenario, truth, buf } = await load('tcp-loopback-v4');
  const client = truth.steps.find((s) => s.actor === 'client' && s.kind === 'send')!;
  // rewrite option 258 (pid) of every EPB of the client from its pid to 1
  const copy = Buffer.from(buf);
  const capture = readPcapng(copy);
  let changed = 0;
  for (const b of capture.blocks) {
    if (b.kind !== 'packet' || b.pid !== client.pid) continue;
    for (const o of b.options) {
      if (o.code === EPB_OPT.PID) {
        o.value.writeUInt32LE(1);
        changed++;
      }
      if (o.code === EPB_OPT.PROCESSID_THREADID) o.value.writeUInt32LE(1);
    }
  }
  t.ok(changed > 0, 'the client has packets');
  t.equal(copy.readUInt32LE(0), BLOCK.SHB);
  const v = checkScenario({ scenario, truth, capture: readPcapng(copy) });
  t.equal(v.status, 'fail');
  t.match(v.mismatches.join('\n'), /sent by pid \d+ \(client\) attributed to pid 1\b/);
});
