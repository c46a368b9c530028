// How an operation is run as a `portcullis` command: its name, flags and help, declared in the
// operation's definition (define.ts). A flag names the input field it fills, so the input is built
// from the flags (flagInput) and a refusal naming a field names the flag instead. `print` shows the
// result to a person (`--json` prints the result itself). cli.ts parses and helps from these.
import type { Output } from './cli-output.ts';

/** A problem of the environment rather than of the input (shown as is, exit status 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder in the help text. */
  value?: string;
  help: string;
  /** The input field this flag fills: refusals naming the field name the flag instead. */
  field?: string;
  /**
   * The field's value from the flag's (parseArgs) value, when not the value itself: `integer`,
   * `numberOrDefault`, `listOrNone`, `yesOrNo` below. A flag not given leaves its field out.
   */
  parse?: (value: string | boolean | string[]) => unknown;
}

export interface InputSources {
  /** The password from standard input (or a prompt without echo on a terminal). */
  readPassword(): Promise<string>;
}

/** The CLI side of an operation; `Result` is what the operation returns (its output schema's type). */
export interface CliBinding<Result = unknown> {
  /** How it is typed, e.g. `clients create`. */
  command: string;
  summary: string;
  /** A positional argument naming what the command acts on; `flag` is an alternative spelling. */
  target?: { placeholder: string; field: string; flag: string };
  flags: Record<string, FlagSpec>;
  examples?: string[];
  /**
   * The input when it is more than the flags' fields (`fields`, from flagInput): e.g. a password read
   * from standard input. `flags` holds every flag as typed, those that fill no field included (a
   * confirmation like --yes).
   */
  input?(fields: Record<string, unknown>, sources: InputSources, flags: FlagValues): unknown;
  /** Shows the result to a person; without it, commands with `run` only. */
  print?(result: Result, output: Output): void;
  /**
   * For commands that call their operation more than once (paging, following) or choose their own
   * exit status: runs instead of one call + `print`, and returns the exit status.
   */
  run?(context: CommandContext): Promise<number>;
}

/** The input fields the flags (and the positional target) fill; flags not given are left out. */
export function flagInput(binding: Pick<CliBinding, 'flags' | 'target'>, values: FlagValues, target: string | undefined) {
  const input: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(binding.flags)) {
    const value = values[name];
    if (flag.field !== undefined && value !== undefined) input[flag.field] = flag.parse ? flag.parse(value) : value;
  }
  if (binding.target && target !== undefined) input[binding.target.field] = target;
  return input;
}

/** The command of an operation's CLI binding, as cli.ts runs it. */
export function commandOf(operation: string, binding: CliBinding): CommandSpec {
  return {
    ...binding,
    operation,
    input: (values, target, sources) => {
      const fields = flagInput(binding, values, target);
      return binding.input ? binding.input(fields, sources, values) : fields;
    },
    print: (result, output) => binding.print?.(result, output),
  };
}

export interface CommandSpec {
  /** How it is typed, e.g. `clients create`. */
  command: string;
  /** The operation it runs (`migrate` is the CLI's own). */
  operation: string;
  summary: string;
  /** A positional argument naming what the command acts on; `flag` is an alternative spelling. */
  target?: { placeholder: string; field: string; flag: string };
  flags: Record<string, FlagSpec>;
  examples?: string[];
  input(values: FlagValues, target: string | undefined, sources: InputSources): unknown;
  print(result: unknown, output: Output): void;
  /**
   * For commands that call their operation more than once (paging, following) or choose their own
   * exit status: runs instead of one call + `print`, and returns the exit status.
   */
  run?(context: CommandContext): Promise<number>;
}

export interface CommandContext {
  /** What `input` returned. */
  input: unknown;
  /** Every flag as typed, those that fill no input field included (e.g. --follow). */
  flags: FlagValues;
  json: boolean;
  output: Output;
  /** Runs the command's operation with this input, where the configuration says. */
  call(input: unknown): Promise<unknown>;
  /** Aborted by Ctrl-C (SIGINT); a command that ignores it is ended shortly after. */
  signal: AbortSignal;
}

export const list = (value: FlagValues[string]): string[] => (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []);
export const text = (value: FlagValues[string]): string | undefined => (typeof value === 'string' ? value : undefined);
/** Leaves out undefined values, so the operation's defaults apply. */
export const defined = (input: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));

/** `--token-ttl 600` -> 600; anything else is passed on for the operation to refuse by name. */
export const integer = (value: string | undefined): number | string | undefined =>
  value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : value;

/** `--rate-limit default` (and the lifetimes): back to the server default (null). */
export const numberOrDefault = (value: FlagValues[string]) => (text(value) === 'default' ? null : integer(text(value)));
/** `--redirect-uri none` (and the other lists): empty the list. Not given: unchanged. */
export const listOrNone = (value: FlagValues[string]) => {
  if (value === undefined) return undefined;
  const values = list(value);
  return values.length === 1 && values[0] === 'none' ? [] : values;
};
/** `--first-party yes|no` (true/false too); anything else is passed on for the operation to refuse by name. */
export const yesOrNo = (value: FlagValues[string]) => {
  const word = text(value)?.toLowerCase();
  return word === 'yes' || word === 'true' ? true : word === 'no' || word === 'false' ? false : text(value);
};

export const date = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

export const none = (output: Output, what: string) => output.out(`No ${what} yet.`);

/** The flag to name in a message about `field` (the positional argument when it has no flag). */
export function flagForField(spec: CommandSpec, field: string): string | undefined {
  if (spec.target?.field === field) return `<${spec.target.placeholder}>`;
  const entry = Object.entries(spec.flags).find(([, flag]) => flag.field === field);
  return entry && `--${entry[0]}`;
}

/** One page of a listing operation (src/admin/operation/pagination.ts). */
interface ListingPage {
  items: unknown[];
  nextCursor: string | null;
}

const CLI_PAGE_SIZE = 200;

/**
 * A listing command's `run`: fetches every page (the operation pages; a person wants the whole list)
 * and prints them at once: `--json` as one array.
 */
export function allPages(print: (items: unknown[], output: Output) => void): (context: CommandContext) => Promise<number> {
  return async (context) => {
    const items: unknown[] = [];
    let cursor: string | null = null;
    do {
      if (context.signal.aborted) return 130;
      const page = (await context.call({
        ...(context.input as object),
        limit: CLI_PAGE_SIZE,
        ...(cursor === null ? {} : { cursor }),
      })) as ListingPage;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    if (context.json) context.output.out(JSON.stringify(items, null, 2));
    else print(items, context.output);
    return 0;
  };
}
