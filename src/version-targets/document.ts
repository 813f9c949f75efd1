// The account's whole document (docs/contract.md §8.4), written as JSON in pieces of about CHUNK_CHARS
// instead of one string: an account of 1,000,000 policies is ~150 MB of JSON, which must not be built
// in memory at once. The bytes are exactly what serializing the TargetsDocument schema would give.
import { Readable } from 'node:stream';
import type { AccountTargets } from './resolution.ts';

const CHUNK_CHARS = 64 * 1024;
const START = '{"success":true,"errors":[],"messages":[],"result":{"targets":[';
const END = ']}}';

/** The envelope with `result: {targets: [{policy_id, deployment_group_id, version_config}, …]}`. */
export function documentStream(targets: AccountTargets): Readable {
  return Readable.from(chunks(targets), { objectMode: false });
}

function* chunks(targets: AccountTargets): Generator<string> {
  let chunk = START;
  let first = true;
  for (const group of targets.groups) {
    if (group.count === 0) continue;
    // The part after the policy ID is the same for every policy of the group.
    const rest = `,"deployment_group_id":${JSON.stringify(group.id)},"version_config":${JSON.stringify(group.version_config)}}`;
    for (const policyId of targets.policies(group)) {
      chunk += `${first ? '' : ','}{"policy_id":${JSON.stringify(policyId)}${rest}`;
      first = false;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk + END;
}
