import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './ports';

/** Debian's redis-server, installed by .ci/run. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server of the test's own, on a free loopback port, with persistence off. */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port (or `port`) and waits until it answers. */
  static async start(port?: number): Promise<RedisProcess> {
    if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: install Debian's redis-server (.ci/run does)`);
    const redis = new RedisProcess(port ?? await freePort());
    await redis.launch();
    return redis;
  }

  /** Starts it again on the same port (after kill()). */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** Kills it at once (SIGKILL): a crash, not a shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  private async launch(): Promise<void> {
    this.child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on ${this.port}`);
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => { resolve(d.toString().startsWith('+PONG')); socket.destroy(); });
    socket.once('error', () => resolve(false));
  });
}
