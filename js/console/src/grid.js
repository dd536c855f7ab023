// The decision table editor: a grid of FEEL cells (one row per rule), the hit policy, and
// rule add / copy / move / remove. Keyboard: arrow keys move between cells, Home/End to the
// row's first/last cell, Enter (or F2, or typing) edits a cell, Enter again saves it, Escape
// cancels the edit. A cell shows its FEEL syntax error as the user types (checkFeel, the
// compiler's own parser).

import { checkFeel } from '@cpm/engine';

import { h, replace } from './dom.js';

const HIT_POLICIES = [
  'UNIQUE',
  'ANY',
  'PRIORITY',
  'FIRST',
  'OUTPUT ORDER',
  'RULE ORDER',
  'COLLECT',
  'COLLECT SUM',
  'COLLECT MIN',
  'COLLECT MAX',
  'COLLECT COUNT',
];

/**
 * Shows decision `decision` (`{ name, path, index }`) of `workspace` in `root`.
 * `change(describe)` is called after every edit of the file (to rebuild); `fired` is the
 * set of 1-based rule positions the last try matched.
 */
export function renderTable(root, { workspace, decision, change, fired = new Set(), focus = null }) {
  const file = workspace.yaml(decision.path);
  const base = ['decisions', decision.index, 'table'];
  const table = file.data.decisions[decision.index].table;
  const inputs = Array.isArray(table.inputs) ? table.inputs : [];
  const outputs = Array.isArray(table.outputs) ? table.outputs : [];
  const rules = Array.isArray(table.rules) ? table.rules : [];
  const names = workspace.names(decision.path);
  const columns = [
    ...inputs.map((c, i) => ({ key: 'when', i, kind: 'unary-tests', label: String(c?.label ?? c?.expression ?? `input ${i + 1}`), cls: 'in' })),
    ...outputs.map((c, i) => ({ key: 'then', i, kind: 'expression', label: String(c?.name ?? `output ${i + 1}`), cls: 'out' })),
  ];

  const edit = (describe, fn, refocus) => {
    try {
      fn();
    } catch (e) {
      change(describe, e);
      return;
    }
    change(describe, null, refocus);
  };

  const hitValue = String(table.hit ?? 'UNIQUE');
  const hitOptions = HIT_POLICIES.includes(hitValue.toUpperCase()) ? HIT_POLICIES : [hitValue, ...HIT_POLICIES];
  const hit = h(
    'select',
    {
      id: 'hit-policy',
      onchange: (e) => edit(`hit policy of ${decision.name} set to ${e.target.value}`, () => file.setScalar([...base, 'hit'], e.target.value), { hit: true }),
    },
    hitOptions.map((p) => h('option', { value: p, selected: p === hitValue.toUpperCase() || p === hitValue }, p)),
  );

  const rowLabel = (r) => `Rule ${r + 1}${rules[r]?.id ? ` (${rules[r].id})` : ''}`;
  const gridId = 'rule-grid';

  const body = rules.map((rule, r) =>
    h(
      'tr',
      { 'data-rule': r + 1, class: fired.has(r + 1) ? 'fired' : undefined, 'aria-rowindex': r + 2 },
      h('th', { scope: 'row', class: 'rule-no' }, String(r + 1)),
      h('td', { class: 'rule-id' }, String(rule?.id ?? `r${r + 1}`)),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Move ${rowLabel(r)} up`, disabled: r === 0, onclick: () => edit(`${rowLabel(r)} moved up`, () => file.moveItem([...base, 'rules'], r, r - 1)) }, '↑'),
        h('button', { type: 'button', 'aria-label': `Move ${rowLabel(r)} down`, disabled: r === rules.length - 1, onclick: () => edit(`${rowLabel(r)} moved down`, () => file.moveItem([...base, 'rules'], r, r + 1)) }, '↓'),
        h('button', { type: 'button', 'aria-label': `Copy ${rowLabel(r)} below it`, onclick: () => edit(`${rowLabel(r)} copied`, () => copyRule(file, base, rules, r)) }, '+'),
        h('button', { type: 'button', 'aria-label': `Remove ${rowLabel(r)}`, disabled: rules.length === 1, onclick: () => edit(`${rowLabel(r)} removed`, () => file.removeItem([...base, 'rules'], r)) }, '✕'),
      ),
      columns.map((col, c) => cell(rule, r, col, c)),
      h('td', { class: 'note' }, rule?.note === undefined ? '' : String(rule.note)),
    ),
  );

  function cell(rule, r, col, c) {
    const list = Array.isArray(rule?.[col.key]) ? rule[col.key] : [];
    const path = [...base, 'rules', r, col.key, col.i];
    const value = list[col.i] === undefined ? '' : String(list[col.i]);
    const errorId = `cell-error-${r}-${c}`;
    const input = h('input', {
      type: 'text',
      class: 'cell',
      value,
      size: Math.max(3, Math.min(40, value.length + 1)),
      readonly: true,
      spellcheck: 'false',
      autocomplete: 'off',
      'data-row': r,
      'data-col': c,
      'data-kind': col.kind,
      'aria-label': `${rowLabel(r)}, ${col.cls === 'in' ? 'condition' : 'output'} ${col.label}`,
      'aria-describedby': errorId,
      tabindex: r === 0 && c === 0 ? 0 : -1,
    });
    const error = h('div', { class: 'cell-error', id: errorId, role: 'status' });
    const check = () => {
      const problems = checkFeel(input.value, { kind: col.kind, names });
      const p = problems[0];
      input.setAttribute('aria-invalid', p ? 'true' : 'false');
      replace(error, p ? `column ${p.column}: ${p.message}` : '');
      return p;
    };
    check();
    const startEdit = (replaceWith) => {
      if (!input.readOnly) return;
      input.readOnly = false;
      input.dataset.before = input.value;
      input.classList.add('editing');
      if (replaceWith !== undefined) input.value = replaceWith;
      const end = input.value.length;
      input.setSelectionRange(end, end);
    };
    const stopEdit = (save, refocus) => {
      if (input.readOnly) return;
      input.readOnly = true;
      input.classList.remove('editing');
      const before = input.dataset.before ?? value;
      if (!save) {
        input.value = before;
        check();
        return;
      }
      if (input.value !== before) {
        edit(`${rowLabel(r)} ${col.label} set to ${input.value}`, () => file.setScalar(path, input.value), refocus ? { row: r, col: c } : null);
      }
    };
    input.addEventListener('input', check);
    input.addEventListener('dblclick', () => startEdit());
    input.addEventListener('click', () => startEdit());
    input.addEventListener('blur', () => stopEdit(true, false));
    input.addEventListener('focus', () => {
      for (const other of root.querySelectorAll('input.cell[tabindex="0"]')) if (other !== input) other.tabIndex = -1;
      input.tabIndex = 0;
    });
    input.addEventListener('keydown', (e) => {
      if (!input.readOnly) {
        if (e.key === 'Enter') {
          e.preventDefault();
          stopEdit(true, true);
        } else if (e.key === 'Escape') {
          e.preventDefault();
          stopEdit(false);
        }
        return;
      }
      const moves = {
        ArrowUp: [r - 1, c],
        ArrowDown: [r + 1, c],
        ArrowLeft: [r, c - 1],
        ArrowRight: [r, c + 1],
        Home: [r, 0],
        End: [r, columns.length - 1],
      };
      if (moves[e.key]) {
        e.preventDefault();
        const [nr, nc] = moves[e.key];
        root.querySelector(`input.cell[data-row="${nr}"][data-col="${nc}"]`)?.focus();
      } else if (e.key === 'Enter' || e.key === 'F2') {
        e.preventDefault();
        startEdit();
      } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
        startEdit('');
      }
    });
    return h('td', { class: `cell-td ${col.cls}`, role: 'gridcell' }, input, error);
  }

  replace(
    root,
    h(
      'div',
      { class: 'table-tools' },
      h('label', { for: 'hit-policy' }, 'Hit policy '),
      hit,
      h('span', { class: 'hint', id: 'grid-help' }, 'Arrow keys move between cells · Enter edits and saves · Escape cancels'),
    ),
    h(
      'div',
      { class: 'grid-wrap' },
      h(
        'table',
        { id: gridId, class: 'grid', role: 'grid', 'aria-label': `Decision table ${decision.name}`, 'aria-describedby': 'grid-help', 'aria-rowcount': rules.length + 1 },
        h(
          'thead',
          {},
          h(
            'tr',
            { 'aria-rowindex': 1 },
            h('th', { scope: 'col' }, '#'),
            h('th', { scope: 'col' }, 'id'),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
            columns.map((col) => h('th', { scope: 'col', class: col.cls, title: col.cls === 'in' ? 'condition (unary tests)' : 'output (expression)' }, col.label)),
            h('th', { scope: 'col' }, 'note'),
          ),
        ),
        h('tbody', {}, body),
      ),
    ),
  );

  if (focus?.hit) root.querySelector('#hit-policy')?.focus();
  if (focus?.row !== undefined) root.querySelector(`input.cell[data-row="${focus.row}"][data-col="${focus.col}"]`)?.focus();
}

/** Copies rule `r` below itself, with a fresh id when rules have ids. */
function copyRule(file, base, rules, r) {
  file.duplicateItem([...base, 'rules'], r);
  const id = rules[r]?.id;
  if (id === undefined) return;
  const taken = new Set(rules.map((x) => String(x?.id)));
  let n = 2;
  while (taken.has(`${id}-${n}`)) n += 1;
  file.setScalar([...base, 'rules', r + 1, 'id'], `${id}-${n}`);
}

/** The editor of a literal-expression decision: one FEEL expression, checked as typed. */
export function renderExpression(root, { workspace, decision, change }) {
  const file = workspace.yaml(decision.path);
  const path = ['decisions', decision.index, 'expression'];
  const value = String(file.data.decisions[decision.index].expression);
  const names = workspace.names(decision.path);
  const error = h('div', { class: 'cell-error', id: 'expr-error', role: 'status' });
  const input = h('textarea', { id: 'expression', rows: 3, spellcheck: 'false', 'aria-describedby': 'expr-error' });
  input.value = value;
  const check = () => {
    const p = checkFeel(input.value, { kind: 'expression', names })[0];
    input.setAttribute('aria-invalid', p ? 'true' : 'false');
    replace(error, p ? `line ${p.line}, column ${p.column}: ${p.message}` : '');
  };
  input.addEventListener('input', check);
  input.addEventListener('change', () => {
    try {
      file.setScalar(path, input.value);
      change(`${decision.name} expression changed`);
    } catch (e) {
      change(`${decision.name} expression`, e);
    }
  });
  check();
  replace(root, h('label', { for: 'expression' }, 'Expression (FEEL)'), input, error);
}
