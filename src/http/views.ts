// Server-rendered pages from views/ (Eta, HTML-escaped by default). No inline script anywhere.
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

export type RenderView = (name: string, data: Record<string, unknown>) => string;

export function createViewRenderer(): RenderView {
  const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, useWith: false });
  return (name, data) => eta.render(`./${name}`, data);
}
