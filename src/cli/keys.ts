import { GRANT_OPTIONS, parseGrant, withTokens } from './credentials.ts';
import { describeGrant } from './tokens.ts';
import { parse, UsageError } from './usage.ts';

export async function keysCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'create') throw new UsageError('usage: ringmaster keys create --email <email> …');
  const { values } = parse(rest, { ...GRANT_OPTIONS, email: { type: 'string' } });
  const email = values.email;
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email))
    throw new UsageError('--email <email> is required');
  // Cloudflare's legacy Global API Key carries the user's full rights; default to write like it.
  const grant = parseGrant(values, 'write');
  const { credential, secret } = await withTokens((tokens) => tokens.createKey({ ...grant, email }));
  process.stderr.write(
    `Created API key ${credential.id} for ${credential.email} (${describeGrant(credential)}). The key follows; it is shown only once.\n`,
  );
  process.stdout.write(`${secret}\n`);
}
