// The harness's import graph has no circle; the graph reader itself on
// small texts and graphs.
import t from 'tap';
import { join } from 'node:path';
import { findCircles, importGraph, importsOf } from '../../util/imports.ts';
import { repoRoot } from '../../util/paths.ts';

t.test('importsOf reads static, type-only, re-export, side-effect and dynamic imports, relative .ts only', async (t) => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    'import {',
    '  c,',
    '  type D,',
    "} from './c.ts';",
    "export { e } from './e.ts';",
    "import './side.ts';",
    "const f = await import('./f.ts');",
    "import { execa } from 'execa';",
    "import { join } from 'node:path';",
    "// import { g } from './commented.ts';",
  ].join('\n');
  t.same(
    importsOf(text),
    ['./a.ts', '../b.ts', './c.ts', './e.ts', './f.ts', './side.ts'].sort((x, y) => text.indexOf(x) - text.indexOf(y)),
  );
});

t.test('findCircles names each circle once, shortest path around it', async (t) => {
  const g = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts', 'd.ts']],
    ['d.ts', []],
    ['e.ts', ['e.ts']],
    ['f.ts', ['d.ts']],
  ]);
  t.same(findCircles(g), [
    ['e.ts', 'e.ts'],
    ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
  ]);
  t.same(findCircles(new Map([['x.ts', ['y.ts']]])), []);
});

t.test('harness/ has no import circle', async (t) => {
  const graph = await importGraph(join(repoRoot, 'harness'));
  t.ok(graph.size > 100, `read the graph (${graph.size} files)`);
  const circles = findCircles(graph).map((c) => c.join(' -> '));
  t.same(circles, [], 'break each circle: move what both sides need into a file of its own');
});
