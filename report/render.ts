// Vega-Lite spec → SVG string, headless: Vega's View with no renderer (no canvas, no DOM) and toSVG().
// vega and vega-lite 5 ship CommonJS builds, so plain imports work in this CommonJS project.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none', logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
