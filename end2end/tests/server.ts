import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, Page } from '@playwright/test';

const root = path.resolve(__dirname, '..', '..');
const binary = process.env.STRONGROOM_BIN ?? path.join(root, 'target', 'release', 'strongroom');
const siteRoot = path.join(root, 'target', 'site');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The Owner every server starts with, unless it is `fresh` (see `ServerOptions`). */
export const OWNER_USERNAME = 'owner';
export const OWNER_PASSWORD = 'e2e-owner-password-7c1d';

export interface ServerOptions {
  /** Extra `strongroom serve` flags, e.g. `['--step-up-secs', '2']` (`restart` can change them). */
  args?: string[];
  /** Extra environment variables for the server process. */
  env?: Record<string, string>;
  /**
   * No Owner from STRONGROOM_ADMIN_USER / STRONGROOM_ADMIN_PASSWORD: the server starts with no
   * user and prints a one-time setup code in its log (see `setupCode`).
   */
  fresh?: boolean;
  /**
   * The log filter (`--log`), `info` unless told. Specs that check what the log never holds run
   * at `debug`: a value logged at debug level would not show at `info`.
   */
  logLevel?: string;
}

/** A real `strongroom serve` (the release build) with its own temporary data directory. */
export class StrongroomServer {
  private dir?: string;
  private process?: ChildProcess;
  private logFile?: WriteStream;
  private port = 0;
  private runs = 0;
  /** The extra `strongroom serve` flags of the next start: `options.args` until `restart`. */
  private args: string[];
  log = '';

  constructor(private readonly options: ServerOptions = {}) {
    this.args = options.args ?? [];
  }

  /**
   * The temporary data directory, made on first use: Playwright also loads spec files just to
   * list their tests, and servers that never start should leave nothing behind.
   */
  get dataDir(): string {
    this.dir ??= mkdtempSync(path.join(tmpdir(), 'strongroom-e2e-'));
    return this.dir;
  }

  /** Where the server's stdout and stderr go, across restarts. */
  get logPath(): string {
    return path.join(this.dataDir, 'server.log');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STRONGROOM_MASTER_KEY: '',
      STRONGROOM_LOG: this.options.logLevel ?? 'info',
    };
    // Nothing from the caller's environment may create (or half-create) a user.
    delete env.STRONGROOM_ADMIN_USER;
    delete env.STRONGROOM_ADMIN_PASSWORD;
    if (!this.options.fresh) {
      env.STRONGROOM_ADMIN_USER = OWNER_USERNAME;
      env.STRONGROOM_ADMIN_PASSWORD = OWNER_PASSWORD;
    }
    Object.assign(env, this.options.env);
    const child = spawn(
      binary,
      [
        'serve',
        '--listen',
        `127.0.0.1:${this.port}`,
        '--data-dir',
        path.join(this.dataDir, 'data'),
        '--site-root',
        siteRoot,
        ...this.args,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const logFile = createWriteStream(this.logPath, { flags: 'a' });
    this.logFile = logFile;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString();
        logFile.write(chunk);
      });
    }
    this.process = child;
    this.runs += 1;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`strongroom exited with ${child.exitCode}:\n${this.log}`);
      try {
        const response = await fetch(`${this.url}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`strongroom did not answer /healthz within 30 s:\n${this.log}`);
  }

  /**
   * Stops the server and starts it again on the same port and data directory (users, sessions
   * and secrets kept), with `args` as its extra flags from now on.
   */
  async restart(args: string[]): Promise<void> {
    await this.stop();
    this.args = args;
    await this.start();
  }

  /** SIGTERM, as a service manager stops it; resolves when the process has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      // 'close' comes after the last output, so all of it is in `log` and handed to the file.
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    this.process = undefined;
    const logFile = this.logFile;
    this.logFile = undefined;
    if (logFile) await new Promise<void>((resolve) => logFile.end(resolve));
  }

  /** `server.log` (every run of this server) without colours; complete once `stop` returned. */
  logFileText(): string {
    return stripAnsi(readFileSync(this.logPath, 'utf8'));
  }

  /**
   * Stops the server and returns its whole log (`server.log`, every run), once it is known to be
   * this server's complete log: each run's start line (with this port) and stop line are there,
   * and debug lines too when it ran at `debug`. A log read while the server runs can miss what
   * is not written yet, and an empty, cut or wrong file would hide a leak rather than show it.
   */
  async stoppedLog(): Promise<string> {
    await this.stop();
    const log = this.logFileText();
    const count = (text: string) => log.split(text).length - 1;
    expect(count(`serving the control panel at ${this.url} `), `start lines in ${this.logPath}`).toBe(this.runs);
    expect(count('Strongroom stopped'), `stop lines in ${this.logPath}`).toBe(this.runs);
    if (this.options.logLevel === 'debug') expect(log).toMatch(/^\S+ +DEBUG /m);
    return log;
  }

  /**
   * The one-time setup code a server with no user prints at start, read from `server.log` the
   * way an operator would (the latest one, should the server have restarted).
   */
  async setupCode(): Promise<string> {
    const pattern = /one-time setup code[^\n]*?: ([A-Z0-9]{5}(?:-[A-Z0-9]{5}){3})\s*$/gm;
    const deadline = Date.now() + 5_000;
    for (;;) {
      const codes = [...this.logFileText().matchAll(pattern)];
      if (codes.length > 0) return codes[codes.length - 1][1];
      // The file is written asynchronously: give it a moment.
      if (Date.now() > deadline) throw new Error(`no setup code in ${this.logPath}:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * `strongroom secret import APP` on this server's data directory (as an operator would, while
   * it runs): `count` secrets named key_000, key_001, ... with values value-0, value-1, ...
   */
  importSecrets(application: string, count: number): void {
    const lines = Array.from({ length: count }, (_, i) =>
      JSON.stringify({ name: `key_${String(i).padStart(3, '0')}`, value: `value-${i}` }),
    ).join('\n');
    const result = spawnSync(
      binary,
      ['secret', 'import', application, '--data-dir', path.join(this.dataDir, 'data')],
      { input: lines, encoding: 'utf8', env: { ...process.env, STRONGROOM_MASTER_KEY: '' } },
    );
    if (result.status !== 0) throw new Error(`secret import failed: ${result.stderr}`);
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/**
 * The pieces of `value` to look for in a log: the value as typed, JSON-escaped (how a JSON or
 * Debug print shows a multi-line value) and form-encoded (the body a browser posts); each line of
 * each; and every 8-character window of those lines, so a value cut short, wrapped or escaped
 * still shows. Windows of letters only are left out: one may be a plain word ("password") the
 * log holds for its own reasons.
 */
export function logFragments(value: string): string[] {
  const jsonEscaped = JSON.stringify(value).slice(1, -1);
  const formEncoded = new URLSearchParams({ v: value }).toString().slice('v='.length);
  const forms = [value, jsonEscaped, formEncoded];
  const fragments = new Set(forms);
  for (const line of forms.flatMap((form) => form.split('\n'))) {
    if (line.length >= 8) fragments.add(line);
    for (let i = 0; i + 8 <= line.length; i++) {
      const piece = line.slice(i, i + 8);
      if (!/^[A-Za-z]+$/.test(piece)) fragments.add(piece);
    }
  }
  return [...fragments];
}

/** Fails, showing where, if `log` holds any piece (see `logFragments`) of any of the `kept` values. */
export function expectNotInLog(log: string, kept: Record<string, string>): void {
  for (const [what, value] of Object.entries(kept)) {
    for (const fragment of logFragments(value)) {
      const at = log.indexOf(fragment);
      const around = at < 0 ? undefined : log.slice(Math.max(0, at - 120), at + fragment.length + 120);
      expect(around, `${what}: ${JSON.stringify(fragment)} is in the server log`).toBeUndefined();
    }
  }
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Waits until the wasm bundle has hydrated the page (the app sets this attribute). */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/**
 * Signs in through the sign-in page (as the default Owner unless told otherwise) and waits
 * until the page it reloads to (the Applications page) has hydrated.
 */
export async function signIn(
  page: Page,
  server: StrongroomServer,
  username = OWNER_USERNAME,
  password = OWNER_PASSWORD,
): Promise<void> {
  await page.goto(`${server.url}/sign-in`);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    // The sign-in page reloads to `next` when the server accepted the password.
    page.waitForURL((url) => url.pathname !== '/sign-in', { waitUntil: 'load' }),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await waitForHydration(page);
  await expect(page.getByTestId('current-user')).toHaveText(username.toLowerCase());
}
