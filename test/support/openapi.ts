import { buildApp } from '../../src/app.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';

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
  });
  try {
    const response = await app.inject({ url: '/client/v4/openapi.json' });
    return `${JSON.stringify(response.json(), null, 2)}\n`;
  } finally {
    await app.close();
    await store.close();
  }
}
