// Every limit of the package in Node, just inside and just past it: a typed `CpmError`
// (`err.code`, `err.path`) past each one, from the checks shared with Chromium
// (limits-runner.js). Prints `RELIABILITY js-limit=…` lines for scripts/reliability-report.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Engine, build, limits } from '@cpm/engine';

import { runLimits } from './limits-runner.js';

test('every limit gives a typed error just past it, and none just inside (Node)', async (t) => {
  const { results, failures } = await runLimits({ build, Engine, limits });
  for (const r of results) {
    console.log(`RELIABILITY js-limit=${r.limit} runner=node inside=${r.inside} past=${r.past} code=${r.code}`);
  }
  t.diagnostic(`limits (node): ${results.length} limits, ${failures.length} failures`);
  assert.deepEqual(failures, []);
  assert.ok(results.length >= 8, `only ${results.length} limits`);
});
