/**
 * Issue 11 item 6: the token file and the state file are written without following symbolic links, mode 0600, and
 * `~/.hero-supervisor` is kept at 0700. Real files in a scratch directory; the "victim" is a file a link points at.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAdminToken } from '../../src/daemon/admin-token.js';
import { ConfigError } from '../../src/errors.js';
import { ensurePrivateDir, privateDir, writePrivateFileSync } from '../../src/fs/private-file.js';
import { writeStateFile } from '../../src/process/embedded/state-file.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('private files: token and state', () => {
  let dir: string;
  let victim: string;
  const home = process.env.HOME;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hero-private-'));
    victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n', { mode: 0o644 });
  });
  afterEach(async () => {
    process.env.HOME = home;
    await rm(dir, { recursive: true, force: true });
  });

  const admin = (tokenFile: string) => ({
    enabled: true,
    host: '127.0.0.1',
    port: 7171,
    tokenEnv: 'HERO_ADMIN_TOKEN',
    tokenFile,
  });

  it('refuses an admin.tokenFile that is a symbolic link, and leaves the file it points at untouched', async () => {
    const tokenFile = join(dir, 'admin.token');
    symlinkSync(victim, tokenFile);

    const refused = resolveAdminToken(admin(tokenFile));

    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(`Refusing to write ${tokenFile}: it is a symbolic link.`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(mode(victim)).toBe(0o644);
  });

  it('writes a generated token 0600, replacing a wider file, leaving no temporary file behind', async () => {
    const tokenFile = join(dir, 'tokens', 'admin.token');
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(tokenFile, 'old\n', { mode: 0o666 });
    chmodSync(tokenFile, 0o666);

    const { token, writtenTo } = await resolveAdminToken(admin(tokenFile));

    expect(writtenTo).toBe(tokenFile);
    expect(readFileSync(tokenFile, 'utf8')).toBe(`${token}\n`);
    expect(mode(tokenFile)).toBe(0o600);
    expect(readdirSync(join(dir, 'tokens'))).toEqual(['admin.token']);
  });

  it('writes the state file 0600 and never through a link: a state path that is a link is refused, its target kept', () => {
    const stateFile = join(dir, 'state', 'children.json');
    writeStateFile(stateFile, []);
    expect(mode(stateFile)).toBe(0o600);
    expect(mode(join(dir, 'state'))).toBe(0o700);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ supervisorPid: process.pid, children: [] });

    const linked = join(dir, 'linked.json');
    symlinkSync(victim, linked);
    expect(() => writeStateFile(linked, [])).toThrow(`Refusing to write ${linked}: it is a symbolic link.`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('does not follow a link planted at the old predictable temporary name', () => {
    const target = join(dir, 'children.json');
    // What an attacker could plant when the temporary name was `.<file>.<pid>.tmp`.
    symlinkSync(victim, join(dir, `.children.json.${process.pid}.tmp`));

    writePrivateFileSync(target, '{"children":[]}', 'stateFile');

    expect(readFileSync(target, 'utf8')).toBe('{"children":[]}');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('keeps ~/.hero-supervisor at 0700: created so, and tightened when an older version left it wider', () => {
    process.env.HOME = join(dir, 'home');
    ensurePrivateDir(privateDir());
    expect(privateDir()).toBe(join(dir, 'home', '.hero-supervisor'));
    expect(mode(privateDir())).toBe(0o700);

    chmodSync(privateDir(), 0o755);
    ensurePrivateDir(privateDir());
    expect(mode(privateDir())).toBe(0o700);

    // A directory the operator chose (it may be shared, like /tmp) is created 0700 but never chmodded.
    const chosen = join(dir, 'shared');
    mkdirSync(chosen, { mode: 0o755 });
    chmodSync(chosen, 0o755);
    ensurePrivateDir(chosen);
    expect(mode(chosen)).toBe(0o755);
  });
});
