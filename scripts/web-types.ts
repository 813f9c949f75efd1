// `npm run web-types`: writes the dashboard's wire types and limits (web/src/wire.ts), generated from the
// committed openapi/openapi.json (run `npm run openapi` first when a route schema changed).
// test/web-types.test.ts fails when the committed file differs from what this produces.
import { readFileSync, writeFileSync } from 'node:fs';
import { generateWebTypes } from '../src/web/wire-types.ts';

const document = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));
const path = new URL('../web/src/wire.ts', import.meta.url);
writeFileSync(path, generateWebTypes(document));
process.stderr.write(`wrote ${path.pathname}\n`);
