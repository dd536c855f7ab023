// The decide entry's time-zone data (its wasm has no tz database compiled in): `Engine.load`
// loads `pkg-decide/tzdata.bin` only for bundles that could meet a named zone, once; named
// zones then answer byte for byte as the whole engine (which has the database compiled in);
// a request that meets a named zone without the data fails with `zone-data-missing`, never
// with a different answer; bad or unreachable data is a clear `CpmError`.
// Its own file: node's test runner gives each file a fresh process, so the zone data starts
// not loaded here.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';

import * as full from '@cpm/engine';
import * as lean from '@cpm/engine/decide';
import { Engine as RawEngine, installZoneData } from '../pkg-decide/cpm_web_decide.js';

const tzdataUrl = new URL('../pkg-decide/tzdata.bin', import.meta.url);

async function bundle(inputs, expression) {
  const text = `model: zones\ninputs:\n${inputs}\ndecisions:\n  - name: D\n    expression: '${expression}'\n`;
  const built = await full.build([{ path: 'zones.yaml', text }]);
  assert.equal(built.type, 'success', JSON.stringify(built.errors));
  return built.bundle;
}

test('zone data: loaded only for bundles that can meet a named zone, once, with answers as the whole engine', async () => {
  let fetches = 0;
  lean.setDefaultZoneDataSource(async () => {
    fetches += 1;
    return readFile(tzdataUrl);
  });

  // No time types, no zoned literal, no time-reading built-in: nothing is fetched.
  const plain = await bundle('  - { name: d, type: date }', 'd + duration("P1D")');
  const plainEngine = await lean.Engine.load(plain);
  assert.deepEqual(plainEngine.decide('D', { d: '2024-02-28' }).output, '2024-02-29');
  assert.equal(fetches, 0);

  // Without the data, the raw wasm engine refuses rather than answering differently.
  const zoned = await bundle('  - { name: t, type: date and time }', 't + duration("PT1H")');
  await lean.init();
  const raw = RawEngine.load(zoned);
  assert.equal(raw.needsZoneData, true);
  const input = JSON.stringify({ t: '2024-03-31T01:30:00@Europe/Paris' });
  const missing = JSON.parse(raw.decideJson('D', input, { explain: false }));
  assert.equal(missing.type, 'failure');
  assert.equal(missing.errors[0].code, 'zone-data-missing');
  assert.match(missing.errors[0].message, /time zone `Europe\/Paris` is needed/);
  // A zone given as an offset needs no data, even in a bundle that could meet named ones.
  const offset = JSON.parse(raw.decideJson('D', JSON.stringify({ t: '2024-03-31T01:30:00+01:00' })));
  assert.equal(offset.output, '2024-03-31T02:30:00+01:00');

  // Data that cannot be had fails the load with a CpmError; a later load tries again.
  const sources = [
    [() => new URL('http://127.0.0.1:9/tzdata.bin'), 'zone-data-unavailable', /cannot fetch the time-zone data/],
    [() => new Uint8Array([1, 2, 3]), 'bad-zone-data', /not a cpm zone-data file/],
  ];
  for (const [source, code, pattern] of sources) {
    lean.setDefaultZoneDataSource(source);
    await assert.rejects(lean.Engine.load(zoned), (e) => e.name === 'CpmError' && e.code === code && pattern.test(e.detail));
  }
  lean.setDefaultZoneDataSource(async () => {
    fetches += 1;
    return readFile(tzdataUrl);
  });

  // Two loads at once fetch the data once; then zoned answers equal the whole engine's.
  const [a, b] = await Promise.all([lean.Engine.load(zoned), lean.Engine.load(zoned)]);
  assert.equal(fetches, 1);
  assert.equal(raw.needsZoneData, false);
  const reference = await full.Engine.load(zoned);
  for (const t of [
    '2024-03-31T01:30:00@Europe/Paris', // one hour later is after the spring-forward gap
    '2024-10-27T02:30:00@europe/paris', // in the autumn fold, spelled in lower case
    '2024-06-01T12:00:00@America/New_York',
    '2024-06-01T12:00:00@Asia/Kolkata',
  ]) {
    const text = JSON.stringify({ t });
    const expected = reference.decideJson('D', text);
    assert.equal(a.decideJson('D', text), expected, t);
    assert.equal(raw.decideJson('D', text), expected, t);
    assert.deepEqual(b.decide('D', { t }), reference.decide('D', { t }), t);
  }
  // An unknown zone is null on every target (the same as with the database compiled in).
  const unknown = JSON.stringify({ t: '2024-06-01T12:00:00@Europe/Nowhere' });
  assert.equal(a.decideJson('D', unknown), reference.decideJson('D', unknown));

  const info = await lean.loadZoneData();
  assert.match(info.version, /^\d{4}[a-z]$/);
  assert.ok(info.names > 500, `${info.names} zone names`);
  assert.equal(fetches, 1);
  for (const e of [a, b, raw, reference, plainEngine]) e.free();
});

test('zone data: the wasm checks every file it is given', async () => {
  await lean.init();
  const bytes = gunzipSync(await readFile(tzdataUrl));
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'CPMTZDB2');
  const damaged = Uint8Array.from(bytes);
  damaged[damaged.length - 1] ^= 1;
  for (const [data, pattern] of [
    [new Uint8Array([1, 2, 3]), /not a cpm zone-data file/],
    [damaged, /does not match its SHA-256 digest/],
    [bytes.subarray(0, 30), /truncated or damaged/],
  ]) {
    assert.throws(
      () => installZoneData(data),
      (e) => e.name === 'CpmError' && e.code === 'bad-zone-data' && pattern.test(e.detail),
    );
  }
  // Installed or not, a good file reads back the same.
  assert.deepEqual(installZoneData(bytes), await lean.loadZoneData());
});
