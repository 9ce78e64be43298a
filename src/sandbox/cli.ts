import { CLI_DEFAULTS, CLI_USAGE, CliUsageError, authInitUrl, parseCliArgs } from './cli-options';
import { EmulatorInputError } from './emulator.types';
import { startWebexEmulator } from './webex-emulator';

// The one place the sandbox reads the environment: this is a process entry point, and the
// emulator must not borrow the service's config module (see src/sandbox/index.ts).
async function main(): Promise<void> {
  const command = parseCliArgs(process.argv.slice(2), process.env);
  if (command.help) {
    process.stdout.write(CLI_USAGE);
    return;
  }
  const { options } = command;
  const emulator = await startWebexEmulator({
    ...options,
    log: (line) => process.stderr.write(`[webex-emulator] ${line}\n`),
  });
  const client = options.clients[0];
  const lines = [
    `Webex emulator (offline sandbox, not Webex) at ${emulator.origin}`,
    `Users: ${emulator.users.map((u) => `${u.handle} (${u.roomCount} rooms)`).join(', ')}`,
    `Configure the service with:`,
    `AUTH_INIT_URL=${authInitUrl(emulator.origin, options)}`,
    // The default secret is public anyway; a secret someone chose is not echoed.
    `CLIENT_SECRET=${client.clientSecret === CLI_DEFAULTS.clientSecret ? client.clientSecret : '<the --client-secret you gave>'}`,
    `WEBEX_API_BASE_URL=${emulator.apiBaseUrl}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`[webex-emulator] ${signal}: closing\n`);
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const known = error instanceof CliUsageError || error instanceof EmulatorInputError;
  const message = known ? (error as Error).message : `could not start: ${(error as Error)?.message ?? String(error)}`;
  process.stderr.write(`webex-emulator: ${message}\n${known ? 'Try --help.\n' : ''}`);
  process.exit(1);
});
