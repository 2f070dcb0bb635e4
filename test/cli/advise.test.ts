// `tcp-keepalive advise`: the computation for any bound and idle timeout, and
// the printed TCP_KEEPALIVE= line read back by the register entry point.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advise } from '../../lib/cli/commands/advise/advise';
import { CliError } from '../../lib/cli/terminal/exit';
import { parseKeepaliveSpec } from '../../lib/environment';
import { capabilities } from '../../lib/index';
import { CLI, ROOT } from '../helpers/command';

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, 'advise', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('advise()', () => {
  it('30 s with the default idle timeout: idle 14 s, interval 3 s, count 4, within 30 s even with timers 12.5 % late', () => {
    const advice = advise({ detectWithinMs: 30_000, idleTimeoutMs: null, connections: 10_000, busy: false });
    expect(advice.options).toEqual({ idle: 14_000, interval: 3_000, count: 4 });
    expect(advice.nominalDetectionMs).toBe(26_000);
    expect(advice.detectionMs).toBe(29_250);
    expect(advice.idleTimeoutMs).toBe(240_000);
    // 10,000 connections, a probe and an ACK every 14 s each.
    expect(advice.traffic.packetsPerSecond).toBeCloseTo(1428.6, 1);
    expect(advice.environment).toBe('TCP_KEEPALIVE="idle=14s,interval=3s,count=4"');
    expect(advice.code).toBe('setDefaultKeepalive({ idle: 14_000, interval: 3_000, count: 4 });');
  });

  it('the first probe beats the idle timeout with the timer 12.5 % late: 150 s gives idle 133 s, not the 135 s a 0.9 margin gave', () => {
    const advice = advise({ detectWithinMs: 3_600_000, idleTimeoutMs: 150_000, connections: 1, busy: false });
    expect(advice.options.idle).toBe(133_000);
    expect(advice.firstProbeLatestMs).toBeLessThan(150_000);
  });

  it('for any bound and idle timeout: within the bound and the first probe before the mapping expires with timers 12.5 % late, within the kernel limits', () => {
    const limits = capabilities();
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 200_000 }).map((s) => s * 1000),
        fc.option(fc.integer({ min: 2, max: 100_000 }).map((s) => s * 1000)),
        fc.boolean(),
        (detectWithinMs, idleTimeoutMs, busy) => {
          const advice = advise({ detectWithinMs, idleTimeoutMs, connections: 1, busy });
          const { idle, interval, count, userTimeout } = advice.options;
          expect(advice.detectionMs).toBeLessThanOrEqual(detectWithinMs);
          expect(idle + interval * count).toBe(advice.nominalDetectionMs);
          expect(advice.detectionMs).toBe(Math.round(advice.nominalDetectionMs * 1.125));
          expect(idle * 1.125).toBeLessThan(idleTimeoutMs ?? 240_000);
          expect(idle % 1000 + interval % 1000).toBe(0);
          expect(idle).toBeGreaterThanOrEqual(limits.idle.min);
          expect(idle).toBeLessThanOrEqual(limits.idle.max);
          expect(interval).toBeGreaterThanOrEqual(limits.interval.min);
          expect(count).toBeGreaterThanOrEqual(1);
          expect(count).toBeLessThanOrEqual(4);
          if (detectWithinMs >= 5_625) expect(count).toBe(4);
          expect(userTimeout).toBe(busy ? advice.nominalDetectionMs : undefined);
          // The printed line reads back as the same options.
          expect(parseKeepaliveSpec(advice.environment.slice('TCP_KEEPALIVE="'.length, -1))).toEqual(advice.options);
        },
      ),
    );
  });

  it('refuses a bound the kernel cannot meet', () => {
    expect(() => advise({ detectWithinMs: 1_500, idleTimeoutMs: null, connections: 1, busy: false })).toThrow(CliError);
  });
});

describe('tcp-keepalive advise', () => {
  it('prints the values, the traffic, and a TCP_KEEPALIVE= line that the register entry point installs as is', () => {
    const result = cli(['--detect-within', '45s', '--idle-timeout', '350s', '--connections', '10000', '--busy']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Probe traffic at 10,000 idle connections');
    expect(result.stdout).toContain('350 s (5 min 50 s) idle timeout (given');
    const line = result.stdout.split('\n').find((l) => l.startsWith('TCP_KEEPALIVE='))!;
    expect(line).toBe('TCP_KEEPALIVE="idle=20s,interval=5s,count=4,userTimeout=40s"');
    const value = JSON.parse(line.slice('TCP_KEEPALIVE='.length)) as string;
    const registered = spawnSync(
      process.execPath,
      ['--require', 'tcp-keepalive/register', '-e', "process.stdout.write(JSON.stringify(require('tcp-keepalive').getDefaultKeepalive()))"],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', TCP_KEEPALIVE: value } },
    );
    expect(registered.status, registered.stderr).toBe(0);
    expect(JSON.parse(registered.stdout)).toEqual({ idle: 20_000, interval: 5_000, count: 4, userTimeout: 40_000 });
  });

  it('--json: one object; a missing or bad bound is a usage error', () => {
    const json = cli(['--detect-within', '2m', '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ event: 'advice', options: { idle: 54_000, interval: 13_000, count: 4 }, detectionMs: 119_250 });
    expect(cli([]).status).toBe(2);
    expect(cli(['--detect-within', 'soon']).stderr).toContain("invalid duration 'soon' for --detect-within");
    expect(cli(['--detect-within', '1s']).stderr).toContain('too short');
  });
});
