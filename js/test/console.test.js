// The business console (js/console) end to end in headless Chromium: it loads the active
// rules from an edge, a user edits a decision table cell, sees a recorded test case fail,
// fixes the rule, is refused without the admin token, publishes with it, and the edge then
// answers with the new rule. Plus keyboard navigation in the grid and a process edit.
// Screenshots go to js/test-artifacts/.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startEdge } from './edge-under-test.js';
import { chromiumOptions, jsRoot, modelFiles, repoRoot } from './helpers.js';

const consoleDir = join(jsRoot, 'console');
const artifacts = join(jsRoot, 'test-artifacts');
const TOKEN = 'test-admin-token-4f1c';

let edge;
let browser;

before(async () => {
  const vite = join(consoleDir, 'node_modules', '.bin', 'vite');
  if (!existsSync(vite)) throw new Error('the console is not installed: run `npm ci` in js/console');
  execFileSync(vite, ['build', '--logLevel', 'warn'], { cwd: consoleDir, stdio: 'inherit' });
  mkdirSync(artifacts, { recursive: true });
  edge = await startEdge({ files: modelFiles(join(repoRoot, 'examples', 'customer')), tokens: { alice: TOKEN }, staticDir: join(consoleDir, 'dist') });
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await edge?.close();
});

/** A 1366×768 page on the console that fails the test on page and console errors. */
async function openConsole(problems) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs every refused publish (401, 403, 422) the tests provoke.
    if (m.type() === 'error' && !/the server responded with a status of (401|403|422) /.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`${edge.url}/console/`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

async function decide(name, input) {
  const res = await fetch(`${edge.url}/v1/decisions/${encodeURIComponent(name)}?explain=false`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).output;
}

const cell = (row, col) => `#rule-grid input.cell[data-row="${row}"][data-col="${col}"]`;

/** Edits a grid cell with the keyboard: focus, Enter, replace the text, Enter. */
async function editCell(page, row, col, text) {
  await page.focus(cell(row, col));
  await page.keyboard.press('Enter');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

test('edit a rule, see a test fail, fix it, publish: refused without the token, then live on the edge', async () => {
  const partner = { 'Customer Tier': 'standard', 'Order Total': 80, Country: 'US', 'Sales Channel': 'partner portal' };
  assert.deepEqual(await decide('Discount', partner), { discount: 0, reason: 'No discount' });

  const problems = [];
  const page = await openConsole(problems);
  const activeHash = await page.getAttribute('#active-hash', 'title');
  assert.match(activeHash, /^[0-9a-f]{64}$/);
  assert.equal(await page.getAttribute('#tests', 'data-failed'), '0');

  await page.click('button.nav-item[data-type="decision"][data-name="Discount"]');
  await page.waitForSelector('#rule-grid');
  assert.equal(await page.locator('#rule-grid tbody tr').count(), 6);
  assert.equal(await page.inputValue('#hit-policy'), 'FIRST');
  // Rule 1 (staff), column 4 (Sales Channel).
  assert.equal(await page.inputValue(cell(0, 3)), '"staff portal"');

  // A syntax error shows in the cell as the user types, before anything is saved.
  await page.focus(cell(0, 3));
  await page.keyboard.press('Enter');
  await page.keyboard.type(', ');
  assert.equal(await page.getAttribute(cell(0, 3), 'aria-invalid'), 'true');
  assert.match(await page.textContent('#cell-error-0-3'), /^column \d+: /);
  await page.screenshot({ path: join(artifacts, 'console-cell-error.png') });
  await page.keyboard.press('Escape');
  assert.equal(await page.inputValue(cell(0, 3)), '"staff portal"');
  assert.equal(await page.getAttribute(cell(0, 3), 'aria-invalid'), 'false');

  // Break the rule: staff purchases are no longer recognised, a recorded case fails.
  await editCell(page, 0, 3, '"staff"');
  await page.waitForSelector('#tests[data-failed="1"]');
  assert.match(await page.textContent('#test-failures'), /customer-discount \/ staff purchases beat every tier rule/);
  assert.match(await page.textContent('#test-failures'), /expected \{"discount":0.3,"reason":"Staff purchase"\}/);
  assert.equal(await page.textContent('#compare-summary'), 'This case would change outcome:');
  assert.match(await page.textContent('#compare'), /Staff purchase.*Gold tier, order of 500 or more/s);
  await page.screenshot({ path: join(artifacts, 'console-test-failed.png') });

  // The edge refuses to publish it, listing every failed check.
  await page.fill('#token', TOKEN);
  await page.click('#publish');
  await page.waitForSelector('#publish-result[data-status="422"]');
  assert.match(await page.textContent('#publish-message'), /test cases and some failed: nothing was published/);
  const refused = await page.locator('#publish-errors li').allTextContents();
  assert.ok(
    refused.some((l) => l.startsWith('customer-discount / staff purchases beat every tier rule / Discount: expected {"discount":0.3,"reason":"Staff purchase"}')),
    refused.join('\n'),
  );
  assert.ok(refused.some((l) => l.includes('/ Discounted Total: expected 630, got 765')), refused.join('\n'));
  await page.screenshot({ path: join(artifacts, 'console-publish-tests-failed.png') });

  // Fix it with a new rule: partner portal orders get the staff discount too.
  await editCell(page, 0, 3, '"staff portal", "partner portal"');
  await page.waitForSelector('#tests[data-failed="0"]');
  assert.equal(await page.getAttribute('#build', 'data-state'), 'success');
  assert.match(await page.textContent('#compare-summary'), /^No recorded case changes outcome/);
  // Try it: the ad-hoc form shows the output and the matched rule, highlighted in the grid.
  await page.fill('#try-form [data-input="Customer Tier"]', 'standard');
  await page.fill('#try-form [data-input="Order Total"]', '80');
  await page.fill('#try-form [data-input="Country"]', 'US');
  await page.fill('#try-form [data-input="Sales Channel"]', 'partner portal');
  assert.equal(await page.textContent('#try-output'), '{"discount":0.3,"reason":"Staff purchase"}');
  assert.equal(await page.textContent('#try-why'), 'Matched: rule 1 (staff)');
  assert.equal(await page.getAttribute('#rule-grid tbody tr[data-rule="1"]', 'class'), 'fired');
  const editedHash = await page.getAttribute('#edited-hash', 'title');
  assert.notEqual(editedHash, activeHash);

  // Publishing without a token is refused, readably; nothing changes on the edge.
  await page.fill('#token', '');
  await page.click('#publish');
  await page.waitForSelector('#publish-result[data-state="error"]');
  assert.equal(await page.getAttribute('#publish-result', 'data-status'), '401');
  assert.match(await page.textContent('#publish-message'), /needs the admin token/);
  await page.screenshot({ path: join(artifacts, 'console-publish-refused.png') });
  assert.deepEqual(await decide('Discount', partner), { discount: 0, reason: 'No discount' });

  // A wrong token: 403.
  await page.fill('#token', 'not-the-token');
  await page.click('#publish');
  await page.waitForSelector('#publish-result[data-status="403"]');
  assert.match(await page.textContent('#publish-message'), /refused this admin token/);

  // With the token: published, active, and the edge answers with the new rule.
  await page.fill('#token', TOKEN);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cpm-console-admin-token')), TOKEN);
  await page.fill('#comment', 'partner portal gets the staff discount');
  await page.click('#publish');
  await page.waitForSelector('#publish-result[data-state="success"]');
  assert.match(await page.textContent('#publish-message'), /^Published: bundle [0-9a-f]{12}… is now active/);
  assert.equal(await page.getAttribute('#active-hash', 'title'), editedHash);
  assert.match(await page.textContent('#active'), /published by alice/);
  assert.equal(await page.textContent('#edited'), 'No edits.');
  await page.screenshot({ path: join(artifacts, 'console-published.png') });
  assert.deepEqual(await decide('Discount', partner), { discount: 0.3, reason: 'Staff purchase' });

  // The published source differs from the original in that one line only.
  const sources = await (await fetch(`${edge.url}/v1/bundle/sources`)).json();
  assert.equal(sources.bundleHash, editedHash);
  const original = modelFiles(join(repoRoot, 'examples', 'customer')).find((f) => f.path === 'discount.yaml').text.split('\n');
  const published = sources.files.find((f) => f.path === 'discount.yaml').text.split('\n');
  assert.equal(published.length, original.length);
  const changed = original.map((line, i) => [line, published[i]]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [
    [
      `        - { id: staff, when: ['-', '-', '-', '"staff portal"'], then: ['0.30', '"Staff purchase"'] }`,
      `        - { id: staff, when: ['-', '-', '-', '"staff portal", "partner portal"'], then: ['0.30', '"Staff purchase"'] }`,
    ],
  ]);
  await page.close();
  assert.deepEqual(problems, []);
});

test('the grid is keyboard navigable, labelled, and rules can be copied, moved and removed', async () => {
  const problems = [];
  const page = await openConsole(problems);
  await page.click('button.nav-item[data-type="decision"][data-name="Complaint Priority"]');
  await page.waitForSelector('#rule-grid');
  const focused = () => page.evaluate(() => [document.activeElement.dataset.row, document.activeElement.dataset.col, document.activeElement.readOnly]);

  assert.equal(await page.getAttribute(cell(1, 0), 'aria-label'), 'Rule 2 (safety), condition Contact Reason');
  assert.equal(await page.getAttribute(cell(0, 4), 'aria-label'), 'Rule 1 (legal), output priority');
  assert.equal(await page.locator('label[for="hit-policy"]').count(), 1);

  await page.focus(cell(0, 0));
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await focused(), ['0', '1', true]);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.deepEqual(await focused(), ['2', '1', true]);
  await page.keyboard.press('End');
  assert.deepEqual(await focused(), ['2', '4', true]);
  await page.keyboard.press('ArrowLeft');
  assert.deepEqual(await focused(), ['2', '3', true]);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowUp');
  assert.deepEqual(await focused(), ['1', '0', true]);
  // Enter edits; arrows then move the caret, not the focus; Escape cancels.
  await page.keyboard.press('Enter');
  assert.deepEqual(await focused(), ['1', '0', false]);
  await page.keyboard.type('x');
  await page.keyboard.press('ArrowDown');
  assert.deepEqual(await focused(), ['1', '0', false]);
  await page.keyboard.press('Escape');
  assert.deepEqual(await focused(), ['1', '0', true]);
  assert.equal(await page.inputValue(cell(1, 0)), '"safety"');
  // Typing starts an edit that replaces the cell; Enter saves and keeps the focus there.
  await page.keyboard.type('"fire"');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#edited-hash');
  assert.deepEqual(await focused(), ['1', '0', true]);
  assert.equal(await page.inputValue(cell(1, 0)), '"fire"');
  await page.screenshot({ path: join(artifacts, 'console-keyboard.png') });

  // Copy rule 2 below itself (a fresh id), move the copy up, remove it.
  await page.click('button[aria-label="Copy Rule 2 (safety) below it"]');
  await page.waitForSelector('#rule-grid tbody tr:nth-child(9)');
  assert.equal(await page.textContent('#rule-grid tbody tr[data-rule="3"] .rule-id'), 'safety-2');
  await page.click('button[aria-label="Move Rule 3 (safety-2) up"]');
  await page.waitForFunction(() => document.querySelector('#rule-grid tbody tr[data-rule="2"] .rule-id')?.textContent === 'safety-2');
  await page.click('button[aria-label="Remove Rule 2 (safety-2)"]');
  await page.waitForFunction(() => document.querySelectorAll('#rule-grid tbody tr').length === 8);
  assert.equal(await page.textContent('#rule-grid tbody tr[data-rule="2"] .rule-id'), 'safety');

  // The hit policy: the compiler's own check of PRIORITY → UNIQUE (overlapping rules).
  await page.selectOption('#hit-policy', 'UNIQUE');
  await page.waitForFunction(() => document.querySelector('#hit-policy')?.value === 'UNIQUE');
  assert.ok(['success', 'failure'].includes(await page.getAttribute('#build', 'data-state')));

  await page.click('#revert');
  await page.waitForFunction(() => document.querySelector('#edited')?.textContent === 'No edits.');
  assert.equal(await page.inputValue(cell(1, 0)), '"safety"');
  await page.close();
  assert.deepEqual(problems, []);
});

test('a process diagram shows steps and routes; a route and a task SLA can be changed', async () => {
  const problems = [];
  const page = await openConsole(problems);
  await page.click('button.nav-item[data-type="process"][data-name="complaint"]');
  await page.waitForSelector('svg.diagram');
  assert.equal(await page.locator('svg.diagram g.step').count(), 11);
  assert.ok((await page.locator('svg.diagram path.edge.route').count()) >= 2);
  assert.equal(await page.getAttribute('svg.diagram path.edge[data-from="refund-route"][data-to="refund-decision"]', 'class'), 'edge route');

  // The route step, by keyboard.
  await page.focus('g.step[data-step="refund-route"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#route-0-when');
  assert.equal(await page.inputValue('#route-0-when'), 'Refund Requested');
  await page.fill('#route-0-when', 'Refund Requested and');
  assert.equal(await page.getAttribute('#route-0-when', 'aria-invalid'), 'true');
  await page.fill('#route-0-when', 'Refund Requested = true');
  assert.equal(await page.getAttribute('#route-0-when', 'aria-invalid'), 'false');
  await page.press('#route-0-when', 'Tab');
  await page.waitForSelector('#edited-hash');
  assert.equal(await page.getAttribute('#build', 'data-state'), 'success');
  await page.selectOption('#route-0-to', 'resolve');
  await page.waitForSelector('svg.diagram path.edge[data-from="refund-route"][data-to="resolve"].route');
  // refund-decision is now unreachable: the build warns.
  assert.match(await page.textContent('#build'), /warning/);

  await page.focus('g.step[data-step="investigate"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#task-sla');
  await page.fill('#task-sla', 'P3D');
  await page.press('#task-sla', 'Tab');
  await page.waitForFunction(() => document.querySelector('g.step[data-step="investigate"]')?.getAttribute('aria-label').includes('SLA P3D'));
  assert.equal(await page.getAttribute('#build', 'data-state'), 'success');
  await page.screenshot({ path: join(artifacts, 'console-process.png') });
  await page.close();
  assert.deepEqual(problems, []);
});
