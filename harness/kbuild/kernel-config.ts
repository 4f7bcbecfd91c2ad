// A source kernel's configuration: allnoconfig with KCONFIG_ALLCONFIG set
// to the kernel's own kernel/configs/kvm_guest.config followed by the
// catalog's fragment (later lines win). kconfig silently drops an option
// whose dependencies are unmet (tinyconfig loses KASAN that way), so every
// option the fragment sets is looked up in the final .config and a missing
// or different one fails the build, by name.
import { HoneError } from '../util/errors.ts';

/** An option's value as .config writes it: y, m, a number, a quoted string, or "n" for "is not set". */
export type ConfigValues = Map<string, string>;

/** Options set in a config fragment or a .config (later lines win). */
export function parseConfig(text: string): ConfigValues {
  const out: ConfigValues = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set?.[1]) {
      out.set(set[1], set[2] ?? '');
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1]) out.set(unset[1], 'n');
  }
  return out;
}

/** The KCONFIG_ALLCONFIG file: kvm_guest.config, then the fragment. */
export function composeAllconfig(kvmGuestConfig: string, fragment: string): string {
  return `${kvmGuestConfig}\n${fragment}`;
}

export interface DroppedOption {
  option: string;
  wanted: string;
  /** "n" when the final .config does not set it. */
  got: string;
}

/** The fragment's options the final .config does not have as asked. */
export function droppedOptions(fragment: string, dotConfig: string): DroppedOption[] {
  const final = parseConfig(dotConfig);
  const out: DroppedOption[] = [];
  for (const [option, wanted] of parseConfig(fragment)) {
    const got = final.get(option) ?? 'n';
    if (got !== wanted) out.push({ option, wanted, got });
  }
  return out;
}

/** Fails, naming each dropped option, when kconfig did not keep the fragment. */
export function checkFragmentKept(fragment: string, dotConfig: string, o: { fragmentName: string; configFile: string }): void {
  const dropped = droppedOptions(fragment, dotConfig);
  if (dropped.length === 0) return;
  const show = (v: string) => (v === 'n' ? 'not set' : v);
  const names = dropped.map((d) => d.option).join(', ');
  throw new HoneError(
    'E_KERNEL_BUILD',
    `kconfig dropped ${dropped.length === 1 ? 'an option' : `${dropped.length} options`} of ${o.fragmentName}: ${names}`,
    {
      details: dropped.map((d) => `${d.option}: the fragment sets ${show(d.wanted)}, the final .config has ${show(d.got)}`),
      hint: `an option is dropped when its dependencies are unmet: set them in ${o.fragmentName} too (\`make menuconfig\`, then / and the option's name, shows what it depends on); the final config is ${o.configFile}`,
    },
  );
}
