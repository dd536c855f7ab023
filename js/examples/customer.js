// The customer form: every keystroke asks the engine for `Discounted Total` (which requires
// `Discount`) and shows the answer with the rule that produced it.
//
// In an application, import from '@cpm/engine' instead of '../index.js'.
import { Engine } from '../index.js';

const $ = (id) => document.getElementById(id);
const form = $('order');
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

const bytes = await (await fetch(new URL('customer.cpm', import.meta.url))).arrayBuffer();
const engine = await Engine.load(bytes);
$('bundle').textContent = `rules bundle ${engine.bundleHash.slice(0, 12)} · evaluated in your browser`;

// JSON text for the form, the order total written exactly as typed (so 0.1 stays 0.1).
function inputJson() {
  const parts = [];
  for (const field of form.elements) {
    if (!field.name) continue;
    const text = field.value.trim();
    let json;
    if (field.name === 'Order Total') {
      json = text === '' ? 'null' : NUMBER.test(text) ? text : JSON.stringify(text);
    } else {
      json = text === '' ? 'null' : JSON.stringify(field.name === 'Country' ? text.toUpperCase() : text);
    }
    parts.push(`${JSON.stringify(field.name)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}

const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 2 });
const money = new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' });

function update() {
  const answer = JSON.parse(engine.decideJson('Discounted Total', inputJson()));
  const result = $('result');
  const total = $('total');
  total.removeAttribute('aria-invalid');
  $('total-error').textContent = '';
  if (answer.type === 'failure') {
    const [error] = answer.errors;
    result.dataset.state = 'error';
    $('discount').textContent = '–';
    $('pay').textContent = '–';
    $('reason').textContent = error.path === 'Order Total' ? 'Please enter the order total as a number.' : error.message;
    $('why').textContent = `error code: ${error.code}`;
    if (error.path === 'Order Total') {
      total.setAttribute('aria-invalid', 'true');
      $('total-error').textContent = 'Enter a number, e.g. 149.90';
    }
    return;
  }
  const discount = answer.explanation.decisions.find((d) => d.decision === 'Discount');
  const rule = discount.fired[0];
  result.dataset.state = 'ok';
  $('discount').textContent = percent.format(discount.output.discount);
  $('pay').textContent = answer.output === null ? '–' : money.format(answer.output);
  $('reason').textContent = discount.output.reason;
  $('why').textContent = rule ? `rule ${rule.index} (${rule.id}) of the Discount table` : 'no rule applies: the default';
}

form.addEventListener('input', update);
form.addEventListener('change', update);
update();
document.body.dataset.ready = 'true';
