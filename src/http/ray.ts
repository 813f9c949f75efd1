// The `cf-ray` request id (CONTRACT.md §3): 16 hex digits and a location, also the log line's `ray`.
import { randomBytes } from 'node:crypto';

export const RAY_LOCATION = 'LCL';

export function newRayId(): string {
  return `${randomBytes(8).toString('hex')}-${RAY_LOCATION}`;
}
