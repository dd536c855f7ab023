// The console's YAML editing (js/console/src/yamlfile.js) in Node: edits change only what
// they touch, comments survive, and structural edits of flow lists fall back to the
// Document API.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { YamlFile } from '../console/src/yamlfile.js';

const TABLE = `model: m   # the model
decisions:
  - name: T
    table:
      hit: FIRST          # first match wins
      inputs: [{ expression: X }]
      outputs: [{ name: y }]
      rules:
        # small ones first
        - { id: small, when: ['< 10'], then: ['"small"'] }
        - { id: mid, when: ['[10..100)'], then: ['"mid"'] }
        - id: big
          when: ['>= 100']
          then: ['"big"']
`;

const rules = ['decisions', 0, 'table', 'rules'];

function changedLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  return x.map((l, i) => [l, y[i]]).filter(([l, r]) => l !== r);
}

test('a scalar edit rewrites only that scalar, keeping its quotes', () => {
  const f = new YamlFile('m.yaml', TABLE);
  f.setScalar([...rules, 1, 'when', 0], '[10..50)');
  assert.deepEqual(changedLines(TABLE, f.text), [
    ["        - { id: mid, when: ['[10..100)'], then: ['\"mid\"'] }", "        - { id: mid, when: ['[10..50)'], then: ['\"mid\"'] }"],
  ]);
  f.setScalar(['decisions', 0, 'table', 'hit'], 'UNIQUE');
  assert.match(f.text, /hit: UNIQUE {10}# first match wins/);
  // A value the plain style cannot hold in a flow list gets quoted.
  f.setScalar([...rules, 0, 'id'], 'a, b');
  assert.equal(f.data.decisions[0].table.rules[0].id, 'a, b');
  assert.equal(f.errors.length, 0);
});

test('moving, copying and removing block-list items keeps comments and layout', () => {
  const f = new YamlFile('m.yaml', TABLE);
  f.moveItem(rules, 0, 1);
  assert.deepEqual(f.data.decisions[0].table.rules.map((r) => r.id), ['mid', 'small', 'big']);
  assert.match(f.text, /# small ones first\n {8}- \{ id: mid,/);
  f.duplicateItem(rules, 2);
  assert.deepEqual(f.data.decisions[0].table.rules.map((r) => r.id), ['mid', 'small', 'big', 'big']);
  f.removeItem(rules, 3);
  f.moveItem(rules, 1, 0);
  assert.equal(f.text, TABLE);
  assert.throws(() => f.setScalar(rules, 'x'), /is not a single value/);
});

test('a missing key is added and flow lists are edited through the Document API', () => {
  const text = 'model: m # keep me\ndecisions:\n  - name: T\n    table:\n      inputs: [{ expression: X }]\n      outputs: [{ name: y }]\n      rules: [{ when: [\'1\'], then: [\'"a"\'] }, { when: [\'2\'], then: [\'"b"\'] }]\n';
  const f = new YamlFile('m.yaml', text);
  f.setScalar(['decisions', 0, 'table', 'hit'], 'FIRST');
  assert.equal(f.data.decisions[0].table.hit, 'FIRST');
  f.moveItem(rules, 1, 0);
  assert.deepEqual(f.data.decisions[0].table.rules.map((r) => r.when[0]), ['2', '1']);
  assert.match(f.text, /# keep me/);
});
