// `npm run docs:config`: writes docs/configuration.md from the configuration schema
// (src/config/schema.ts); test/config-doc.test.ts fails while the file differs.
import { writeFileSync } from 'node:fs';
import { configurationDoc } from '../src/config/schema.js';

const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, configurationDoc());
process.stdout.write(`wrote ${target.pathname}\n`);
