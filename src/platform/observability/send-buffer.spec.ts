import { SendBuffer } from './send-buffer';

describe(SendBuffer.name, () => {
  it('keeps frames up to its capacity and hands them out in order, as one write', () => {
    const sut = new SendBuffer(3);
    expect(['a', 'b', 'c'].map((f) => sut.push(f))).toEqual([true, true, true]);
    expect(sut.size).toBe(3);
    expect(sut.take()).toBe('abc');
    expect(sut.size).toBe(0);
    expect(sut.take()).toBe('');
    expect(sut.push('d')).toBe(true);
    expect(sut.take()).toBe('d');
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
    expect(sut.take()).toBe('');
  });

  it('counts frames taken as gone: a client that keeps up is never dropped, however many frames pass', () => {
    const sut = new SendBuffer(2);
    for (let i = 0; i < 100; i++) {
      expect(sut.push(`${i}`)).toBe(true);
      sut.take();
    }
    expect(sut.overflow).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new SendBuffer(0)).toThrow(/at least 1/);
  });
});
