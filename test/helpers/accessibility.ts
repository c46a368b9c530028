// axe-core in the page under test: WCAG 2.1 A/AA rules plus best practices, zero violations. The
// script is evaluated through the DevTools protocol, which the page's CSP does not govern (a
// <script> tag added to the page would be refused by it, as it should be).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** The page's axe-core violations, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const { violations, passes } = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[]; passes: unknown[] }> };
      }
    ).axe;
    const results = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return { violations: results.violations, passes: results.passes.length };
  });
  if (passes === 0) throw new Error('axe-core checked nothing'); // an empty list must mean "checked, clean"
  const described = (violations as AxeViolation[]).map(
    (violation) =>
      `${violation.id} (${violation.impact ?? '?'}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`,
  );
  return described;
}

export async function assertAccessible(t: ExecutionContext, page: Page, label: string): Promise<void> {
  t.deepEqual(await axeViolations(page), [], `${label}: axe-core finds no violation`);
}
