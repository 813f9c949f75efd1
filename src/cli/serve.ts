import { loadConfig } from '../config.ts';
import { serve as runServer } from '../server.ts';

export async function serve(): Promise<void> {
  await runServer(loadConfig());
}
