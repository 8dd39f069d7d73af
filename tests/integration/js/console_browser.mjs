// Drives Debian's chromium (playwright-core, executablePath /usr/bin/chromium)
// through the web console for tests/integration/test_console.py:
//   node console_browser.mjs <base url> <password> <stream> <artifact dir>
// Signs in (a wrong password first), finds the camera in the grid, plays it
// live, replays a moment picked on the timeline, and takes screenshots at
// desktop and phone width. Prints one JSON object with what it measured;
// the Python test asserts on it. Exit 1 with a message on any failure.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.OSPREY_PLAYWRIGHT || '/opt/osprey/node/node_modules/playwright-core');

const [base, password, stream, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shots = {};
const out = { shots };

async function shot(page, name, fullPage = false) {
  const file = path.join(artifacts, name + '.png');
  await page.screenshot({ path: file, fullPage });
  shots[name] = file;
}

// Samples the video's current picture on a canvas: mean and spread of the
// luma, and the share of bright and dark pixels. A blank (black, grey or
// never-decoded) frame has no spread.
async function picture(page) {
  return page.evaluate(() => {
    const v = document.getElementById('video');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    if (!c.width || !c.height) return { width: 0, height: 0, stddev: 0, bright: 0, dark: 0 };
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0, sum = 0, sq = 0, bright = 0, dark = 0;
    for (let i = 0; i < d.length; i += 16) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      n++; sum += y; sq += y * y;
      if (y > 200) bright++;
      if (y < 40) dark++;
    }
    const mean = sum / n;
    return { width: c.width, height: c.height, mean, stddev: Math.sqrt(sq / n - mean * mean),
             bright: bright / n, dark: dark / n };
  });
}

// currentTime once a second for `seconds` s.
async function advance(page, seconds) {
  const samples = [];
  for (let i = 0; i <= seconds; i++) {
    samples.push(await page.evaluate(() => document.getElementById('video').currentTime));
    if (i < seconds) await page.waitForTimeout(1000);
  }
  return samples;
}

async function waitPlaying(page, mode, timeout) {
  await page.waitForFunction((m) => {
    const v = document.getElementById('video');
    return v && v.dataset.mode === m && v.readyState >= 3 && v.currentTime > 0.2 && !v.paused;
  }, mode, { timeout });
}

const browser = await chromium.launch({
  executablePath: process.env.OSPREY_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--autoplay-policy=no-user-gesture-required'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // 401s are expected: the session probe before sign-in, the wrong
  // password, the probe after sign-out. Anything else is a defect.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });

  // Sign-in: wrong password first, then the right one.
  await page.goto(base + '/console');
  await page.waitForSelector('#signin');
  await page.fill('#password', 'not-the-password');
  await page.click('#signin-button');
  await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0);
  out.wrong_password_message = await page.textContent('#signin-error');
  await shot(page, 'signin-wrong-password');
  await page.fill('#password', password);
  await page.click('#signin-button');

  // The grid: the camera's card with its live thumbnail.
  const card = `.card[data-stream="${stream}"]`;
  await page.waitForSelector(card, { timeout: 15000 });
  await page.waitForFunction((sel) => {
    const img = document.querySelector(sel + ' img');
    return img && img.complete && img.naturalWidth > 0;
  }, card, { timeout: 20000 });
  out.card_badge = await page.textContent(card + ' .badge');
  out.thumbnail_width = await page.evaluate((sel) => document.querySelector(sel + ' img').naturalWidth, card);
  const cookies = await context.cookies();
  out.cookie = cookies.find((c) => c.name === 'osprey_console') || null;
  out.document_cookie = await page.evaluate(() => document.cookie);
  await page.waitForTimeout(500);  // the thumbnail's fade-in
  await shot(page, 'grid');

  // Live.
  await page.click(card);
  await waitPlaying(page, 'LIVE', 30000);
  out.live_times = await advance(page, 5);
  out.live_picture = await picture(page);
  await page.waitForTimeout(300);
  await shot(page, 'player-live');

  // Replay: click 30% into the earliest recorded interval on the timeline.
  await page.waitForSelector('.tl-cover', { timeout: 15000 });
  out.markers = await page.evaluate(() =>
    [...document.querySelectorAll('.tl-marker')].map((m) => m.classList[1]));
  await page.locator('#timeline-track').scrollIntoViewIfNeeded();
  const box = await page.evaluate(() => {
    const covers = [...document.querySelectorAll('.tl-cover')];
    const r = covers[0].getBoundingClientRect();
    return { x: r.left + r.width * 0.3, y: r.top + r.height / 2, start: +covers[0].dataset.start,
             end: +covers[0].dataset.end };
  });
  await page.mouse.click(box.x, box.y);
  await waitPlaying(page, 'ON_DEMAND', 30000);
  out.replay_start = Number(await page.evaluate(() => document.getElementById('video').dataset.start));
  out.replay_interval = [box.start, box.end];
  out.replay_badge = await page.textContent('#mode-badge');
  out.replay_times = await advance(page, 3);
  out.replay_picture = await picture(page);
  await shot(page, 'player-replay');

  // Select a range on the timeline: the clip link appears.
  const track = await page.locator('#timeline-track').boundingBox();
  await page.mouse.move(box.x, box.y);
  await page.mouse.down();
  await page.mouse.move(box.x + 40, box.y, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#clip-download', { timeout: 5000 });
  out.clip_href = await page.getAttribute('#clip-download', 'href');
  out.track_width = track.width;
  await shot(page, 'player-selection', true);

  // Phone width.
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(base + '/console#/');
  await phone.waitForSelector(card + ' img', { timeout: 15000 });
  await phone.waitForFunction((sel) => document.querySelector(sel + ' img').naturalWidth > 0, card);
  out.phone_overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await phone.waitForTimeout(500);
  await shot(phone, 'phone-grid');
  await phone.click(card);
  await waitPlaying(phone, 'LIVE', 30000);
  out.phone_player_overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot(phone, 'phone-player', true);

  // Sign out from the bar: back at the sign-in form.
  await page.click('#signout');
  await page.waitForSelector('#signin');
  out.after_signout = await page.evaluate(async () => (await fetch('/console/api/streams')).status);
  out.page_errors = errors;
  console.log(JSON.stringify(out));
} catch (error) {
  console.error('console_browser: ' + (error.stack || error));
  for (const p of browser.contexts().flatMap((c) => c.pages())) {
    out.video_state = await p.evaluate(() => {
      const v = document.getElementById('video');
      return v && { mode: v.dataset.mode, readyState: v.readyState, currentTime: v.currentTime,
                    paused: v.paused, error: v.error && v.error.message,
                    message: document.querySelector('.stage-message')?.textContent };
    }).catch(() => null);
    await shot(p, 'failure').catch(() => {});
  }
  console.log(JSON.stringify({ ...out, failure: String(error) }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
