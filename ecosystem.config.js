// `pm2 start ecosystem.config.js`, the seed README's production command. The package is "type": "module",
// so this file is ESM, and PM2 loads process files with require(): that works on the supported Node lines
// (22.12+ and 24), where require() loads synchronous ES modules and returns their exports. PM2 reads
// `apps` from what require() returns, hence the named export.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const config = require('./ecosystem.config.cjs');

export const apps = config.apps;
export default config;
