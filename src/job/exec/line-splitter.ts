/**
 * Splits a stream of text into lines of bounded length: a line longer than
 * the bound is cut into pieces as it arrives (memory stays bounded even for
 * a line without an end), and the last line is given out by {@link LineSplitter.end}
 * even without its newline.
 */

/** One line, or one piece of a line longer than the bound. */
export interface LinePiece {
  readonly text: string;
  /** 1-based piece number when the line was split; undefined for a whole line. */
  readonly part: number | undefined;
}

/**
 * A bounded line splitter.
 *
 * @example
 * ```ts
 * const lines = new LineSplitter(4, (piece) => console.log(piece));
 * lines.write('ab\ncdefgh');
 * lines.end(); // { text: 'ab' }, { text: 'cdef', part: 1 }, { text: 'gh', part: 2 }
 * ```
 */
export class LineSplitter {
  readonly #max: number;
  readonly #emit: (piece: LinePiece) => void;
  #buffer = '';
  /** Pieces already given out for the current line. */
  #parts = 0;

  constructor(maxChars: number, emit: (piece: LinePiece) => void) {
    this.#max = maxChars;
    this.#emit = emit;
  }

  /** Take a chunk of text. */
  write(chunk: string): void {
    let text = this.#buffer + chunk;
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline !== -1 && newline <= this.#max) {
        this.#line(text.slice(0, newline).replace(/\r$/, ''));
        text = text.slice(newline + 1);
      } else if (text.length > this.#max) {
        this.#parts += 1;
        this.#emit({ text: text.slice(0, this.#max), part: this.#parts });
        text = text.slice(this.#max);
      } else {
        break;
      }
    }
    this.#buffer = text;
  }

  /** Give out what is left (a last line without newline). */
  end(): void {
    if (this.#buffer.length > 0 || this.#parts > 0) this.#line(this.#buffer.replace(/\r$/, ''));
    this.#buffer = '';
  }

  #line(text: string): void {
    if (this.#parts > 0) {
      this.#parts += 1;
      if (text.length > 0) this.#emit({ text, part: this.#parts });
      this.#parts = 0;
      return;
    }
    this.#emit({ text, part: undefined });
  }
}
