// The dashboard in headless chromium (playwright-core, as tests/report/browser.test.ts), against a real
// `tuneflow serve` with its worker: a bad spec shows its problem at its line, a good one starts a
// campaign from the form, the page follows it live, pause/resume work through the buttons (a second
// pause shows the campaign's refusal), the leaderboard and the report's plots show, and a trial opens
// with its curves. No console or page errors; screenshots under <tmpdir>/tuneflow-test-artifacts/.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool } from '../../cli/services/tools';
import type { RunningServer } from '../../serve/command';
import { tempDir } from '../helpers/temp';
import { serve, smallSpec } from './helpers';

const dir = tempDir('serve-dashboard');
const ARTIFACTS = join(tmpdir(), 'tuneflow-test-artifacts');

describe('the dashboard in headless chromium', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ env: { TUNEFLOW_CHECKPOINT_DIR: dir } });
  });
  afterAll(async () => server?.close());

  it('starts a campaign from the form, follows it, pauses and resumes it, opens a trial', async () => {
    const browser = await chromium.launch({ executablePath: findTool('chromium'), args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      // Chromium logs every 4xx answer as a console error: the two the test asks for (the bad spec, the
      // refused pause) are checked by URL below; any other console error is a problem.
      const refused: string[] = [];
      page.on('response', (r) => { if (r.status() >= 400) refused.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
      page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`${server.url}/`);
      await page.locator('#campaigns').waitFor();

      await page.fill('#spec', smallSpec('serve-dash', 4).replace('maxTrials: 4', 'maxTrials: -4'));
      await page.click('#start');
      await expect.poll(() => page.locator('.problem').first().textContent()).toMatch(/^line 16:\d+: budget\.maxTrials: /);
      expect(await page.locator('.source .err').getAttribute('data-line')).toBe('16');

      await page.fill('#spec', smallSpec('serve-dash', 4));
      await page.click('#start');
      await page.waitForURL(/#\/c\/serve-dash-/);
      const id = decodeURIComponent(page.url().split('#/c/')[1]!);
      await expect.poll(() => page.locator('#phase').textContent(), { timeout: 60_000 }).toBe('searching');

      await page.click('#btn-pause');
      await expect.poll(() => page.locator('#phase').textContent()).toBe('paused');
      await page.click('#btn-pause');
      await expect.poll(() => page.locator('.refusal').textContent()).toMatch(/pause refused: pause rejected: the campaign is already paused/);
      await page.click('#btn-resume');
      await expect.poll(() => page.locator('#phase').textContent()).toBe('searching');

      await expect.poll(() => page.locator('#phase').textContent(), { timeout: 150_000, interval: 500 }).toBe('done (COMPLETED)');
      await expect.poll(() => page.locator('#leaderboard tr.trial-row').count()).toBe(4);
      await expect.poll(() => page.locator('#plots section.plot svg').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#counts').textContent()).toMatch(/^4 of 4 trials finished/);
      await page.screenshot({ path: join(ARTIFACTS, 'serve-campaign.png'), fullPage: true });

      await page.click('#leaderboard tr.trial-row a >> nth=0');
      await page.waitForURL(new RegExp(`#/c/${id}/t/\\d+$`));
      await expect.poll(() => page.locator('#trial-state').textContent()).toBe('COMPLETE');
      expect(await page.locator('#trial-params tr').count()).toBe(2);
      expect(await page.locator('#curves svg.curve polyline').count()).toBeGreaterThanOrEqual(1);
      await page.screenshot({ path: join(ARTIFACTS, 'serve-trial.png'), fullPage: true });
      process.stderr.write(`dashboard screenshots: ${ARTIFACTS}/serve-campaign.png, serve-trial.png\n`);
      expect(problems).toEqual([]);
      expect(refused).toEqual(['400 POST /api/v1/campaigns', `409 POST /api/v1/campaigns/${id}/pause`]);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
