// One YAML source file, edited so that everything the user did not touch stays byte for
// byte: scalar edits rewrite only that scalar's token (the `yaml` package's CST), moves and
// copies of block-sequence items move only the items' values; anything else goes through the
// `yaml` Document API, which keeps comments but may re-indent.

import { CST, Composer, Parser, isCollection, isScalar, isSeq } from 'yaml';

export class YamlFile {
  /** `path` as the rules folder names it, `text` the file's source. */
  constructor(path, text) {
    this.path = path;
    this.load(text);
  }

  /** Replaces the text and re-reads it. */
  load(text) {
    this.text = text;
    this.tokens = [...new Parser().parse(text)];
    const docs = [...new Composer({ keepSourceTokens: true }).compose(this.tokens)];
    this.doc = docs[0] ?? null;
    const ok = this.doc !== null && this.doc.errors.length === 0;
    this.errors = ok ? [] : (this.doc?.errors ?? []).map((e) => e.message);
    this.data = ok ? this.doc.toJS() : null;
  }

  /** The node at `path` (keys and indexes), or `undefined`. */
  node(path) {
    return this.doc?.getIn(path, true);
  }

  /** Whether the node at `path` is a scalar whose value can be rewritten in place. */
  hasScalar(path) {
    const node = this.node(path);
    return isScalar(node) && node.srcToken !== undefined;
  }

  /**
   * Sets the scalar at `path` to the string `value`, keeping its quoting style where the
   * value allows it; when `path` does not exist yet the parent map gets the key (through
   * the Document API).
   */
  setScalar(path, value) {
    const node = this.node(path);
    if (isScalar(node) && node.srcToken) {
      CST.setScalarValue(node.srcToken, value, { inFlow: this.#inFlow(path) });
      this.#commitTokens();
      return;
    }
    if (node !== undefined) throw new Error(`\`${path.join('.')}\` in ${this.path} is not a single value`);
    this.doc.setIn(path, value);
    this.load(this.doc.toString());
  }

  /** Moves item `from` of the sequence at `seqPath` to position `to`. */
  moveItem(seqPath, from, to) {
    this.#editSeq(seqPath, (values) => {
      const [moved] = values.splice(from, 1);
      values.splice(to, 0, moved);
      return values;
    });
  }

  /** Removes item `index` of the sequence at `seqPath`. */
  removeItem(seqPath, index) {
    this.#editSeq(seqPath, (values) => {
      values.splice(index, 1);
      return values;
    });
  }

  /** Inserts a copy of item `index` of the sequence at `seqPath` right after it. */
  duplicateItem(seqPath, index) {
    this.#editSeq(seqPath, (values, copy) => {
      values.splice(index + 1, 0, copy(values[index]));
      return values;
    });
  }

  /**
   * Reorders, drops or copies the items of a sequence: `edit(values, copy)` gets the item
   * values in order and returns the new list. In a block sequence the item slots (dash,
   * indentation, comments) stay where they are and only values move; otherwise the
   * Document API rewrites the file.
   */
  #editSeq(seqPath, edit) {
    const seq = this.node(seqPath);
    if (!isSeq(seq)) throw new Error(`\`${seqPath.join('.')}\` in ${this.path} is not a list`);
    const token = seq.srcToken;
    if (token?.type === 'block-seq') {
      const slots = token.items;
      const values = edit(
        slots.map((slot) => slot.value),
        (v) => structuredClone(v),
      );
      if (values.length === 0) throw new Error('a list cannot be left empty here');
      while (slots.length < values.length) slots.push(structuredClone(slots[slots.length - 1]));
      slots.length = values.length;
      values.forEach((v, i) => {
        slots[i].value = v;
      });
      this.#commitTokens();
      return;
    }
    const items = edit([...seq.items], (node) => node.clone());
    seq.items = items;
    this.load(this.doc.toString());
  }

  /** Whether a scalar at `path` sits inside a flow collection (`[...]`, `{...}`). */
  #inFlow(path) {
    let node = this.doc.contents;
    for (const key of path.slice(0, -1)) {
      if (!isCollection(node)) return false;
      if (node.flow) return true;
      node = node.get(key, true);
    }
    return isCollection(node) && node.flow === true;
  }

  #commitTokens() {
    this.load(this.tokens.map((t) => CST.stringify(t)).join(''));
  }
}
