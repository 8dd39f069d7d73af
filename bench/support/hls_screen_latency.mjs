// Glass-to-screen latency of an HLS LIVE session in a real browser, for
// bench/hls_latency.py:
//   node hls_screen_latency.mjs <HLSStreamingSessionURL> <seconds>
// Plays the session with hls.js (the player the web console embeds) in
// Debian's chromium, from a page served at the session's own origin (so no
// CORS), twice: hls.js defaults (liveSyncDurationCount 3) and tuned for
// latency (liveSyncDurationCount 1). The session must carry
// EXT-X-PROGRAM-DATE-TIME = producer time, so hls.playingDate is the capture
// time of the frame on screen; latency = wall clock - playingDate, sampled
// every 250 ms once playback has run 3 s. Prints one JSON line.
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const modules = process.env.OSPREY_NODE_MODULES || '/opt/osprey/node/node_modules';
const { chromium } = require(modules + '/playwright-core');
const hlsjs = fs.readFileSync(modules + '/hls.js/dist/hls.min.js', 'utf8');

const [url, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 20);
const origin = new URL(url).origin;
const page_html = `<!doctype html><html><body><video id="v" muted autoplay playsinline></video>
<script>${hlsjs}</script></body></html>`;

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const pick = (q) => v[Math.min(v.length - 1, Math.round(q * (v.length - 1)))];
  return { n: v.length, p50: pick(0.5), p90: pick(0.9), max: v[v.length - 1] };
}

const browser = await chromium.launch({
  executablePath: process.env.OSPREY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
const out = {};
try {
  for (const [name, config] of [['hlsjs_default', {}], ['hlsjs_sync1', { liveSyncDurationCount: 1 }]]) {
    const page = await browser.newPage();
    await page.route(origin + '/__bench.html', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: page_html }));
    await page.goto(origin + '/__bench.html');
    await page.evaluate(([u, c]) => {
      const hls = new Hls(c);
      window.__hls = hls;
      hls.loadSource(u);
      hls.attachMedia(document.getElementById('v'));
    }, [url, config]);
    await page.waitForFunction(() => {
      const v = document.getElementById('v');
      return v.currentTime > 0.2 && !v.paused && window.__hls.playingDate;
    }, null, { timeout: 60000 });
    await page.waitForTimeout(3000);
    const samples = [];
    const until = Date.now() + (seconds / 2) * 1000;
    while (Date.now() < until) {
      samples.push(await page.evaluate(() => (Date.now() - window.__hls.playingDate.getTime()) / 1000));
      await page.waitForTimeout(250);
    }
    out[name] = stats(samples);
    await page.close();
  }
  console.log(JSON.stringify(out));
} catch (error) {
  console.error('hls_screen_latency: ' + error.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
