/** Splits a Server-Sent Events body into events' data (fields `data` and `event`; comments are heartbeats). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = 'message';
  private afterCr = false;

  constructor(private readonly emit: (type: string, data: string) => void) {}

  push(chunk: string): void {
    if (chunk === '') return;
    // A CR that ended the previous chunk and the LF that starts this one are one line ending, not two.
    this.buffer += this.afterCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.afterCr = this.buffer.endsWith('\r');
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.emit(this.event, this.data.join('\n'));
      this.data = [];
      this.event = 'message';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}
