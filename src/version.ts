// The version of this build, read once from package.json (the one place it is written): `ringmaster
// --version`, /healthz, the `listening` log line, the ringmaster_build_info metric and the OpenAPI document.
import { readFileSync } from 'node:fs';

// src/version.ts and dist/version.js both sit one directory below package.json.
export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
