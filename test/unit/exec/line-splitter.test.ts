import { describe, expect, it } from 'vitest';
import { type LinePiece, LineSplitter } from '../../../src/job/exec/line-splitter.ts';

function split(max: number, chunks: readonly string[]): LinePiece[] {
  const pieces: LinePiece[] = [];
  const splitter = new LineSplitter(max, (p) => pieces.push(p));
  for (const c of chunks) splitter.write(c);
  splitter.end();
  return pieces;
}

describe('LineSplitter', () => {
  it('gives out whole lines across chunks, drops \\r of CRLF, and the last line without its newline', () => {
    expect(split(100, ['a', 'b\r\nc', 'd\n', 'last'])).toEqual([
      { text: 'ab', part: undefined },
      { text: 'cd', part: undefined },
      { text: 'last', part: undefined },
    ]);
  });

  it('keeps empty lines', () => {
    expect(split(100, ['\n\nx\n'])).toEqual([
      { text: '', part: undefined },
      { text: '', part: undefined },
      { text: 'x', part: undefined },
    ]);
  });

  it('splits a line longer than the bound into numbered pieces, as it arrives', () => {
    const pieces: LinePiece[] = [];
    const splitter = new LineSplitter(4, (p) => pieces.push(p));
    splitter.write('abcdefghij');
    expect(pieces).toEqual([
      { text: 'abcd', part: 1 },
      { text: 'efgh', part: 2 },
    ]);
    splitter.write('k\nnext\n');
    expect(pieces.slice(2)).toEqual([
      { text: 'ijk', part: 3 },
      { text: 'next', part: undefined },
    ]);
  });

  it('a line of exactly the bound is whole; a split line ending on a piece boundary adds no empty piece', () => {
    expect(split(4, ['abcd\n'])).toEqual([{ text: 'abcd', part: undefined }]);
    expect(split(4, ['abcdefgh\nz'])).toEqual([
      { text: 'abcd', part: 1 },
      { text: 'efgh', part: 2 },
      { text: 'z', part: undefined },
    ]);
  });

  it('keeps memory bounded for a line that never ends', () => {
    const pieces: LinePiece[] = [];
    const splitter = new LineSplitter(1_000, (p) => pieces.push(p));
    for (let i = 0; i < 1_000; i++) splitter.write('x'.repeat(999));
    expect(pieces.length).toBe(998); // the last 1 000 characters wait for more (or the end)
    splitter.end();
    expect(pieces.map((p) => p.text).join('').length).toBe(999_000);
  });
});
