import { loadConfigWith } from '../config.ts';
import { serve as runServer } from '../server.ts';
import type { Parsed } from './commands.ts';
import { UsageError } from './usage.ts';

/** `serve`'s flags: --memory and --port for any server, --seed and --print-env in test mode only. */
export async function serve({ values }: Parsed): Promise<void> {
  const testMode = values['test-mode'] === true;
  if (!testMode && (values.seed !== undefined || values['print-env'])) {
    throw new UsageError('--seed and --print-env need --test-mode');
  }
  const config = loadConfigWith({
    ...(typeof values.port === 'string' ? { PORT: values.port } : {}),
    ...(values.memory === true ? { DATABASE_URL: 'sqlite::memory:' } : {}),
  });
  if (!testMode) return runServer(config);
  const { serveTestMode } = await import('../testing/serve.ts');
  await serveTestMode(config, {
    seed: typeof values.seed === 'string' ? values.seed : undefined,
    printEnv: values['print-env'] === true,
  });
}
