import type { Parsed } from './commands.ts';
import { type GrantValues, parseGrant, withTokens } from './credentials.ts';
import { describeGrant } from './tokens.ts';
import { UsageError } from './usage.ts';

// Deliberately loose (one @, something either side): the email is compared, never mailed.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export async function create({ values }: Parsed): Promise<void> {
  const email = values.email as string | undefined;
  if (email === undefined) throw new UsageError('--email <email> is required');
  if (!EMAIL.test(email)) throw new UsageError(`--email: ${JSON.stringify(email)} is not a valid email`);
  // Cloudflare's legacy Global API Key carries the user's full rights; default to write like it.
  const grant = parseGrant(values as GrantValues, 'write');
  const { credential, secret } = await withTokens((tokens) => tokens.createKey({ ...grant, email }));
  process.stderr.write(
    `Created API key ${credential.id} for ${credential.email} (${describeGrant(credential)}). The key follows; it is shown only once.\n`,
  );
  process.stdout.write(`${secret}\n`);
}
