// The e2e tests' process harness: spawns `cordon serve` / `cordon simulate` children that print
// `listening on 127.0.0.1:PORT`, and stops them with SIGTERM. Shared by every *.test.mjs.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import readline from "node:readline";

const CORDON_BIN = process.env.CORDON_BIN;
// Start-up compiles the detector database: seconds under the sanitizers (make asan-test).
export const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
export const TEST_TIMEOUT_MS = 15_000;

export const REQUEST_ID = /^[0-9a-f]{32}$/;

// ---------------------------------------------------------------------------------------------
// Process harness
// ---------------------------------------------------------------------------------------------

/** A child process that has printed `listening on 127.0.0.1:PORT`. */
export class Child {
  constructor(label, proc) {
    this.label = label;
    this.proc = proc;
    this.stderr = "";
    this.exit = new Promise((resolve) => {
      proc.once("exit", (code, signal) => resolve({ code, signal }));
    });
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (text) => {
      // Keep the tail only: enough to explain a failure.
      this.stderr = (this.stderr + text).slice(-8192);
    });
  }

  /** SIGTERM, then wait for the exit; SIGKILL if it does not come. Returns {code, signal}. */
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return this.exit;
    }
    this.proc.kill("SIGTERM");
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
    });
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result === null) {
      this.proc.kill("SIGKILL");
      await this.exit;
      throw new Error(`${this.label} did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
    }
    return result;
  }
}

/** Spawns `cordon ARGS...` and resolves once it prints its `listening on` line. */
export async function startCordon(label, args) {
  if (!CORDON_BIN) {
    throw new Error("set CORDON_BIN to the cordon binary (tests/e2e/run.sh does)");
  }
  const proc = spawn(CORDON_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  const child = new Child(label, proc);
  const lines = readline.createInterface({ input: proc.stdout });
  let timer;
  try {
    child.port = await new Promise((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${label}: no "listening on" line within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      proc.once("error", reject);
      child.exit.then(({ code, signal }) =>
        reject(new Error(`${label} exited (code ${code}, signal ${signal}) before listening`)),
      );
      lines.on("line", (line) => {
        const match = /^listening on 127\.0\.0\.1:(\d+)\s*$/.exec(line);
        if (match) {
          resolve(Number(match[1]));
        }
      });
    });
  } catch (error) {
    proc.kill("SIGKILL");
    error.message += `\n${label} stderr:\n${child.stderr}`;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  proc.stdout.resume();
  return child;
}

export const sha256Hex = (text) => createHash("sha256").update(text).digest("hex");

/**
 * Stops `children` last-started first (the gateway holds connections to the simulators) and
 * returns one line per child that did not exit cleanly on SIGTERM.
 */
export async function stopAll(children) {
  const problems = [];
  for (const child of [...children].reverse()) {
    try {
      const { code, signal } = await child.stop();
      if (code !== 0) {
        problems.push(`${child.label} exited with code ${code} (signal ${signal}) on SIGTERM;` +
          ` stderr:\n${child.stderr}`);
      }
    } catch (error) {
      problems.push(`${error.message}; stderr:\n${child.stderr}`);
    }
  }
  return problems;
}
