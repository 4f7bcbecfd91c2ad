import t from 'tap';
import { parseCatalog, pickKernels, loadCatalog } from '../../catalog/catalog.ts';
import { HoneError } from '../../util/errors.ts';

t.test('the shipped catalog lists the six matrix kernels', async (t) => {
  const c = await loadCatalog();
  t.same(c.map((k) => k.id), ['debian-5.10', 'debian-6.1', 'debian-6.12', 'debian-6.12-rt', 'debian-7.2', 'debian-7.3']);
  t.equal(c.find((k) => k.id === 'debian-6.12-rt')?.flavour, 'rt-amd64');
  t.equal(c.find((k) => k.id === 'debian-7.3')?.buildSuite, 'sid');
});

const bad: [string, string, RegExp][] = [
  ['not JSON', '{', /not valid JSON/],
  ['no kernels', '{}', /no "kernels" array/],
  ['bad id', '{"kernels":[{"id":"Bad Id","suite":"sid","flavour":"amd64"}]}', /"id" must be/],
  ['duplicate', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64"},{"id":"a","suite":"sid","flavour":"amd64"}]}', /appears twice/],
  ['unknown field', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","colour":1}]}', /unknown field\(s\) colour/],
  ['bad smp', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","smp":0}]}', /"smp"/],
  ['empty suites', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","suites":[]}]}', /"suites"/],
];
for (const [name, text, why] of bad) {
  t.test(`a broken catalog is refused: ${name}`, async (t) => {
    t.throws(() => parseCatalog(text, 'x.json'), why);
  });
}

t.test('defaults: suites and buildSuite come from suite', async (t) => {
  const [k] = parseCatalog('{"kernels":[{"id":"mine","suite":"trixie","flavour":"cloud-amd64"}]}');
  t.same(k, { id: 'mine', suite: 'trixie', suites: ['trixie'], flavour: 'cloud-amd64', buildSuite: 'trixie' });
});

t.test('an unknown kernel id names the known ones', async (t) => {
  const c = parseCatalog('{"kernels":[{"id":"a","suite":"sid","flavour":"amd64"}]}');
  try {
    pickKernels(c, ['nope']);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof HoneError);
    t.equal((err as HoneError).code, 'E_UNKNOWN_KERNEL');
    t.match((err as HoneError).hint, /known kernels: a/);
  }
});
