// Bytes a durable PATCH makes SQLite write (WAL frames and their checkpoints: this process's `wchar`), with
// its audit entry, on 100 groups with 64 requests in flight. Unlike requests/s it hardly depends on what
// else the machine does, so a change to the write path's indexes can be judged on a busy machine.
//   npx tsx bench/write-bytes.ts            (docs/performance.md, "Change control")
import { readFileSync } from 'node:fs';
import { createTestApp, groupsUrl, groupUrl, validGroup } from '../test/support/app.ts';

const GROUPS = 100;
const IN_FLIGHT = 64;
const t = await createTestApp();
const ids: string[] = [];
for (let i = 0; i < GROUPS; i++) {
  const body = validGroup({ name: `g${i}`, policy_ids: [`p${i}a`, `p${i}b`] });
  ids.push((await t.request({ method: 'POST', url: groupsUrl(), body })).json().result.id);
}
let names = 0;
async function patches(count: number): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < count) {
      const id = ids[next++ % GROUPS] as string;
      const answer = await t.request({ method: 'PATCH', url: groupUrl(id), body: { name: `n${names++}` } });
      if (answer.statusCode !== 200) throw new Error(answer.body);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
}
const written = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
await patches(20_000); // a history deep enough that every index is many pages
const before = written();
await patches(10_000);
console.log(`${Math.round((written() - before) / 10_000)} bytes written per durable PATCH`);
await t.close();
