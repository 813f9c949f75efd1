// `npm run openapi`: writes the OpenAPI document generated from the route schemas to openapi/openapi.json.
// test/openapi.test.ts fails when the committed file differs from what this produces.
import { writeFileSync } from 'node:fs';
import { generateOpenApi } from '../src/openapi/generate.ts';

const path = new URL('../openapi/openapi.json', import.meta.url);
writeFileSync(path, await generateOpenApi());
process.stderr.write(`wrote ${path.pathname}\n`);
