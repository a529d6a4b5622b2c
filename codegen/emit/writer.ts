// A small line writer: indentation-aware lines, joined with "\n", so emitted code is deterministic.

/** Writer accumulates lines of generated code with two-space indentation. */
export class Writer {
  private readonly lines: string[] = [];
  private depth = 0;

  /** line appends one line at the current indentation (an empty call appends a blank line). */
  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  /** open appends `text` and indents what follows, until the matching close. */
  open(text: string): this {
    this.line(text);
    this.depth++;
    return this;
  }

  /** close dedents and appends `text` (default `}`). */
  close(text = '}'): this {
    this.depth--;
    if (this.depth < 0) throw new Error('Writer: close without open');
    return this.line(text);
  }

  /** mid dedents, appends `text`, and indents again: `} else {`. */
  mid(text: string): this {
    this.depth--;
    this.line(text);
    this.depth++;
    return this;
  }

  /** doc appends a TSDoc comment (one or more lines); `*` `/` sequences in the text are defused. */
  doc(text: string): this {
    const body = text.replace(/\*\//g, '*\\/').split('\n');
    if (body.length === 1) return this.line(`/** ${body[0]} */`);
    this.line('/**');
    for (const l of body) this.line(l === '' ? ' *' : ` * ${l}`);
    return this.line(' */');
  }

  toString(): string {
    if (this.depth !== 0) throw new Error(`Writer: ${this.depth} block(s) left open`);
    return `${this.lines.join('\n')}\n`;
  }
}
