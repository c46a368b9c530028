// Stores own their tables: every SQL statement lives in a store file under src/storage/, and nothing
// else writes SQL (issue 13). The source is parsed with the TypeScript compiler, so only string and
// template literals are read (comments may speak of an UPDATE), and a call of `.query(...)` or
// `.execScript(...)` outside the stores is refused as well, whatever its text.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');
const STORES = join(src, 'storage') + sep;

const SQL = /\b(SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|CREATE TABLE|ALTER TABLE)\b/;
const DATABASE_CALLS = new Set(['query', 'execScript']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `file:line: what` for every SQL literal and database call in one file's text. */
function findings(path: string, text = readFileSync(path, 'utf8')): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    found.push(`${relative(root, path)}:${line}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (SQL.test(node.text)) at(node, `SQL in a string: ${JSON.stringify(node.text.slice(0, 60))}`);
    } else if (ts.isTemplateExpression(node)) {
      const text = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join('${}');
      if (SQL.test(text)) at(node, `SQL in a template: ${JSON.stringify(text.slice(0, 60))}`);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      DATABASE_CALLS.has(node.expression.name.text)
    ) {
      at(node, `.${node.expression.name.text}(...) outside a store`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

test('no SQL outside src/storage/: every statement lives in a store file', (t) => {
  const outside = sourceFiles(src).filter((path) => !path.startsWith(STORES));
  t.true(outside.length > 50, 'the scan sees the source tree');
  t.deepEqual(
    outside.flatMap((path) => findings(path)),
    [],
  );
});

test('the scan finds SQL in literals and database calls, not in comments', (t) => {
  const planted = (text: string) => findings(join(root, 'planted.ts'), text).length;
  t.is(planted("const q = 'SELECT 1 FROM accounts';"), 1);
  t.is(planted('const q = `UPDATE accounts SET name = ${name} WHERE id = $1`;'), 1);
  t.is(planted('await tx.query<{ n: number }>(sql, []);'), 1);
  t.is(planted('// the UPDATE that moves the step; DELETE FROM in a comment\nconst x = ctx.query;'), 0);
});
