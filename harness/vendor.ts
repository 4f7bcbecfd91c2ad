// Every third-party package the harness uses is imported here and only here,
// so the rest of the code depends on these names, not on packages.
import ssh2 from 'ssh2';

export { execa, type Options as ExecaOptions, type ResultPromise } from 'execa';
export type { ClientChannel, ServerChannel } from 'ssh2';
export const SshClient = ssh2.Client;
export type SshClient = InstanceType<typeof ssh2.Client>;
export const sshUtils = ssh2.utils;
/** An SSH server: the channel's tests stand it in for the guest's dropbear. */
export const SshServer = ssh2.Server;
