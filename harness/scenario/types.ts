// A scenario: processes and the steps they take, in one global order. The
// runner performs the steps strictly in that order (each actor waits for its
// turn), so the scenario is its own synchronisation.
//
// Actors are tasks: the initial `processes`, children made by `fork`,
// threads made by `thread`. Socket handles (`sock`, `as`) name file
// descriptors: a fork copies them to the child, `dup` and `recvfd` add a
// new name for the same socket, `close` removes the name from one process.

export type Family = 'inet' | 'inet6';
export type SocketType = 'stream' | 'dgram' | 'raw';

/** Where a connect/sendto goes: a bound handle (its address; any-address becomes loopback) or a literal address. */
export type Target = { sock: string } | { addr: string; port?: number };

interface By {
  /** Actor performing the step. */
  by: string;
}

export type Step =
  | ({ kind: 'fork'; child: string } & By)
  | ({ kind: 'thread'; thread: string } & By)
  | ({ kind: 'exec' } & By)
  | ({ kind: 'exit'; code?: number } & By)
  /**
   * `cloexec: true`: made with SOCK_CLOEXEC (an exec closes the descriptor; a dup of it is not close-on-exec).
   * `reuseport: true`: SO_REUSEPORT before bind; datagrams sent to one member of the group reach that member (the runner steers).
   */
  | ({ kind: 'socket'; sock: string; family: Family; type: SocketType; proto?: number; cloexec?: boolean; reuseport?: boolean } & By)
  | ({ kind: 'socketpair'; sock: string; peer: string } & By)
  | ({ kind: 'bind'; sock: string; addr: string; port?: number } & By)
  | ({ kind: 'listen'; sock: string; backlog?: number } & By)
  | ({ kind: 'connect'; sock: string; to: Target } & By)
  /** `cloexec: true`: accept4(SOCK_CLOEXEC). */
  | ({ kind: 'accept'; sock: string; as: string; cloexec?: boolean } & By)
  /**
   * `more: true`: send with MSG_MORE (a stream socket holds the bytes until a later send without it).
   * `via: 'sendfile'` (stream sockets): the payload is written to a temporary file and sent with sendfile().
   */
  | ({ kind: 'send'; sock: string; size?: number; more?: boolean; via?: 'sendfile' } & By)
  /** `via: 'splice'` (stream sockets): splice() from the socket into a pipe, then read() the pipe. */
  | ({ kind: 'recv'; sock: string; size?: number; via?: 'splice' } & By)
  | ({ kind: 'sendto'; sock: string; to: Target; size?: number } & By)
  | ({ kind: 'recvfrom'; sock: string; size?: number } & By)
  | ({ kind: 'shutdown'; sock: string; how: 'rd' | 'wr' | 'rdwr' } & By)
  | ({ kind: 'close'; sock: string } & By)
  | ({ kind: 'dup'; sock: string; as: string } & By)
  | ({ kind: 'sendfd'; via: string; sock: string } & By)
  | ({ kind: 'recvfd'; via: string; as: string } & By)
  | ({ kind: 'netns' } & By)
  /** unshare(CLONE_NEWPID): the process stays; its next child is the first process (pid 1) of a new pid namespace. */
  | ({ kind: 'pidns' } & By)
  /** A veth pair between this process's network namespace and `peer`'s (each made by a netns step), IPv4 /24 on both ends, up. */
  | ({ kind: 'veth'; peer: string; addr: string; peerAddr: string } & By)
  | ({ kind: 'sleep'; ms: number } & By)
  | { kind: 'capture-start' };

export type StepKind = Step['kind'];

export interface Scenario {
  /** Lowercase words joined by dashes; unique in the set. */
  name: string;
  description: string;
  /** Set while the sensor is known to fail this scenario: a failure is reported as TODO with this reason. */
  knownGap?: string;
  /** Run in a guest that ran nothing before (e.g. the scenario looks at the whole process table). */
  needsFreshGuest?: boolean;
  /** Processes the runner forks before the first step. */
  processes: string[];
  steps: Step[];
  /** File the scenario was loaded from (set by the loader). */
  file?: string;
}

/** Default payload size of send/sendto/recv/recvfrom. */
export const DEFAULT_SIZE = 64;
/** Length of the payload tag each send starts with (`<HT:rrrrrrrr:ssssss>`). */
export const TAG_LENGTH = 20;
/** Name of the runner itself as an actor in compiled scripts. */
export const RUNNER_ACTOR = 'runner';
