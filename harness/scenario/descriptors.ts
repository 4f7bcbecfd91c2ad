// Which process holds which socket, through which descriptor: the Unix
// rules every model of a run shares (the scenario's dry run, the checker's
// expectations, the simulator's runner and sensor):
//
// - a process holds a socket while one of its descriptors names it; threads
//   share their process's descriptors and are not holders of their own;
// - fork copies the parent's descriptors, close-on-exec flags included;
// - exec closes the descriptors made close-on-exec (SOCK_CLOEXEC); a dup or
//   a received copy is never close-on-exec;
// - a descriptor in flight in SCM_RIGHTS is a reference that nobody holds;
// - the last descriptor going away (close, exec, exit), with nothing in
//   flight, releases the socket.
//
// Handles are the scenario's names for descriptors (`sock`, `as`); `S` is
// whatever the model calls a socket (a cookie, an index).

export interface Descriptor<S> {
  sock: S;
  cloexec: boolean;
  /** The descriptor number, for models that care (the simulated runner). */
  fd?: number;
}

/** What a close or exec did to one socket of the process. */
export interface Dropped<S> {
  sock: S;
  handle: string;
  /** The process no longer holds the socket (that was its last descriptor of it). */
  lost: boolean;
}

export class Descriptors<S> {
  private readonly tables = new Map<number, Map<string, Descriptor<S>>>();
  private readonly flying = new Map<S, number>();

  /** A new descriptor: socket, socketpair, accept (cloexec as made), dup and recvfd (never cloexec). */
  open(pid: number, handle: string, sock: S, cloexec = false, fd?: number): void {
    const d: Descriptor<S> = { sock, cloexec };
    if (fd !== undefined) d.fd = fd;
    this.table(pid).set(handle, d);
  }

  /** The child gets a copy of every descriptor; returns the distinct sockets it now holds. */
  fork(parent: number, child: number): S[] {
    const copy = new Map<string, Descriptor<S>>();
    for (const [h, d] of this.tables.get(parent) ?? []) copy.set(h, { ...d });
    this.tables.set(child, copy);
    return this.sockets(child);
  }

  /** exec closes the close-on-exec descriptors, in handle order. */
  exec(pid: number): Array<Dropped<S>> {
    const out: Array<Dropped<S>> = [];
    for (const [h, d] of [...this.table(pid)]) if (d.cloexec) out.push(this.close(pid, h)!);
    return out;
  }

  close(pid: number, handle: string): Dropped<S> | undefined {
    const t = this.tables.get(pid);
    const d = t?.get(handle);
    if (!t || !d) return undefined;
    t.delete(handle);
    return { sock: d.sock, handle, lost: !this.holds(pid, d.sock) };
  }

  /** The process is gone: returns the distinct sockets it held. */
  exit(pid: number): S[] {
    const held = this.sockets(pid);
    this.tables.delete(pid);
    return held;
  }

  /** sendfd: the socket is in flight (a reference nobody holds). */
  send(sock: S): void {
    this.flying.set(sock, (this.flying.get(sock) ?? 0) + 1);
  }

  /** recvfd: it lands as a new descriptor; returns whether the process held it already. */
  receive(pid: number, handle: string, sock: S, fd?: number): { already: boolean } {
    const already = this.holds(pid, sock);
    this.flying.set(sock, Math.max(0, (this.flying.get(sock) ?? 0) - 1));
    this.open(pid, handle, sock, false, fd);
    return { already };
  }

  /** No descriptor names the socket anywhere and none is in flight. */
  released(sock: S): boolean {
    if ((this.flying.get(sock) ?? 0) > 0) return false;
    for (const t of this.tables.values()) for (const d of t.values()) if (d.sock === sock) return false;
    return true;
  }

  holds(pid: number, sock: S): boolean {
    for (const d of this.tables.get(pid)?.values() ?? []) if (d.sock === sock) return true;
    return false;
  }

  /** The processes holding the socket, in the order their tables were made. */
  holders(sock: S): number[] {
    return [...this.tables].filter(([, t]) => [...t.values()].some((d) => d.sock === sock)).map(([pid]) => pid);
  }

  /** The distinct sockets of a process, in handle order. */
  sockets(pid: number): S[] {
    return [...new Set([...(this.tables.get(pid)?.values() ?? [])].map((d) => d.sock))];
  }

  get(pid: number, handle: string): Descriptor<S> | undefined {
    return this.tables.get(pid)?.get(handle);
  }

  handles(pid: number): Array<[string, Descriptor<S>]> {
    return [...(this.tables.get(pid) ?? [])];
  }

  /** Processes with a descriptor table (alive, or never seen to exit). */
  pids(): number[] {
    return [...this.tables.keys()];
  }

  // --- internal ---

  private table(pid: number): Map<string, Descriptor<S>> {
    return this.tables.get(pid) ?? this.tables.set(pid, new Map()).get(pid)!;
  }
}
