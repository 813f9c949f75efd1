import { loadConfig } from '../config.ts';
import { serve } from '../server.ts';
import { parse, UsageError } from './usage.ts';

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parse(args, {
    'test-mode': { type: 'boolean' },
    memory: { type: 'boolean' },
    port: { type: 'string' },
    seed: { type: 'string' },
    'print-env': { type: 'boolean' },
  });
  await serveWith(values);
}

export interface ServeFlags {
  'test-mode'?: boolean;
  memory?: boolean;
  port?: string;
  seed?: string;
  'print-env'?: boolean;
}

/** `serve`'s flags: --memory and --port for any server, --seed and --print-env in test mode only. */
export async function serveWith(values: ServeFlags): Promise<void> {
  const testMode = values['test-mode'] === true;
  if (!testMode && (values.seed !== undefined || values['print-env'])) {
    throw new UsageError('--seed and --print-env need --test-mode');
  }
  // The flags win over the environment, and go through the same checks (PORT's range, DATABASE_URL).
  const config = loadConfig({
    ...process.env,
    ...(values.port === undefined ? {} : { PORT: values.port }),
    ...(values.memory ? { DATABASE_URL: 'sqlite::memory:' } : {}),
  });
  if (!testMode) return serve(config);
  const { serveTestMode } = await import('../testing/serve.ts');
  await serveTestMode(config, { seed: values.seed, printEnv: values['print-env'] === true });
}
