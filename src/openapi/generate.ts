// The OpenAPI document as committed under openapi/: what `npm run openapi` writes, and what the drift test in
// test/openapi.test.ts compares the committed file with. It builds the real app on an in-memory store and
// asks it for the served document, so that the committed file is exactly what a client gets. It is built in
// test mode, so that the document also describes the test-mode routes (docs/contract.md §8.6), which a
// server serves, and lists in the document it serves, only in test mode.
import { buildApp } from '../app.ts';
import { openSqliteStore } from '../store/sqlite/store.ts';
import { TestMode } from '../testing/mode.ts';
import { OPENAPI_PATH } from './routes.ts';

/** The served OpenAPI document, formatted as it is committed under openapi/. */
export async function generateOpenApi(): Promise<string> {
  const store = openSqliteStore({ path: ':memory:' });
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: ['windows', 'macos'],
      authFailureLimit: { limit: 60, windowSeconds: 60 },
    },
    store,
    testMode: new TestMode(),
  });
  try {
    const response = await app.inject({ url: OPENAPI_PATH });
    return `${JSON.stringify(response.json(), null, 2)}\n`;
  } finally {
    await app.close();
    await store.close();
  }
}
