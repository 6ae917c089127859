// End-to-end check of the public transparency page in headless Chromium: open
// /public/v1/transparency/{YEAR} as HTML with no token (no cookie, no Authorization), expect
// the page's headings and the figures of the year's public JSON, no blocked style (the
// page's Content-Security-Policy allows its own style only) and no request to anywhere
// else. Run by transparency_page.sh, which starts the service with the demo and sets:
//   BASE_URL, YEAR, SCREENSHOT (PNG path), CHROMIUM (binary)
import { launch, need, step } from './browser.mjs';

const baseUrl = need('BASE_URL');
const year = need('YEAR');
const screenshot = need('SCREENSHOT');

// Euros as the page prints them (the API's Display of cents: 1.234,56 €).
const euros = (cents) => {
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${cents < 0 ? '-' : ''}${whole},${String(abs % 100).padStart(2, '0')} €`;
};

const browser = await launch(screenshot);
// A fresh context: no cookie, no stored credentials, no extra headers.
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'es-ES' });
const page = await context.newPage();
page.setDefaultTimeout(15_000);

const problems = [];
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') {
    console.log(`   [browser ${m.type()}] ${m.text()}`);
    problems.push(`console ${m.type()}: ${m.text()}`);
  }
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
page.on('request', (r) => {
  if (r.headers().authorization) problems.push(`a request carried a token: ${r.url()}`);
  if (!r.url().startsWith(baseUrl)) problems.push(`a request left the service: ${r.url()}`);
});

let ok = false;
try {
  step(`the year's public JSON (no token)`);
  const feed = await context.request.get(`${baseUrl}/public/v1/transparency/${year}`, {
    headers: { accept: 'application/json' },
  });
  if (feed.status() !== 200) throw new Error(`the JSON feed answered ${feed.status()}`);
  const doc = await feed.json();

  step(`open ${baseUrl}/public/v1/transparency/${year} (text/html, no token)`);
  await page.setExtraHTTPHeaders({ accept: 'text/html' });
  const res = await page.goto(`${baseUrl}/public/v1/transparency/${year}`);
  if (res.status() !== 200) throw new Error(`the page answered ${res.status()}`);
  const type = res.headers()['content-type'] || '';
  if (!type.startsWith('text/html')) throw new Error(`the page is ${type}, not HTML`);
  console.log(`   ${res.status()} ${type}; cache-control: ${res.headers()['cache-control']}`);

  step('headings and figures');
  const h1 = (await page.locator('h1').innerText()).trim();
  console.log(`   h1: ${h1}`);
  if (!h1.includes(`ejercicio ${year}`)) throw new Error(`unexpected title: ${h1}`);
  const captions = (await page.locator('table caption').allInnerTexts()).map((c) => c.trim());
  console.log(`   tables: ${captions.join(' | ')}`);
  for (const expected of [
    'Convenios con administraciones públicas',
    'Subvenciones y ayudas públicas recibidas',
    'Presupuesto y ejecución',
    'Órganos de gobierno',
  ]) {
    if (!captions.some((c) => c.startsWith(expected))) throw new Error(`no table "${expected}"`);
  }
  const text = await page.locator('body').innerText();
  const expected = [
    doc.entity?.legal_name,
    'Ayudas públicas del ejercicio',
    euros(doc.public_aid_cents),
    ...doc.agreements.map((a) => a.object),
    ...doc.subsidies.map((s) => euros(s.amount_cents)),
    ...doc.governing_bodies.map((b) => b.name),
  ].filter(Boolean);
  for (const fact of expected) {
    if (!text.includes(fact)) throw new Error(`the page does not show "${fact}"`);
  }
  console.log(`   ${expected.length} facts of the JSON shown, e.g. "${expected[1]}"`);
  if (/iniciar sesión|sign in|token/i.test(text)) throw new Error('the page asks to sign in');

  step('its own style applies (the CSP lets it through)');
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  const maxWidth = await page.evaluate(() => getComputedStyle(document.querySelector('main')).maxWidth);
  console.log(`   body font: ${font}; main max-width: ${maxWidth}`);
  if (!/sans-serif/.test(font) || maxWidth === 'none') throw new Error('the page style did not apply');
  if (problems.length) throw new Error(problems.join('; '));
  ok = true;
} catch (e) {
  console.error(`FAILED: ${e.message}`);
} finally {
  await page.screenshot({ path: screenshot, fullPage: true }).catch((e) => console.error(`no screenshot: ${e.message}`));
  console.log(`screenshot: ${screenshot}`);
  await browser.close();
}
console.log(ok ? 'transparency_page: 1 passed, 0 failed' : 'transparency_page: 0 passed, 1 failed');
process.exit(ok ? 0 : 1);
