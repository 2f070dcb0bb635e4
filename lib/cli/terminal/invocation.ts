// How this command was started, so that a hint can name a command line the
// user can type again where they are: `npm run demo` exists only in this
// package's own checkout, `npx tcp-keepalive` wherever it is installed or
// fetched, `tcp-keepalive` alone for a global install.
import path from 'node:path';

const PACKAGE = 'tcp-keepalive';

export interface Invocation {
  /** The environment npm gives what it runs (npm_lifecycle_event, npm_package_name). */
  readonly env: NodeJS.ProcessEnv;
  /** The script as started (process.argv[1]): a bin link keeps its own name. */
  readonly script: string;
  readonly cwd: string;
}

/** The command line that runs `tcp-keepalive <args>` again, started as this process was. */
export function commandLine(args: string, invocation: Invocation = { env: process.env, script: process.argv[1] ?? '', cwd: process.cwd() }): string {
  const { env, script, cwd } = invocation;
  // `npm run <script>` of this package itself: its own package.json names the script.
  if (env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== 'npx' && env.npm_package_name === PACKAGE && args === env.npm_lifecycle_event) {
    return `npm run ${args}`;
  }
  if (env.npm_lifecycle_event === 'npx') return `npx ${PACKAGE} ${args}`;
  const inNodeModules = script.split(path.sep).includes('node_modules');
  if (path.basename(script, '.cmd') === PACKAGE && !inNodeModules) return `${PACKAGE} ${args}`; // a global install's bin link on PATH
  if (inNodeModules) return `npx ${PACKAGE} ${args}`; // installed in a project (node_modules/.bin or the package itself)
  // A checkout run with node directly: the same script, from here.
  const relative = path.relative(cwd, script);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? script : relative;
  return `node ${shown} ${args}`;
}
