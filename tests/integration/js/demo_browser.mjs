// Opens the sign-in link deploy/demo-run.sh prints, in Debian's chromium
// driven by playwright-core, for tests/integration/test_demo.py:
//   node demo_browser.mjs <sign-in link> <artifact dir>
// The link must sign the browser in and land on the camera's player, which
// must show live pictures. Prints one JSON object: how long the first
// picture took from page load, the picture's size and luma spread, the URL
// left in the address bar and the history length. Exit 1 on any failure.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.OSPREY_PLAYWRIGHT || '/opt/osprey/node/node_modules/playwright-core');

const [link, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.OSPREY_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A 404 from the console's API is expected while the camera's first
  // fragment is still on its way: the player says so and asks again.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
  });
  const t0 = Date.now();
  await page.goto(link);
  await page.waitForFunction(() => {
    const v = document.getElementById('video');
    return v && v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0.2 && !v.paused;
  }, null, { timeout: 60000 });
  const firstPictureMs = Date.now() - t0;
  await page.waitForTimeout(2000);
  const picture = await page.evaluate(() => {
    const v = document.getElementById('video');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0, sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 16) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      n++; sum += y; sq += y * y;
    }
    const mean = sum / n;
    return { width: c.width, height: c.height, stddev: Math.sqrt(sq / n - mean * mean),
             mode: v.dataset.mode || '' };
  });
  const file = path.join(artifacts, 'demo-live.png');
  await page.screenshot({ path: file });
  const result = {
    first_picture_ms: firstPictureMs, picture, url: page.url(),
    history_length: await page.evaluate(() => history.length), errors, screenshot: file,
  };
  console.log(JSON.stringify(result));
} catch (error) {
  console.error('demo_browser: ' + error.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
