// PostgreSQL for tests: RINGMASTER_TEST_POSTGRES_URL names a server (and a database to connect to
// first); every test run gets its own freshly created database on it, dropped afterwards, and a test
// that needs more isolation gets its own schema inside that database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.RINGMASTER_TEST_POSTGRES_URL || undefined;

/** Says on the test output why a PostgreSQL suite was skipped (and is silent when it runs). */
export function reportPostgresSkipped(suite: string): void {
  if (!POSTGRES_URL) console.log(`# ${suite} did not run: RINGMASTER_TEST_POSTGRES_URL is not set`);
}

export interface TestDatabase {
  name: string;
  /** Connection string for the new database (same server, user and options as the given URL). */
  url: string;
  /** A new, empty schema in this database; the URL selects it through search_path. */
  createSchema(): Promise<string>;
  /** Runs one statement on the database (for checks the Store interface does not offer). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(serverUrl = POSTGRES_URL): Promise<TestDatabase> {
  if (!serverUrl) throw new Error('RINGMASTER_TEST_POSTGRES_URL is not set');
  const name = `ringmaster_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(serverUrl, name);
  return {
    name,
    url,
    async createSchema() {
      const schema = `s_${randomBytes(6).toString('hex')}`;
      await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
      const schemaUrl = new URL(url);
      schemaUrl.searchParams.set('options', `-c search_path=${schema}`);
      return schemaUrl.toString();
    },
    async query(text, values) {
      return (await withClient(url, (client) => client.query(text, values))).rows;
    },
    async drop() {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` on a client of its own, connected to `url` and ended afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
