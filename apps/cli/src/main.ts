import {
  type Config,
  ConfigError,
  createLogger,
  loadConfigOrExit,
  loadProbeConfig,
  signupPolicy,
} from '@better-uptime/config';
import { type Command, isCommand } from './commands.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { runProbe } from './probe.js';
import { openAndMigrate, type Role, startRoles } from './roles.js';
import { stopOnSignals } from './signals.js';

const HELP = `Usage: better-uptime <command>

Commands:
  start      Run everything in one process: API and dashboard, producer, and one worker per region.
             Without DATABASE_URL it uses embedded PGlite under DATA_DIR (default ./data); without
             REDIS_URL an in-process queue. Regions default to one named "local".
  api        Run the REST API only (needs the database; pushes new monitors if REDIS_URL is set).
  producer   Run the scheduler only (needs DATABASE_URL and REDIS_URL).
  worker     Run one region's worker (needs REGION, DATABASE_URL and REDIS_URL).
  probe      Run a remote probe: its region's checks, sent over HTTPS to the instance (needs PROBE_SERVER
             and PROBE_TOKEN, from the instance's probes page; no database, no Redis, no inbound port).
  migrate    Apply database migrations and exit.
  help       Show this help.

Settings come from environment variables or a .env file; see README.md for the full table.
`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parseCommand(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (
    first === undefined ||
    first === '--help' ||
    first === '-h' ||
    rest.includes('--help') ||
    rest.includes('-h')
  ) {
    return 'help';
  }
  if (!isCommand(first)) fail(`Unknown command "${first}".\n\n${HELP}`);
  if (rest.length > 0)
    fail(`Unexpected argument "${rest[0]}": settings come from environment variables.\n\n${HELP}`);
  return first;
}

async function migrateOnly(config: Config): Promise<void> {
  const logger = createLogger('migrate', config.logLevel);
  const { handle, release } = await openAndMigrate(config, logger);
  logger.info({ database: handle.description }, 'migrations applied');
  try {
    await handle.close();
  } finally {
    release();
  }
}

/** Which roles a command runs, and from which regions; refuses combinations that cannot work. */
function plan(
  command: Exclude<Command, 'help' | 'migrate' | 'probe'>,
  config: Config,
): { roles: Role[]; config: Config; regions: string[] } {
  if (command === 'start') {
    // Every check really runs from this one machine, so unless told otherwise it is one region, "local".
    const regions = process.env.REGIONS?.trim() ? config.regions : ['local'];
    // One process, one owner: unless SIGNUP says otherwise, only the first account may sign up.
    const signup = signupPolicy(config, true);
    return { roles: ['api', 'producer', 'worker'], config: { ...config, regions, signup }, regions };
  }
  if (command !== 'api' && !config.redisUrl) {
    fail(
      `Configuration error: REDIS_URL is required for a separate ${command} (better-uptime start runs everything in one process without Redis)`,
    );
  }
  if (command === 'worker') {
    if (!config.region)
      fail(
        `Configuration error: REGION is required for a worker: one of ${config.regions.join(', ')} (e.g. REGION=usa npm run worker)`,
      );
    return { roles: ['worker'], config, regions: [config.region] };
  }
  return { roles: [command], config, regions: [] };
}

const SIGNUP_BANNER = {
  open: 'open (anyone who can reach the API can create an account; SIGNUP=first-user or closed to restrict)',
  'first-user': 'first-user (only the first account can be created; SIGNUP=open or closed to change)',
  closed: 'closed (no new accounts; SIGNUP=open or first-user to change)',
} as const;

const command = parseCommand(process.argv.slice(2));
if (command === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
try {
  if (command === 'probe') {
    // A probe has settings of its own: no database, no queue.
    runProbe(loadConfigOrExit(process.env, loadProbeConfig));
  } else if (command === 'migrate') {
    await migrateOnly(loadConfigOrExit());
  } else {
    const loaded = loadConfigOrExit();
    const { roles, config, regions } = plan(command, loaded);
    const logger = createLogger(command === 'start' ? 'better-uptime' : command, config.logLevel);
    const system = await startRoles(roles, config, logger, regions);
    if (command === 'start' && system.api) {
      process.stdout.write(
        `\nBetter Uptime is running.\n  Dashboard and API: ${system.api.address.replace('0.0.0.0', 'localhost')}\n` +
          `  API docs:          ${system.api.address.replace('0.0.0.0', 'localhost')}/docs\n` +
          `  Regions:           ${regions.join(', ')}\n` +
          `  Sign-up:           ${SIGNUP_BANNER[signupPolicy(config, true)]}\n  Press Ctrl-C to stop.\n\n`,
      );
    }
    stopOnSignals(logger, system.stop);
  }
} catch (error) {
  if (error instanceof DataDirInUseError) fail(error.message);
  if (error instanceof ConfigError) fail(`Configuration error: ${error.message}`);
  console.error(`Failed to start: ${(error as Error).message}`);
  process.exit(1);
}
