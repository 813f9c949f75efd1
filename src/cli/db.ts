import { loadConfig, redactUrl } from '../config.ts';
import { openStore } from '../store/open.ts';
import { UsageError } from './usage.ts';

/** `ringmaster db migrate`: opening a store applies every pending migration. */
export async function dbCommand(args: string[]): Promise<void> {
  if (args.length !== 1 || args[0] !== 'migrate') throw new UsageError('usage: ringmaster db migrate');
  const { database } = loadConfig();
  const store = await openStore(database);
  await store.close();
  const where = database.kind === 'sqlite' ? database.path : redactUrl(database.url);
  process.stderr.write(`Database ${where} (${database.kind}) is up to date.\n`);
}
