// The error objects of the decision operations, read field by field so that Node and
// Chromium (test/browser.html) check the decide entry and the whole engine alike. No Node
// APIs here.

/** The calls that fail, each with an engine of the example rules. */
export const decideErrorCalls = {
  unknown: (engine) => engine.decide('Nope', {}),
  inputType: (engine) => engine.decide('Discount', { 'Order Total': 'a lot' }),
  malformed: (engine) => engine.decide('Discount', { 'Order Total': Number.NaN }),
  malformedJson: (engine) => engine.decideJson('Discount', '{"Order Total": 1,'),
};

/**
 * The fields of each failure of `decideErrorCalls` (thrown `CpmError` or, for `decideJson`,
 * the failure answer's first error) and of loading bytes that are not a bundle.
 */
export async function errorFields(Engine, bundle) {
  const engine = await Engine.load(bundle);
  const out = {};
  try {
    for (const [key, call] of Object.entries(decideErrorCalls)) {
      try {
        const answer = call(engine);
        const parsed = typeof answer === 'string' ? JSON.parse(answer) : answer;
        out[key] = { type: parsed.type, ...parsed.errors?.[0] };
      } catch (e) {
        out[key] = fieldsOf(e);
      }
    }
  } finally {
    engine.free();
  }
  out.badBundle = await Engine.load(new Uint8Array([1, 2, 3])).then(() => null, fieldsOf);
  return out;
}

function fieldsOf(e) {
  return {
    isError: e instanceof Error,
    name: e.name,
    message: e.message,
    code: e.code,
    detail: e.detail,
    path: e.path ?? null,
    errors: e.errors?.map((x) => x.code) ?? null,
  };
}
