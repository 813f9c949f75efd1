import { loadConfig } from '../config.ts';
import { serve } from '../server.ts';
import { parse } from './usage.ts';

export async function serveCommand(args: string[]): Promise<void> {
  parse(args, {});
  await serve(loadConfig());
}
