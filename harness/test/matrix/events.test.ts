// The event stream's plumbing, and that a consumer must handle every kind:
// the @ts-expect-error lines below are checked by `tsc --noEmit` (part of
// `npm run test:unit`), which fails if a table without a kind is accepted.
import t from 'tap';
import { fanOut, handle, replay, stamped, consumer, type EventOf, type Handlers, type MatrixEvent } from '../../matrix/events.ts';

const noop = () => {};
const all = {
  plan: noop,
  'phase-start': noop,
  'phase-end': noop,
  console: noop,
  result: noop,
  kernel: noop,
  info: noop,
  warning: noop,
  done: noop,
} satisfies Handlers<void>;

t.test('a handler table must name every kind', async (t) => {
  const { done: _, ...lacking } = all;
  // @ts-expect-error: no handler for 'done'
  const missing: Handlers<void> = lacking;
  // @ts-expect-error: a kind that does not exist
  const extra: Handlers<void> = { ...all, bogus: noop };
  // @ts-expect-error: the handler for 'result' gets a result event, not a console line
  const wrong: Handlers<void> = { ...all, result: (e: EventOf<'console'>) => void e.line };
  t.ok(missing && extra && wrong);
});

t.test('handle calls the handler of the kind; stamped adds the time; fanOut gives every sink every event', async (t) => {
  const seen: string[] = [];
  const a: MatrixEvent[] = [];
  const b: MatrixEvent[] = [];
  const emit = stamped(
    fanOut(
      (e) => a.push(e),
      (e) => b.push(e),
    ),
    () => 42,
  );
  emit({ kind: 'info', text: 'hello' });
  emit({ kind: 'done' });
  t.same(a, [
    { kind: 'info', text: 'hello', at: 42 },
    { kind: 'done', at: 42 },
  ]);
  t.same(b, a);
  const h = {
    ...all,
    info: (e: { text: string }) => seen.push(`info ${e.text}`),
    done: () => seen.push('done'),
  } satisfies Handlers<unknown>;
  for (const e of a) handle(h, e);
  t.same(seen, ['info hello', 'done']);
  t.equal(
    replay(
      consumer({ ...all }, () => seen.length),
      a,
    ),
    2,
  );
});
