import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  channelSecretBox,
  ConfigError,
  createSecretBox,
  loadConfig,
  resolveSecretsKeys,
  SECRETS_KEY_FILE,
} from '../src/index.js';

const KEY = 'a-secrets-key-of-at-least-32-characters-0001';
const OLD_KEY = 'a-secrets-key-of-at-least-32-characters-0000';

describe('secret box', () => {
  it('seals with a fresh IV each time, opens what it sealed, and nothing tampered or foreign', () => {
    const box = createSecretBox(KEY);
    const a = box.seal('whsec_abc');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(box.seal('whsec_abc')).not.toBe(a);
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.isSealed(a)).toBe(true);
    expect(box.isSealed('https://hooks.slack.com/x')).toBe(false);
    const flipped = a.slice(0, -2) + (a.endsWith('A') ? 'B' : 'A') + a.slice(-1);
    expect(box.open(flipped)).toBeUndefined();
    expect(createSecretBox(OLD_KEY).open(a)).toBeUndefined();
    expect(box.open('v1.')).toBeUndefined();
    expect(box.open('plain text')).toBeUndefined();
  });

  it('keeps purposes apart: a channel box does not open a TOTP box’s values under the same secret', () => {
    expect(channelSecretBox([KEY]).open(createSecretBox(KEY).seal('seed'))).toBeUndefined();
  });

  it('seals with the first key and opens with every key, telling which values need sealing anew', () => {
    const old = channelSecretBox([OLD_KEY]).seal('token');
    const rotating = channelSecretBox([KEY, OLD_KEY]);
    expect(rotating.open(old)).toBe('token');
    expect(rotating.sealedWithCurrentKey(old)).toBe(false);
    const fresh = rotating.seal('token');
    expect(rotating.sealedWithCurrentKey(fresh)).toBe(true);
    expect(channelSecretBox([KEY]).open(fresh)).toBe('token');
  });
});

describe('SECRETS_KEY', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('is validated: at least 32 characters, and SECRETS_KEY_PREVIOUS only beside it', () => {
    expect(() => loadConfig({ SECRETS_KEY: 'short' })).toThrow(/SECRETS_KEY must be at least 32 characters/);
    expect(() => loadConfig({ SECRETS_KEY_PREVIOUS: OLD_KEY })).toThrow(/SECRETS_KEY is required/);
    expect(() => loadConfig({ SECRETS_KEY: KEY, SECRETS_KEY_PREVIOUS: 'x' })).toThrow(
      /SECRETS_KEY_PREVIOUS must be at least 32/,
    );
    const config = loadConfig({ SECRETS_KEY: KEY, SECRETS_KEY_PREVIOUS: OLD_KEY });
    expect([config.secretsKey, config.secretsKeyPrevious]).toEqual([KEY, OLD_KEY]);
  });

  it('comes from the environment (then the previous key), whatever the mode', async () => {
    const base = { dataDir: '/nonexistent', nodeEnv: 'production' as const };
    expect(
      await resolveSecretsKeys(
        { ...base, secretsKey: KEY, secretsKeyPrevious: OLD_KEY },
        { singleProcess: false },
      ),
    ).toEqual([KEY, OLD_KEY]);
  });

  it('is required for separate services in production, naming the variable', async () => {
    const error = await resolveSecretsKeys(
      {
        dataDir: '/nonexistent',
        nodeEnv: 'production',
        secretsKey: undefined,
        secretsKeyPrevious: undefined,
      },
      { singleProcess: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^SECRETS_KEY is required: .*api and producer/);
  });

  it('otherwise is made once, kept in <DATA_DIR>/secrets-key with mode 0600, and reused', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bu-secrets-'));
    dirs.push(dataDir);
    const config = { dataDir, secretsKey: undefined, secretsKeyPrevious: undefined };
    const [first] = await resolveSecretsKeys({ ...config, nodeEnv: 'production' }, { singleProcess: true });
    expect(first!.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, SECRETS_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    // Processes starting together agree on one key.
    const again = await Promise.all(
      [1, 2, 3].map(() =>
        resolveSecretsKeys({ ...config, nodeEnv: 'development' }, { singleProcess: false }),
      ),
    );
    expect(again.map((keys) => keys[0])).toEqual([first, first, first]);
  });

  it('refuses a kept key too short to be one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bu-secrets-'));
    dirs.push(dataDir);
    await writeFile(join(dataDir, SECRETS_KEY_FILE), 'short\n');
    await expect(
      resolveSecretsKeys(
        { dataDir, nodeEnv: 'development', secretsKey: undefined, secretsKeyPrevious: undefined },
        { singleProcess: true },
      ),
    ).rejects.toThrow(/shorter than 32 characters; delete the file/);
  });
});
