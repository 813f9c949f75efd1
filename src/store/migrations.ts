// Numbered SQL migrations shared by both backends: migrations/<backend>/NNN_name.sql, same numbers.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(backend: 'sqlite' | 'postgres'): Migration[] {
  // Two levels up from src/store/ (or dist/store/) is the package root.
  const dir = fileURLToPath(new URL(`../../migrations/${backend}/`, import.meta.url));
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file, 10),
      name: file.replace(/\.sql$/, ''),
      sql: readFileSync(dir + file, 'utf8'),
    }));
}
