/**
 * The commands of the `better-uptime` CLI. A module of its own, free of side effects, so that the deploy
 * files (Docker Compose, PM2) can be checked against it without starting anything.
 */
export const COMMANDS = ['start', 'api', 'producer', 'worker', 'probe', 'migrate', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}
