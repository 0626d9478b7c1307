// report.html in a real headless browser (Debian's chromium, driven by playwright-core): the tiny campaign
// run to its end, its report written by the built CLI, then the page opened from disk. It must load with
// no console or page errors and no request beyond itself; every plot's SVG must have a size on screen and
// at least one mark; the leaderboard must have one row per trial. A full-page screenshot is kept under
// <tmpdir>/tuneflow-test-artifacts/ to look at. No chromium is a failure, not a skip: CI runs set-up first.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { findTool } from '../../cli/services/tools';
import { campaignFixture } from '../helpers/campaign';
import { tagsOf } from '../helpers/mlflow-queries';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const dir = tempDir('report-browser');
const campaign = campaignFixture(join(root, 'tests', 'fixtures', 'specs', 'tiny.yaml'), join(dir, 'checkpoints'));
const tuneflow = (args: string[]) =>
  runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: dir, env: { MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'), TEMPORAL_ADDRESS: inject('temporalAddress') } });

const SCREENSHOT = join(tmpdir(), 'tuneflow-test-artifacts', 'report.png');

/** $TUNEFLOW_CHROMIUM, else the chromium `npm run setup` recorded in tools.json, else PATH; else a failure saying what to run. */
function chromiumPath(): string {
  try {
    return findTool('chromium');
  } catch (error) {
    throw new Error(`no chromium for the browser test: run \`npm run setup\` (its Browser step installs Debian's chromium), or set TUNEFLOW_CHROMIUM. ${(error as Error).message}`);
  }
}

describe('report.html in headless chromium', () => {
  it('loads without errors; every plot has a size and marks; one leaderboard row per trial; screenshot', async () => {
    const executablePath = chromiumPath();
    const { result, runs } = campaign();
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials).toHaveLength(4);
    const out = join(dir, 'out');
    const { code, stderr } = await tuneflow(['report', result.workflowId, '--out', out]);
    expect(code, stderr).toBe(0);
    const pageUrl = pathToFileURL(join(out, 'report.html')).href;

    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => { if (r.url() !== pageUrl) problems.push(`request: ${r.url()}`); }); // self-contained: nothing but itself
      const response = await page.goto(pageUrl, { waitUntil: 'load' });
      expect(response?.ok() ?? true).toBe(true);

      const plots = await page.locator('section.plot > svg').evaluateAll((svgs) => svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return { title: svg.parentElement?.querySelector('h3')?.textContent ?? '?', width: box.width, height: box.height, marks: svg.querySelectorAll('[role="graphics-symbol"]').length };
      }));
      // history, intermediate values and timeline at least (report-cli.test.ts checks their files).
      expect(plots.length, JSON.stringify(plots)).toBeGreaterThanOrEqual(3);
      for (const plot of plots) {
        expect(plot.width, plot.title).toBeGreaterThan(0);
        expect(plot.height, plot.title).toBeGreaterThan(0);
        expect(plot.marks, plot.title).toBeGreaterThan(0);
      }

      const board = page.locator('xpath=//h2[normalize-space()="Leaderboard"]/following-sibling::table[1]');
      await expect.poll(() => board.count()).toBe(1);
      expect(await board.locator('tr:has(td)').count()).toBe(trials.length);
      expect((await board.locator('tr:has(td) > td:nth-child(2)').allTextContents()).map(Number).sort()).toEqual([0, 1, 2, 3]);

      mkdirSync(join(tmpdir(), 'tuneflow-test-artifacts'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      process.stderr.write(`screenshot of report.html: ${SCREENSHOT}\n`);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
