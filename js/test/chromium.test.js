// The package in real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// every shared vector runs inside a page, bundle hashes are compared with the native CLI,
// the error objects are checked, and the example form is filled in and screenshotted.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { parseDocument } from 'yaml';

import { chromiumOptions, jsRoot, modelFiles, nativeBuild, repoRoot, serve, vectorFiles, vectorSources } from './helpers.js';

let server;
let browser;

before(async () => {
  server = await serve(jsRoot);
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A new page that fails the test on any page error or console error. */
async function open(path, problems) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${server.url}${path}`);
  return page;
}

test('shared vectors pass in Chromium, with the native bundle hashes', async (t) => {
  const files = vectorFiles();
  const problems = [];
  const page = await open('/test/browser.html', problems);
  await page.waitForFunction(() => window.vectorsReady === true);
  const results = await page.evaluate((f) => window.runVectors(f), files);
  await page.close();

  const failures = [...problems];
  let cases = 0;
  let processCases = 0;
  let compared = 0;
  for (const r of results) {
    cases += r.cases;
    if (r.path.split('/').includes('processes')) processCases += r.cases;
    failures.push(...r.failures);
    if (r.hash !== null) {
      // The page built the files in the vector's order, the CLI reads them sorted by path;
      // the bundle does not depend on the order.
      const file = files.find((f) => f.path === r.path);
      const native = nativeBuild({ files: vectorSources(file, parseDocument) });
      compared += 1;
      if (native?.hash !== r.hash) {
        failures.push(`${r.path}: bundle hash ${r.hash} in Chromium, ${native?.hash} natively`);
      }
    }
  }
  const line = `vectors (chromium): ${results.length} files, ${cases} cases (${processCases} process cases), ${compared} bundle hashes compared with native, ${failures.length} failures`;
  t.diagnostic(line);
  assert.equal(results.length, files.length);
  assert.deepEqual(failures, []);
  assert.ok(cases >= 150, `only ${cases} vector cases`);
  if (!process.env.CPM_VECTORS_DIR) assert.ok(processCases >= 40, `only ${processCases} process cases`);
});

test('errors in Chromium are Error objects with code, detail and path', async () => {
  const problems = [];
  const page = await open('/test/browser.html', problems);
  await page.waitForFunction(() => window.vectorsReady === true);
  const got = await page.evaluate((f) => window.errorFields(f), modelFiles(join(repoRoot, 'examples', 'customer')));
  await page.close();
  assert.deepEqual(problems, []);
  assert.equal(got.unknown.isError, true);
  assert.equal(got.unknown.name, 'CpmError');
  assert.equal(got.unknown.code, 'unknown-decision');
  assert.match(got.unknown.detail, /^unknown decision `Nope`/);
  assert.equal(got.unknown.path, null);
  assert.equal(got.inputType.code, 'input-type');
  assert.equal(got.inputType.path, 'Order Total');
  assert.equal(got.malformed.code, 'malformed-request');
  assert.equal(got.badBundle.code, 'bad-bundle');
});

test('shared decision vectors pass in Chromium with the decide entry, byte for byte as the whole engine', async (t) => {
  const problems = [];
  const page = await open('/test/browser.html', problems);
  await page.waitForFunction(() => window.vectorsReady === true);
  const results = await page.evaluate((f) => window.runDecideVectors(f), vectorFiles());
  await page.close();
  const failures = [...problems, ...results.flatMap((r) => r.failures)];
  const cases = results.reduce((n, r) => n + r.cases, 0);
  t.diagnostic(`vectors (chromium, decide entry): ${results.length} files, ${cases} cases, ${failures.length} failures`);
  assert.deepEqual(failures, []);
  assert.ok(cases >= 150, `only ${cases} vector cases`);
});

test('decide entry errors in Chromium are the documented CpmError objects, as the whole engine gives them', async () => {
  const problems = [];
  const page = await open('/test/browser.html', problems);
  await page.waitForFunction(() => window.vectorsReady === true);
  const got = await page.evaluate((f) => window.decideErrorFields(f), modelFiles(join(repoRoot, 'examples', 'customer')));
  await page.close();
  assert.deepEqual(problems, []);
  assert.deepEqual(got.lean, got.full);
  const { unknown, inputType, malformed, malformedJson, badBundle } = got.lean;
  assert.equal(unknown.isError, true);
  assert.equal(unknown.name, 'CpmError');
  assert.equal(unknown.code, 'unknown-decision');
  assert.match(unknown.detail, /^unknown decision `Nope`/);
  assert.equal(unknown.path, null);
  assert.equal(inputType.code, 'input-type');
  assert.equal(inputType.path, 'Order Total');
  assert.equal(malformed.code, 'malformed-request');
  assert.equal(malformedJson.code, 'malformed-request');
  assert.equal(badBundle.code, 'bad-bundle');
});

test('every limit gives a typed error just past it, and none just inside (Chromium)', async (t) => {
  const problems = [];
  const page = await open('/test/browser.html', problems);
  await page.waitForFunction(() => window.vectorsReady === true);
  const { results, failures } = await page.evaluate(() => window.runLimits());
  await page.close();
  for (const r of results) {
    console.log(`RELIABILITY js-limit=${r.limit} runner=chromium inside=${r.inside} past=${r.past} code=${r.code}`);
  }
  t.diagnostic(`limits (chromium): ${results.length} limits, ${failures.length} failures`);
  assert.deepEqual([...problems, ...failures], []);
  assert.ok(results.length >= 8, `only ${results.length} limits`);
});

test('the example customer form updates as the user types', async () => {
  const problems = [];
  const page = await open('/examples/customer.html', problems);
  await page.waitForSelector('body[data-ready="true"]');
  const shown = async () => ({
    discount: await page.textContent('#discount'),
    pay: await page.textContent('#pay'),
    reason: await page.textContent('#reason'),
    why: await page.textContent('#why'),
  });

  await page.selectOption('#tier', 'gold');
  await page.fill('#country', 'DE');
  await page.selectOption('#channel', 'online');
  await page.locator('#total').pressSequentially('620');
  assert.deepEqual(await shown(), {
    discount: '15%',
    pay: '€527.00',
    reason: 'Gold tier, order of 500 or more',
    why: 'rule 2 (gold-large) of the Discount table',
  });

  // Typing a letter: the engine's input-type error marks the field.
  await page.locator('#total').pressSequentially('x');
  assert.equal(await page.getAttribute('#total', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#result', 'data-state'), 'error');
  assert.equal(await page.textContent('#why'), 'error code: input-type');
  mkdirSync(join(jsRoot, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(jsRoot, 'test-artifacts', 'customer-form-error.png'), fullPage: true });

  await page.selectOption('#tier', 'silver');
  await page.fill('#total', '150');
  await page.fill('#country', 'es');
  assert.deepEqual(await shown(), {
    discount: '5%',
    pay: '€142.50',
    reason: 'Online promotion in the EU',
    why: 'rule 5 (eu-online) of the Discount table',
  });
  assert.equal(await page.getAttribute('#total', 'aria-invalid'), null);

  await page.screenshot({ path: join(jsRoot, 'test-artifacts', 'customer-form.png'), fullPage: true });
  await page.close();
  assert.deepEqual(problems, []);
});
