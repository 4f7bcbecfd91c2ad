// Errors of the capture readers. The message names the offset (PCAP-NG) or
// the line (honet) of the fault.
import { HoneError } from '../util/errors.ts';

export class CaptureError extends HoneError {
  /** Byte offset (PCAP-NG) or line number (honet) of the fault. */
  readonly at: number;

  constructor(message: string, at: number) {
    super('E_CAPTURE', message, {
      hint: 'the capture is damaged or was cut short: check the reader stopped cleanly (HEIO_RESTART, read until 0)',
    });
    this.name = 'CaptureError';
    this.at = at;
  }
}
