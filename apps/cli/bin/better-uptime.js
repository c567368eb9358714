#!/usr/bin/env node
// The `better-uptime` command. Runs the built bundle when there is a current one (npm run build), else
// the TypeScript sources through tsx's loader, in this same process (so signals reach the program itself).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chooseBuild } from './choose-build.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const choice = chooseBuild(root);
if (choice.build === 'bundle') {
  await import(pathToFileURL(choice.path).href);
} else {
  if (choice.staleBundle) {
    console.error(
      'better-uptime: dist/ is older than the sources, running the sources (npm run build refreshes it)',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
