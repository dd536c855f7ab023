// A process as a diagram (SVG: one box per step in file order, arrows for `next`, routes and
// timeouts) and the editor of the selected step: a route's conditions and targets, `next`,
// a task's or a wait's durations, the process SLA. Edits are scalar edits of the YAML file.

import { checkFeel } from '@cpm/engine';

import { h, replace, svg } from './dom.js';

const BOX_W = 230;
const BOX_H = 42;
const GAP = 26;
const DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

const KINDS = ['decide', 'task', 'send', 'route', 'wait', 'record', 'end', 'call'];

function kindOf(step) {
  return KINDS.find((k) => step?.[k] !== undefined) ?? 'step';
}

function summary(step) {
  const kind = kindOf(step);
  switch (kind) {
    case 'decide':
      return `decide ${step.decide}${step.as ? ` → ${step.as}` : ''}`;
    case 'task':
      return `task in ${step.task?.queue ?? '?'}${step.task?.sla ? `, SLA ${step.task.sla}` : ''}`;
    case 'send':
      return `send ${step.send?.template ?? ''}`;
    case 'wait':
      return `wait for ${step.wait?.for ?? '?'}${step.wait?.timeout ? `, ${step.wait.timeout}` : ''}`;
    case 'end':
      return `end: ${step.end?.outcome ?? ''}`;
    default:
      return kind;
  }
}

/** Every arrow of a process: `{ from, to, label, kind: 'next' | 'route' | 'default' | 'timeout' }`. */
export function edges(steps) {
  const out = [];
  steps.forEach((step, i) => {
    if (step?.next) out.push({ from: i, to: step.next, label: '', kind: 'next' });
    if (Array.isArray(step?.route)) {
      for (const branch of step.route) {
        if (branch?.default !== undefined) out.push({ from: i, to: branch.default, label: 'otherwise', kind: 'default' });
        else out.push({ from: i, to: branch?.to, label: String(branch?.when ?? ''), kind: 'route' });
      }
    }
    if (step?.wait?.['on-timeout']) out.push({ from: i, to: step.wait['on-timeout'], label: 'timeout', kind: 'timeout' });
  });
  return out;
}

function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/** Draws the process in `root`; `select(i)` is called when a step is chosen. */
function diagram(root, data, selected, select) {
  const steps = data.steps;
  const index = new Map(steps.map((s, i) => [String(s?.id), i]));
  const arrows = edges(steps).map((e) => ({ ...e, toIndex: index.get(String(e.to)) }));
  let lanes = 0;
  const y = (i) => 16 + i * (BOX_H + GAP);
  const paths = [];
  const labels = [];
  const outgoing = new Map();
  for (const a of arrows) {
    if (a.toIndex === undefined) continue;
    const x0 = 20 + BOX_W;
    if (a.toIndex === a.from + 1 && a.kind === 'next') {
      const cx = 20 + BOX_W / 2;
      paths.push(svg('line', { x1: cx, y1: y(a.from) + BOX_H, x2: cx, y2: y(a.toIndex) - 2, class: 'edge', 'marker-end': 'url(#arrow)' }));
      continue;
    }
    // The k-th side arrow of a step leaves it 12 px below the previous one.
    const k = outgoing.get(a.from) ?? 0;
    outgoing.set(a.from, k + 1);
    lanes += 1;
    const lx = x0 + 14 + lanes * 16;
    const y0 = y(a.from) + 10 + k * 12;
    const y1 = y(a.toIndex) + BOX_H / 2;
    const d = `M ${x0} ${y0} H ${lx} V ${y1} H ${x0 + 4}`;
    paths.push(
      svg('path', { d, class: `edge ${a.kind}`, 'marker-end': 'url(#arrow)', 'data-from': steps[a.from].id, 'data-to': a.to }, svg('title', {}, `${steps[a.from].id} → ${a.to}${a.label ? ` when ${a.label}` : ''}`)),
    );
    labels.push({ y: y0 + 4, text: `${a.label ? `${clip(a.label, 30)} ` : ''}→ ${a.to}`, kind: a.kind });
  }
  // Labels in one column right of every lane, level with the arrow they name.
  const labelX = 20 + BOX_W + 22 + lanes * 16;
  for (const l of labels) paths.push(svg('text', { x: labelX, y: l.y, class: `edge-label ${l.kind}` }, l.text));
  const width = labelX + 280;
  const height = y(steps.length) + 8;
  const boxes = steps.map((step, i) => {
    const id = String(step?.id);
    return svg(
      'g',
      {
        class: `step ${kindOf(step)}${i === selected ? ' selected' : ''}`,
        tabindex: 0,
        role: 'button',
        'aria-label': `Step ${id}: ${summary(step)}`,
        'aria-pressed': i === selected ? 'true' : 'false',
        'data-step': id,
        onclick: () => select(i),
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select(i);
          }
        },
      },
      svg('rect', { x: 20, y: y(i), width: BOX_W, height: BOX_H, rx: 6 }),
      svg('text', { x: 30, y: y(i) + 17, class: 'step-id' }, clip(id, 30)),
      svg('text', { x: 30, y: y(i) + 33, class: 'step-kind' }, clip(summary(step), 36)),
    );
  });
  replace(
    root,
    svg(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Diagram of process ${data.process}`, class: 'diagram' },
      svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))),
      paths,
      boxes,
    ),
  );
}

/**
 * Shows process `proc` (`{ name, path }`) of `workspace`: the diagram in `root`'s first
 * part, the selected step's editor below. `change(describe, error)` after every edit.
 */
export function renderProcess(root, { workspace, proc, change, state }) {
  const file = workspace.yaml(proc.path);
  const data = file.data;
  const steps = data.steps;
  const names = workspace.names(proc.path);
  const ids = steps.map((s) => String(s?.id));
  const selected = Math.min(state.step ?? 0, steps.length - 1);
  const picture = h('div', { class: 'diagram-wrap' });
  const editor = h('div', { class: 'step-editor' });
  const select = (i) => {
    state.step = i;
    renderProcess(root, { workspace, proc, change, state });
    root.querySelector(`g.step[data-step="${CSS.escape(ids[i])}"]`)?.focus();
  };
  diagram(picture, data, selected, select);

  const set = (path, value, describe) => {
    try {
      file.setScalar(path, value);
      change(describe);
    } catch (e) {
      change(describe, e);
    }
  };
  const targetSelect = (id, label, path, current) =>
    h(
      'label',
      { class: 'field' },
      label,
      h(
        'select',
        { id, onchange: (e) => set(path, e.target.value, `${label} set to ${e.target.value}`) },
        (ids.includes(String(current)) ? ids : [String(current), ...ids]).map((s) => h('option', { value: s, selected: s === String(current) }, s)),
      ),
    );
  const durationField = (id, label, path, current) => {
    const err = h('span', { class: 'cell-error', id: `${id}-error`, role: 'status' });
    const input = h('input', { id, type: 'text', value: String(current), 'aria-describedby': `${id}-error`, spellcheck: 'false' });
    const check = () => {
      const ok = DURATION.test(input.value.trim());
      input.setAttribute('aria-invalid', ok ? 'false' : 'true');
      replace(err, ok ? '' : 'an ISO 8601 duration such as P2D, PT4H or P1DT12H');
    };
    input.addEventListener('input', check);
    input.addEventListener('change', () => set(path, input.value.trim(), `${label} set to ${input.value.trim()}`));
    return h('label', { class: 'field' }, label, input, err);
  };
  const conditionField = (id, label, path, current) => {
    const err = h('span', { class: 'cell-error', id: `${id}-error`, role: 'status' });
    const input = h('input', { id, type: 'text', value: String(current), class: 'feel', 'aria-describedby': `${id}-error`, spellcheck: 'false' });
    const check = () => {
      const p = checkFeel(input.value, { kind: 'expression', names })[0];
      input.setAttribute('aria-invalid', p ? 'true' : 'false');
      replace(err, p ? `column ${p.column}: ${p.message}` : '');
    };
    input.addEventListener('input', check);
    input.addEventListener('change', () => set(path, input.value, `${label} set to ${input.value}`));
    return h('label', { class: 'field' }, label, input, err);
  };

  const step = steps[selected];
  const base = ['steps', selected];
  const fields = [];
  if (typeof data.sla === 'string') fields.push(durationField('process-sla', 'Process SLA', ['sla'], data.sla));
  fields.push(h('h3', {}, `Step ${ids[selected]} (${kindOf(step)})`));
  if (step?.next !== undefined) fields.push(targetSelect('step-next', 'Next step', [...base, 'next'], step.next));
  if (Array.isArray(step?.route)) {
    step.route.forEach((branch, k) => {
      if (branch?.default !== undefined) {
        fields.push(targetSelect(`route-${k}-default`, `Otherwise go to`, [...base, 'route', k, 'default'], branch.default));
      } else {
        fields.push(
          h(
            'fieldset',
            { class: 'branch' },
            h('legend', {}, `Route ${k + 1}`),
            conditionField(`route-${k}-when`, 'When (FEEL)', [...base, 'route', k, 'when'], branch?.when ?? ''),
            targetSelect(`route-${k}-to`, 'Go to', [...base, 'route', k, 'to'], branch?.to),
          ),
        );
      }
    });
  }
  if (step?.task) {
    if (typeof step.task.sla === 'string') fields.push(durationField('task-sla', 'Task SLA', [...base, 'task', 'sla'], step.task.sla));
    else fields.push(h('p', { class: 'hint' }, 'This task has no SLA of its own.'));
  }
  if (step?.wait) {
    if (typeof step.wait.timeout === 'string') fields.push(durationField('wait-timeout', 'Wait timeout', [...base, 'wait', 'timeout'], step.wait.timeout));
    if (step.wait['on-timeout'] !== undefined) fields.push(targetSelect('wait-on-timeout', 'On timeout go to', [...base, 'wait', 'on-timeout'], step.wait['on-timeout']));
  }
  replace(editor, fields);
  replace(root, h('div', { class: 'process-view' }, picture, editor));
}
