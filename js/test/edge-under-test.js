// The edge the console tests talk to. For now the Node fake of the admin API (fake-edge.js).

import { startFakeEdge } from './fake-edge.js';

/** Starts an edge serving `files` as its embedded sources and the console under /console/. */
export async function startEdge({ files, tokens, staticDir }) {
  return startFakeEdge({ files, tokens, staticDir });
}
