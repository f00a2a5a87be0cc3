import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { VMIC_BIN } from '../helpers/cli.ts';

/** One `vmic serve` (or `vmic demo`) process, as an operator starts it, on a fixed port. */
export class Replica {
  private child: ChildProcess | undefined;
  private log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What it printed (stdout and stderr), for failure messages. */
  output(): string {
    return this.log.slice(-4000);
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts it and resolves once it listens (and, for the demo, once it says it is ready). */
  async start(ready = /vmic listening on /): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const dataArg = this.args.indexOf('--data');
    if (dataArg >= 0) fs.mkdirSync(this.args[dataArg + 1]!, { recursive: true });
    this.log = '';
    const child = spawn(process.execPath, [VMIC_BIN, ...this.args, '--port', String(this.port)], {
      env: {
        ...process.env,
        VMIC_DATA: '',
        VMIC_PUBLIC_URL: '',
        VMIC_LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const seen = (d: Buffer) => {
        this.log += d.toString();
        if (ready.test(this.log)) resolve();
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.once('exit', (code, signal) =>
        reject(
          new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.log}`),
        ),
      );
    });
  }

  /** SIGTERM: the clean stop of `systemctl stop`. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL: a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(sig);
    await exited;
  }
}
