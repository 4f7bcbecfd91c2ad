// Errors of the capture readers. The code is stable; the message names the
// offset (PCAP-NG) or the line (honet) and what to do next.

export class CaptureError extends Error {
  readonly code: 'E_CAPTURE_FORMAT';
  /** Byte offset (PCAP-NG) or line number (honet) of the fault. */
  readonly at: number;

  constructor(message: string, at: number) {
    super(message);
    this.name = 'CaptureError';
    this.code = 'E_CAPTURE_FORMAT';
    this.at = at;
  }
}
