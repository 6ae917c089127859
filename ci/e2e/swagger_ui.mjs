// End-to-end check of Swagger UI in headless Chromium: sign in with the OAuth2 password
// flow through "Authorize", then "Try it out" on GET /api/v1/me and expect a live 200 with
// the admin's e-mail. Run by swagger_ui.sh, which starts the service and sets:
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOT (PNG path), CHROMIUM (binary)
import { launch, need, step } from './browser.mjs';

const baseUrl = need('BASE_URL');
const email = need('ADMIN_EMAIL');
const password = need('ADMIN_PASSWORD');
const screenshot = need('SCREENSHOT');

const browser = await launch(screenshot);
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
page.setDefaultTimeout(15_000);

// Anything odd the page reports ends up in the log.
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') console.log(`   [browser ${m.type()}] ${m.text()}`);
});
page.on('pageerror', (e) => console.log(`   [page error] ${e.message}`));
page.on('requestfailed', (r) => console.log(`   [request failed] ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
page.on('response', (r) => {
  const path = new URL(r.url()).pathname;
  if (path.startsWith('/api/')) console.log(`   [http] ${r.request().method()} ${path} -> ${r.status()}`);
});

let ok = false;
try {
  step(`open ${baseUrl}/swagger-ui/`);
  await page.goto(`${baseUrl}/swagger-ui/`);
  await page.locator('.opblock').first().waitFor();

  step('Authorize: OAuth2 password flow');
  await page.locator('button.btn.authorize').first().click();
  const modal = page.locator('.dialog-ux .modal-ux');
  await modal.waitFor();
  // One box per scheme and flow; take the password flow's.
  const box = modal.locator('.auth-container').filter({ hasText: /Flow:\s*password/ });
  await box.locator('#oauth_username').fill(email);
  await box.locator('#oauth_password').fill(password);
  // (Swagger UI's buttons carry aria-labels, so they are found by class and text.)
  const [tr] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/auth/token')),
    box.locator('button.authorize', { hasText: 'Authorize' }).click(),
  ]);
  if (tr.status() !== 200) throw new Error(`token endpoint answered ${tr.status()}: ${await tr.text()}`);
  // Signed in: Swagger UI swaps the Authorize button for Logout.
  await box.locator('button', { hasText: 'Logout' }).waitFor();
  const authErrors = await box.locator('.errors').allInnerTexts();
  if (authErrors.join('').trim()) throw new Error(`auth errors shown: ${authErrors.join(' | ')}`);
  await modal.locator('button.btn-done', { hasText: 'Close' }).first().click();
  await modal.waitFor({ state: 'detached' });

  step('GET /api/v1/me: Try it out, Execute');
  const op = page.locator('.opblock.opblock-get').filter({
    has: page.locator('.opblock-summary-path[data-path="/api/v1/me"]'),
  });
  await op.locator('.opblock-summary-control').first().click();
  await op.locator('button.try-out__btn').click();
  await op.locator('button.execute').click();

  const live = op.locator('.live-responses-table .response').first();
  await live.waitFor();
  const status = (await live.locator('.response-col_status').innerText()).trim();
  const body = await live.locator('.response-col_description').innerText();
  console.log(`   live response: status ${status}\n${body.trim().split('\n').map((l) => '     ' + l).join('\n')}`);
  await live.scrollIntoViewIfNeeded();
  if (status !== '200') throw new Error(`expected status 200, Swagger UI shows ${status}`);
  if (!body.includes(email)) throw new Error(`the response does not contain ${email}`);
  ok = true;
} catch (e) {
  console.error(`FAILED: ${e.message}`);
} finally {
  await page.screenshot({ path: screenshot, fullPage: false }).catch((e) => console.error(`no screenshot: ${e.message}`));
  console.log(`screenshot: ${screenshot}`);
  await browser.close();
}
console.log(ok ? 'swagger_ui: 1 passed, 0 failed' : 'swagger_ui: 0 passed, 1 failed');
process.exit(ok ? 0 : 1);
