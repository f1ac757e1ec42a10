import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
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

/** A real `strongroom serve` (the release build) with its own temporary data directory. */
export class StrongroomServer {
  readonly dataDir = mkdtempSync(path.join(tmpdir(), 'strongroom-e2e-'));
  private process?: ChildProcess;
  private port = 0;
  log = '';

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const child = spawn(
      binary,
      ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', path.join(this.dataDir, 'data'), '--site-root', siteRoot],
      { env: { ...process.env, STRONGROOM_MASTER_KEY: '', STRONGROOM_LOG: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const logFile = createWriteStream(path.join(this.dataDir, 'server.log'), { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString();
        logFile.write(chunk);
      });
    }
    this.process = child;
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

  /** SIGTERM, as a service manager stops it; resolves when the process has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.process = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Waits until the wasm bundle has hydrated the page (the app sets this attribute). */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}
