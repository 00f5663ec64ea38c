import { SendBuffer } from './send-buffer';

describe(SendBuffer.name, () => {
  it('keeps frames up to its capacity and hands them out in order while the socket takes them', () => {
    const sut = new SendBuffer(3);
    expect(['a', 'b', 'c'].map((f) => sut.push(f))).toEqual([true, true, true]);
    const written: string[] = [];
    sut.drainInto((frame) => (written.push(frame), written.length < 2));
    expect(written).toEqual(['a', 'b']);
    expect(sut.size).toBe(1);
    sut.drainInto((frame) => (written.push(frame), true));
    expect(written).toEqual(['a', 'b', 'c']);
    expect(sut.size).toBe(0);
  });

  it('overflows on the frame past its capacity, drops what it held and accepts nothing more', () => {
    const sut = new SendBuffer(2);
    sut.push('a');
    sut.push('b');
    expect(sut.overflow).toBe(false);
    expect(sut.push('c')).toBe(false);
    expect(sut.overflow).toBe(true);
    expect(sut.size).toBe(0);
    expect(sut.push('d')).toBe(false);
    const written: string[] = [];
    sut.drainInto((frame) => (written.push(frame), true));
    expect(written).toEqual([]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new SendBuffer(0)).toThrow(/at least 1/);
  });
});
