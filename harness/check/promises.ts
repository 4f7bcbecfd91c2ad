// What the capture format promises beyond kmod/FORMAT.md's block layouts,
// as switches the checker judges by. One place, so that the sensor's
// engineer turns a promise on where the format starts to make it.
export interface FormatPromises {
  /**
   * Within a section, live records come in non-decreasing timestamp order
   * (the kernel merges its per-CPU rings by timestamp on read); a drop
   * marker (an ISB in the middle of a section, text `TS DROP ...`) may
   * stand between them. Off while the sensor writes each event into every
   * reader's ring as it happens, which does not promise it.
   */
  monotonicTimestamps: boolean;
}

export const FORMAT_PROMISES: FormatPromises = {
  monotonicTimestamps: false,
};
