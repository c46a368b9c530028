// Password rules when a password is set, after NIST SP 800-63B-4 (section 3.1.1.2): a minimum length
// (shorter with a second factor), a generous maximum, any Unicode, no composition rules, and a
// refusal of passwords that are common, breached, built from the user's own details, or easy to
// guess. Every check works offline and runs cheapest first, so a megabyte of input costs nothing.
import { createRequire } from 'node:module';
import type { PasswordSettings } from '../config.ts';
import { normalizePassword } from './passwords.ts';

/** Long enough for any passphrase; the ceiling only stops hashing megabytes per request. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * The most UTF-16 units a password may have before it is even normalised. NFKC may compose several
 * code points into one (a letter typed with separate accents), and a code point outside the BMP
 * takes two units, so four units per code point leaves room for any realistic password while a
 * megabyte is refused before normalising, blocklisting or scoring it. Login uses the same bound
 * (the bound authenticate.ts applies at login), so a password accepted here always fits at login.
 */
export const MAX_PASSWORD_UTF16_LENGTH = MAX_PASSWORD_LENGTH * 4;

/** Context words shorter than this are too common as substrings to say anything about a password. */
const MIN_CONTEXT_WORD_LENGTH = 3;

export type PasswordProblemCode =
  'password_too_short' | 'password_too_long' | 'password_common' | 'password_contains_personal_info' | 'password_too_weak';

/** Why a password was refused; `message` may be shown to the user as it is. */
export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

/** What an attacker who targets this user would try first: their own details and the service's name. */
export interface PasswordContext {
  email?: string;
  name?: string | null;
  /** The service's own names, see serviceNamesFor. */
  serviceNames: string[];
}

export interface PasswordPolicy {
  settings: Pick<PasswordSettings, 'minLength' | 'minLengthWithMfa' | 'minScore'>;
  /** A second factor lets NIST's shorter minimum apply. */
  hasSecondFactor: boolean;
  context: PasswordContext;
}

/** Refuses a new password with the reason, or returns undefined when it may be set. */
export function checkPassword(password: string, policy: PasswordPolicy): PasswordProblem | undefined {
  if (password.length > MAX_PASSWORD_UTF16_LENGTH) return tooLong();
  const normalized = normalizePassword(password);
  const minLength = policy.hasSecondFactor ? policy.settings.minLengthWithMfa : policy.settings.minLength;
  const words = contextWords(policy.context);
  return (
    checkLength(normalized, minLength) ??
    checkBlocklist(normalized) ??
    checkContext(normalized, words, minLength) ??
    checkStrength(normalized, distinct(words), policy.settings.minScore)
  );
}

/** The service's names an attacker would try: "portcullis" and the telling labels of the issuer's host. */
export function serviceNamesFor(issuer: string): string[] {
  return [...new Set(['portcullis', ...hostWords(new URL(issuer).hostname)])];
}

// ---------------------------------------------------------------- length

const codePoints = (text: string) => [...text].length;

function tooLong(): PasswordProblem {
  return { code: 'password_too_long', message: `password must be at most ${MAX_PASSWORD_LENGTH} characters` };
}

/** Lengths count code points after NFKC, so "é" is one character however it was typed. */
function checkLength(normalized: string, minLength: number): PasswordProblem | undefined {
  const length = codePoints(normalized);
  if (length < minLength) return { code: 'password_too_short', message: `password must be at least ${minLength} characters` };
  if (length > MAX_PASSWORD_LENGTH) return tooLong();
  return undefined;
}

// ---------------------------------------------------------------- blocklist

// Loaded on first use, not at import: the server imports this module for MAX_PASSWORD_LENGTH but only
// the commands that set a password need the lists.
const requireLazily = createRequire(import.meta.url);
let blocklist: ReadonlySet<string> | undefined;

/**
 * The ranked list of common and breached passwords shipped with @zxcvbn-ts/language-common, lower-
 * cased. It is local (no network call can fail or leak the password); if it cannot be loaded this
 * throws, so a password is never accepted unchecked.
 */
function commonPasswords(): ReadonlySet<string> {
  if (blocklist) return blocklist;
  const { dictionary } = requireLazily('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a missing list must throw, never pass
  const list: unknown = dictionary?.['passwords-common'];
  if (!Array.isArray(list) || list.length < 10_000) throw new Error('the common-password blocklist could not be loaded');
  blocklist = new Set(list.map((entry) => String(entry).toLowerCase()));
  return blocklist;
}

function checkBlocklist(normalized: string): PasswordProblem | undefined {
  if (!commonPasswords().has(normalized.toLowerCase())) return undefined;
  return { code: 'password_common', message: 'password is on a list of commonly used or breached passwords; choose another' };
}

// ---------------------------------------------------------------- personal information

type ContextSource = 'email' | 'name' | 'service';

interface ContextWord {
  word: string;
  source: ContextSource;
}

/** A text's words (split at whitespace) and, for "alice.smith" or "mary-jane", also their parts. */
function wordsOf(text: string): string[] {
  const normalized = text.normalize('NFKC').toLowerCase();
  const wholes = normalized.split(/[\s\p{Z}]+/u);
  const parts = normalized.split(/[^\p{L}\p{M}\p{N}]+/u);
  return [...wholes, ...parts];
}

/** A host's labels that mean something: not "www", "localhost", the TLD, numbers or an IP address. */
function hostWords(hostname: string): string[] {
  if (hostname.startsWith('[') || /^[\d.]+$/.test(hostname)) return []; // IPv6 or IPv4 literal
  const labels = hostname.toLowerCase().split('.').filter(Boolean);
  const named = labels.length > 1 ? labels.slice(0, -1) : labels;
  return named.filter((label) => label !== 'www' && label !== 'localhost' && !/^\d+$/.test(label));
}

/** The email's local part and domain labels (without the TLD). */
function emailWords(email: string): string[] {
  const at = email.lastIndexOf('@');
  if (at < 0) return wordsOf(email);
  return [...wordsOf(email.slice(0, at)), ...hostWords(email.slice(at + 1)).flatMap(wordsOf)];
}

/** The context's words, each once per source, longest first (so "alice.smith" goes before "alice"). */
function contextWords(context: PasswordContext): ContextWord[] {
  const candidates: ContextWord[] = [
    ...(context.email ? emailWords(context.email) : []).map((word) => ({ word, source: 'email' as const })),
    ...(context.name ? wordsOf(context.name) : []).map((word) => ({ word, source: 'name' as const })),
    ...context.serviceNames.flatMap(wordsOf).map((word) => ({ word, source: 'service' as const })),
  ];
  const seen = new Set<string>();
  const words = candidates.filter(({ word, source }) => {
    const key = `${source}:${word}`;
    if (codePoints(word) < MIN_CONTEXT_WORD_LENGTH || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return words.sort((a, b) => codePoints(b.word) - codePoints(a.word));
}

const distinct = (words: ContextWord[]) => [...new Set(words.map(({ word }) => word))];

/** Digits, punctuation, symbols, whitespace and invisible characters: padding, not substance. */
const PADDING = /[\p{N}\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\s]/gu;

/**
 * The rule, kept simple enough to explain to a user: ignoring case, remove every occurrence of every
 * context word (the email's local part and its parts, the domain's labels without the TLD, the
 * name's words, the service's names; words under three characters are ignored) from the password.
 * If something was removed and what remains, without digits, punctuation, symbols and whitespace, is
 * shorter than the minimum length, the password is mostly the user's own details, which an attacker
 * targeting them tries first ("alice.smith@example.com2024!", "PortcullisPortcullis1"). A passphrase
 * that merely mentions a name and is long without it ("correct horse battery staple alice") passes.
 */
function checkContext(normalized: string, words: ContextWord[], minLength: number): PasswordProblem | undefined {
  const lowered = normalized.toLowerCase();
  let rest = lowered;
  const found = new Set<ContextSource>();
  for (const { word, source } of words) {
    if (!lowered.includes(word)) continue;
    rest = rest.replaceAll(word, '');
    found.add(source);
  }
  if (found.size === 0 || codePoints(rest.replace(PADDING, '')) >= minLength) return undefined;
  return {
    code: 'password_contains_personal_info',
    message: `password is mostly made of ${describeSources(found)}; choose one that does not rely on it`,
  };
}

const SOURCE_NAMES: Record<ContextSource, string> = { email: 'your email address', name: 'your name', service: "this service's name" };

function describeSources(sources: Set<ContextSource>): string {
  const names = (['email', 'name', 'service'] as const).filter((source) => sources.has(source)).map((source) => SOURCE_NAMES[source]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]!;
}

// ---------------------------------------------------------------- strength

/**
 * The code points of a password that zxcvbn scores. Its cost grows with the length it reads, and
 * passwords are now set over HTTP (the admin API, the sign-in's forced change), so it reads a
 * bounded prefix: a longer password is judged by its first 128 characters, which are strong unless
 * they are themselves a pattern. The length, blocklist and personal-information checks still see the
 * whole password. (Minimum lengths are at most 64, so the prefix always covers them.)
 */
export const SCORED_PREFIX_LENGTH = 128;

/**
 * How many l33t readings of the password zxcvbn tries against its dictionaries (its default is 100).
 * Each reading is a full dictionary pass over the scored prefix, so this bounds the worst case: at
 * 100 readings of 256 characters, a password full of l33t-able characters ("4@8(3...") took about
 * two seconds of CPU; at 20 readings of 128, about a quarter of a second. A short l33t word has few
 * readings and is still found ("p4$$w0rd"); a password with so many substitutions that 20 readings
 * do not cover them is long and varied enough to be strong anyway.
 */
export const L33T_READINGS = 20;

type Zxcvbn = InstanceType<typeof import('@zxcvbn-ts/core').ZxcvbnFactory>;
let zxcvbn: Zxcvbn | undefined;

/**
 * zxcvbn-ts with the common and English dictionaries, keyboard graphs and English feedback, built
 * once on first use (building its ranked dictionaries takes a tenth of a second), with its work
 * bounded (SCORED_PREFIX_LENGTH, L33T_READINGS).
 */
function estimator(): Zxcvbn {
  if (zxcvbn) return zxcvbn;
  const { ZxcvbnFactory } = requireLazily('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const common = requireLazily('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  const english = requireLazily('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
  zxcvbn = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    l33tMaxSubstitutions: L33T_READINGS,
    // zxcvbn cuts at UTF-16 units; the prefix is cut at code points (two units at most) before it
    maxLength: SCORED_PREFIX_LENGTH * 2,
  });
  return zxcvbn;
}

/** The part of the (normalised) password zxcvbn scores: its first SCORED_PREFIX_LENGTH code points. */
export const scoredPrefix = (normalized: string): string => [...normalized].slice(0, SCORED_PREFIX_LENGTH).join('');

/** zxcvbn's 0-4 guessability score, with the user's context words as extra dictionary entries. */
function checkStrength(normalized: string, userInputs: string[], minScore: number): PasswordProblem | undefined {
  const result = estimator().check(scoredPrefix(normalized), userInputs);
  if (result.score >= minScore) return undefined;
  const warning = result.feedback.warning?.replace(/\.$/, '');
  const why = warning ? ` (${warning})` : '';
  return { code: 'password_too_weak', message: `password is too easy to guess${why}; a longer passphrase of unrelated words is stronger` };
}
