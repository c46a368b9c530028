#!/usr/bin/env node
// `portcullis`: the administration command. It reads the same configuration as the server
// (DATABASE_URL, DATA_DIR, SECRET_KEY, ...) and works while the server runs, in both deployments
// (src/admin/cli/cli-runner.ts decides where an operation runs).
//
//   exit 0  done            exit 1  refused or failed (message on stderr)
//   exit 2  usage error (unknown command or flag, missing argument)
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseConfig } from './config.ts';
import { AppError } from './http/app-error.ts';
import { COMMANDS, flagForField, type CommandSpec, type FlagValues } from './admin/cli/commands.ts';
import { processOutput, type Output } from './admin/operation/cli-output.ts';
import { CliError, runCommand } from './admin/cli/cli-runner.ts';

class UsageError extends Error {
  readonly help: string | undefined;
  constructor(message: string, help?: string) {
    super(message);
    this.name = 'UsageError';
    this.help = help;
  }
}

const GROUPS = [...new Set(COMMANDS.map((spec) => spec.command.split(' ')[0]!))];

const COMMON_FLAGS = [
  ['--json', 'print the result as JSON on standard output'],
  ['-h, --help', 'show this help'],
] as const;

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((spec) => usageLine(spec).length));
  return [
    'Usage: portcullis <command> [options]',
    '',
    'Administers Portcullis: clients, resource servers (APIs) and their scopes, users, signing keys,',
    'and reads the audit trail.',
    "It reads the server's configuration (DATABASE_URL, DATA_DIR, SECRET_KEY, ...). With the embedded",
    'database a running server executes the command through its control socket; with none running, the',
    'command opens DATA_DIR itself. Changes take effect in running servers at once.',
    '',
    'Commands:',
    ...COMMANDS.map((spec) => `  ${usageLine(spec).padEnd(width)}  ${spec.summary}`),
    '',
    'Every command accepts --json and --help. "portcullis <command> --help" lists its options.',
  ].join('\n');
}

function usageLine(spec: CommandSpec): string {
  return spec.target ? `${spec.command} <${spec.target.placeholder}>` : spec.command;
}

function commandHelp(spec: CommandSpec): string {
  const flags: (readonly [string, string])[] = [
    ...Object.entries(spec.flags).map(
      ([name, flag]) => [`--${name}${flag.type === 'string' ? ` <${flag.value ?? 'value'}>` : ''}`, flag.help] as const,
    ),
    ...COMMON_FLAGS,
  ];
  const width = Math.max(...flags.map(([left]) => left.length));
  return [
    `Usage: portcullis ${usageLine(spec)} [options]`,
    '',
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    'Options:',
    ...flags.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`),
    ...(spec.examples ? ['', 'Examples:', ...spec.examples.map((example) => `  ${example}`)] : []),
  ].join('\n');
}

const seeHelp = (spec: CommandSpec) => `Run "portcullis ${spec.command} --help" for its options.`;

function groupHelp(group: string): string {
  const specs = COMMANDS.filter((spec) => spec.command.startsWith(`${group} `));
  const width = Math.max(...specs.map((spec) => usageLine(spec).length));
  return [
    `Usage: portcullis ${group} <${specs.map((spec) => spec.command.split(' ')[1]).join('|')}> [options]`,
    '',
    ...specs.map((spec) => `  ${usageLine(spec).padEnd(width)}  ${spec.summary}`),
  ].join('\n');
}

function helpFor(topic: string[]): string | undefined {
  if (topic.length === 0) return generalHelp();
  const spec = COMMANDS.find((candidate) => candidate.command === topic.join(' '));
  if (spec) return commandHelp(spec);
  if (topic.length === 1 && GROUPS.includes(topic[0]!)) return groupHelp(topic[0]!);
  return undefined;
}

/** Finds the command named by the first arguments; returns it with the remaining arguments. */
function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } {
  const [first, second] = argv;
  const single = COMMANDS.find((spec) => spec.command === first);
  if (single) return { spec: single, rest: argv.slice(1) };
  if (!first || !GROUPS.includes(first)) throw new UsageError(`unknown command "${first ?? ''}"`, generalHelp());
  const spec = COMMANDS.find((candidate) => candidate.command === `${first} ${second}`);
  if (!spec) {
    throw new UsageError(
      second === undefined || second.startsWith('-') ? `${first}: which command?` : `unknown command "${first} ${second}"`,
      groupHelp(first),
    );
  }
  return { spec, rest: argv.slice(2) };
}

interface Parsed {
  values: FlagValues;
  target: string | undefined;
  json: boolean;
  help: boolean;
}

/**
 * `--session -WLA…` -> `--session=-WLA…`: ids are base64url and may start with a dash, which
 * parseArgs would take for an option. A string flag takes the next argument as its value unless
 * that is one of the command's own options (then the value is missing, and parseArgs says so).
 */
export function joinDashValues(spec: CommandSpec, args: readonly string[]): string[] {
  const own = new Set(['--json', '--help', '-h', ...Object.keys(spec.flags).map((name) => `--${name}`)]);
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = args[index + 1];
    const flag = arg.startsWith('--') ? spec.flags[arg.slice(2)] : undefined;
    if (flag?.type === 'string' && next !== undefined && next.startsWith('-') && !own.has(next.split('=')[0]!)) {
      joined.push(`${arg}=${next}`);
      index++;
    } else joined.push(arg);
  }
  return joined;
}

function parseFlags(spec: CommandSpec, args: string[]): Parsed {
  const options: NonNullable<ParseArgsConfig['options']> = {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinDashValues(spec, args), options, strict: true, allowPositionals: true });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : (error as Error).message, seeHelp(spec));
  }
  const values = parsed.values as FlagValues;
  const help = values.help === true;
  const json = values.json === true;
  if (help) return { values, target: undefined, json, help };

  const positionals = parsed.positionals;
  if (!spec.target) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, seeHelp(spec));
    return { values, target: undefined, json, help };
  }
  const { placeholder, field } = spec.target;
  const viaFlags = Object.entries(spec.flags).filter(([name, flag]) => flag.field === field && values[name] !== undefined);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, seeHelp(spec));
  if (positionals.length + viaFlags.length === 0) throw new UsageError(`missing <${placeholder}>`, seeHelp(spec));
  if (positionals.length + viaFlags.length > 1) throw new UsageError(`give <${placeholder}> once`, seeHelp(spec));
  return { values, target: positionals[0], json, help };
}

/** Replaces the input field that starts each refusal (`redirectUris: ...`) with the flag the user typed. */
export function describeRefusal(spec: CommandSpec, message: string): string {
  return message
    .split('; ')
    .map((part) =>
      part.replace(/^([A-Za-z]+)((?:\[\d+\])?(?:\.[A-Za-z]+)?)?:/, (whole, field: string) => {
        const flag = flagForField(spec, field);
        return flag ? `${flag}:` : whole;
      }),
    )
    .join('; ');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || (char === '\u0004' && value === '')) {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          process.exit(130);
        }
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    process.stderr.write(prompt);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The password for `users create`: all of standard input (one trailing newline dropped), or a prompt. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return (await readStdin()).replace(/\r?\n$/, '');
  const password = await promptHidden('Password: ');
  const again = await promptHidden('Repeat the password: ');
  if (password !== again) throw new CliError('the passwords do not match');
  return password;
}

/**
 * Runs a long command (paging, following) with an AbortSignal that Ctrl-C aborts. A command that
 * does not stop within two seconds (or on a second Ctrl-C) ends with status 130.
 */
async function untilInterrupted(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  let force: (code: number) => void = () => {};
  const forced = new Promise<number>((resolve) => (force = resolve));
  const onSigint = () => {
    if (controller.signal.aborted) {
      force(130);
      return;
    }
    controller.abort();
    setTimeout(() => force(130), 2_000).unref();
  };
  process.on('SIGINT', onSigint);
  try {
    return await Promise.race([run(controller.signal), forced]);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function main(argv: string[], env: Record<string, string | undefined>, output: Output): Promise<number> {
  let spec: CommandSpec | undefined;
  try {
    if (argv.length === 0) throw new UsageError('no command given', generalHelp());
    if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
      const help = helpFor(argv.slice(1));
      if (!help) throw new UsageError(`unknown command "${argv.slice(1).join(' ')}"`, generalHelp());
      output.out(help);
      return 0;
    }
    const found = findCommand(argv);
    spec = found.spec;
    const parsed = parseFlags(spec, found.rest);
    if (parsed.help) {
      output.out(commandHelp(spec));
      return 0;
    }

    const configResult = parseConfig(env);
    if (!configResult.ok) {
      for (const problem of configResult.problems) output.err(`configuration error: ${problem}`);
      return 1;
    }
    const input = await spec.input(parsed.values, parsed.target, { readPassword });
    if (spec.run) {
      const { config } = configResult;
      const operation = spec.operation;
      const run = spec.run.bind(spec);
      return await untilInterrupted((signal) =>
        run({ input, flags: parsed.values, json: parsed.json, output, signal, call: (next) => runCommand(config, operation, next) }),
      );
    }
    const result = await runCommand(configResult.config, spec.operation, input);
    if (parsed.json) {
      output.out(JSON.stringify(result, null, 2));
      if (spec.operation === 'clients.create' && (result as { clientSecret?: unknown }).clientSecret) {
        output.err('Store the client secret now: it is shown only this once and cannot be retrieved later.');
      }
    } else {
      spec.print(result, output);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`portcullis: ${error.message}`);
      if (error.help) output.err(error.help.includes('\n') ? `\n${error.help}` : error.help);
      return 2;
    }
    if (error instanceof AppError) {
      output.err(`error: ${spec ? describeRefusal(spec, error.message) : error.message}`);
      return 1;
    }
    output.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (env.PORTCULLIS_DEBUG && error instanceof Error && error.stack) output.err(error.stack);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), process.env, processOutput);
  process.exit(code);
}
