// Empties dist/ before a build: files of an older build (a source map, a module since deleted)
// would otherwise stay there and be packed with the new one.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
