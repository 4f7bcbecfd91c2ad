// The harness's own import graph: which .ts file imports which (static,
// type-only, re-exports and dynamic import() alike), and its circles. A
// circle makes load order matter and a module's meaning depend on who was
// loaded first; the unit tests keep the graph free of them.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

/** File (relative to the root) -> the files it imports (relative to the root). */
export type ImportGraph = Map<string, string[]>;

const specifier =
  /(?:\bimport\b|\bexport\b)[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;

/** The relative .ts imports of one file's text (package and node: imports are left out). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.replace(/^\s*\/\/.*$/gm, '').matchAll(specifier)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec && spec.startsWith('.') && spec.endsWith('.ts')) out.push(spec);
  }
  return out;
}

/** The graph of every .ts file under root (test/ left out: tests import freely). */
export async function importGraph(root: string, skip: (rel: string) => boolean = (rel) => rel.startsWith('test/')): Promise<ImportGraph> {
  const graph: ImportGraph = new Map();
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !skip(f));
  for (const rel of files.sort()) {
    const text = await readFile(join(root, rel), 'utf8');
    const deps = importsOf(text).map((spec) => relative(root, resolve(root, dirname(rel), spec)));
    graph.set(
      rel,
      [...new Set(deps)].filter((d) => !d.startsWith('..')),
    );
  }
  return graph;
}

/** Each circle once, as the files around it (the first repeated at the end), shortest first. */
export function findCircles(graph: ImportGraph): string[][] {
  const circles: string[][] = [];
  for (const component of stronglyConnected(graph)) {
    const members = new Set(component);
    const self = component.length === 1 && (graph.get(component[0] as string) ?? []).includes(component[0] as string);
    if (component.length < 2 && !self) continue;
    circles.push(shortestCycle(graph, component[0] as string, members));
  }
  return circles.sort((a, b) => a.length - b.length);
}

// --- internal ---

/** Tarjan's strongly connected components. */
function stronglyConnected(graph: ImportGraph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return out;
}

/** A shortest path from start back to itself inside one component (breadth first). */
function shortestCycle(graph: ImportGraph, start: string, members: Set<string>): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
