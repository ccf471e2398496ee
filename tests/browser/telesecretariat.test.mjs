// The telesecretariat's path on a phone (issue #13), against `cpts serve`: sign in with an emailed
// link, take a call from a relative, read the reference, open the request, add a note, record a
// call attempt, find the request again by name and by phone, sign out. At 390 px every page of the path has no horizontal scroll, targets of at
// least 44 px and no axe-core violation; a wrong phone number shows its error next to the field
// with every other answer kept.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, guard, startServe, fillForm, waitForMailStarting, mailTexts, linkIn, assertFits,
} from './helpers.mjs';

// The demo's telesecretariat (content/territory/cpts.toml, [[staff]]).
const TELESECRETARIAT = { email: 'telesecretariat@example.org', name: 'Thomas Renard' };
const CALLER = { name: 'Chantal Dupré', phone: '03 24 00 00 00' };

let served;
let browser;

before(async () => {
  served = await startServe();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  served?.stop();
});

async function submit(page, selector = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test('the telesecretariat at 390 px: sign in, take a call from a relative, note, call attempt, sign out', async () => {
  const { base, data } = served;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const seen = guard(page, base);

  // Sign in: ask for a link, open it (nothing signed in yet), press « Se connecter ».
  await page.goto(`${base}/espace/`);
  await assertFits(page, 'sign-in page');
  await page.fill('#courriel', TELESECRETARIAT.email);
  await submit(page);
  assert.match(await page.textContent('main'), /Si cette adresse est inscrite, un lien de connexion vient de lui être envoyé/);
  await assertFits(page, 'link sent');
  const link = linkIn(await waitForMailStarting(data, 'connexion-'), base, '/espace/connexion/');
  await page.goto(link);
  assert.equal((await page.textContent('h1')).trim(), 'Se connecter');
  await assertFits(page, 'sign-in link');
  const home = await context.request.get(`${base}/espace/`);
  assert.match(await home.text(), /id="courriel"/, 'opening the link alone signs no one in');
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/espace/');
  assert.match(await page.textContent('main'), new RegExp(`Vous êtes connecté\\(e\\) : ${TELESECRETARIAT.name}`));
  await assertFits(page, 'home');

  // The call: the person's relative phones; first with a mistyped number for herself.
  await Promise.all([page.waitForNavigation(), page.click('text=Enregistrer une nouvelle demande')]);
  await assertFits(page, 'intake form');
  assert.ok(await page.isChecked('#f-channel-telephone'), 'a phone call by default');
  await fillForm(page, { last_name: 'Martin', first_name: 'Germaine', phone: '06 98 76 54 32', commune: 'Sedan (08200)' });
  await page.check('#f-filled_by-relative');
  await page.check('#f-caller_relation-relative');
  await page.fill('#f-caller_name', CALLER.name);
  await page.fill('#f-caller_phone', '03 24');
  await page.fill('#f-note', 'Sa fille rappelle le soir.');
  await submit(page, 'button[type=submit].button');
  // The error next to its field, every other answer kept.
  assert.match(await page.textContent('#f-caller_phone-error'), /Téléphone de la personne qui appelle/);
  assert.equal(await page.getAttribute('#f-caller_phone', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#f-caller_phone'), '03 24');
  assert.equal(await page.inputValue('#f-caller_name'), CALLER.name);
  assert.equal(await page.inputValue('#f-last_name'), 'Martin');
  assert.equal(await page.inputValue('#f-commune'), 'Sedan (08200)');
  assert.equal(await page.inputValue('#f-note'), 'Sa fille rappelle le soir.');
  assert.ok(await page.isChecked('#f-caller_relation-relative'));
  assert.ok(await page.isChecked('#f-reason-retired'));
  assert.ok(await page.isChecked('#f-consent'));
  await assertFits(page, 'intake form with an error');
  await page.fill('#f-caller_phone', CALLER.phone);
  await submit(page, 'button[type=submit].button');

  // The answer: the reference to give, and the request's page.
  const reference = (await page.textContent('.reference')).trim();
  assert.match(reference, /^[A-Z0-9-]{6,}$/);
  await assertFits(page, 'request stored');
  await Promise.all([page.waitForNavigation(), page.click('text=Ouvrir la demande')]);
  assert.equal((await page.textContent('h1')).trim(), `Demande ${reference}`);
  await assertFits(page, 'request page');
  const arrival = await page.textContent('.arrival');
  assert.match(arrival, /Par téléphone/);
  assert.match(arrival, new RegExp(TELESECRETARIAT.name));
  assert.match(arrival, new RegExp(`${CALLER.name}, un proche`));
  assert.match(arrival, /Sa fille rappelle le soir\./);
  assert.equal(await page.getAttribute('.arrival a[href^="tel:"]', 'href'), 'tel:+33324000000');
  assert.ok(await page.locator('a.button[href="tel:+33698765432"]').count() === 1, "the person's phone one tap away");
  const requestPage = page.url();

  // A note, then a call attempt without an answer.
  await page.fill('#note', 'Rappel prévu demain matin.');
  await submit(page, 'button[value=note]');
  assert.match(await page.textContent('main'), /la note est dans le suivi de la demande/);
  await assertFits(page, 'note recorded');
  await Promise.all([page.waitForNavigation(), page.click('text=Revenir à la demande')]);
  assert.equal(page.url(), requestPage);
  await page.selectOption('#resultat', 'sans_reponse');
  await submit(page, 'button[value=appel]');
  assert.match(await page.textContent('main'), /l'appel sans réponse est dans le suivi de la demande/);
  await assertFits(page, 'call recorded');
  await Promise.all([page.waitForNavigation(), page.click('text=Revenir à la demande')]);
  const timeline = await page.textContent('.timeline');
  assert.match(timeline, /Note : Rappel prévu demain matin\./);
  assert.match(timeline, /Appel : pas de réponse\./);
  assert.match(timeline, new RegExp(`Par : ${TELESECRETARIAT.name}\\.`));
  await assertFits(page, 'request page after the call');

  // The person calls back without her reference: found by her name with a typo, then by her
  // phone written another way.
  await page.goto(`${base}/espace/`);
  await page.fill('#q', 'germaine martn');
  await submit(page, 'form[role=search] button');
  await assertFits(page, 'search results');
  assert.match(await page.textContent('main'), new RegExp(reference));
  await page.fill('#q', '+33 6 98 76 54 32');
  await submit(page, 'form[role=search] button');
  assert.match(await page.textContent('main'), new RegExp(reference));
  await Promise.all([page.waitForNavigation(), page.click(`text=${reference}`)]);
  assert.equal(page.url(), requestPage);

  // Sign out: the workspace asks for an address again, the request page is closed.
  await page.goto(`${base}/espace/`);
  await submit(page, 'form[action="/espace/deconnexion"] button');
  assert.match(await page.textContent('h1'), /Vous êtes déconnecté\(e\)/);
  await assertFits(page, 'signed out');
  await page.goto(`${base}/espace/`);
  assert.ok(await page.isVisible('#courriel'), 'the sign-in form again');
  const closed = await context.request.get(requestPage);
  assert.ok(closed.status() >= 400, `the request page after signing out: ${closed.status()}`);
  assert.doesNotMatch(await closed.text(), /Germaine|Martin|06 98/);

  // No mail holds the caller's nor the person's details.
  for (const text of mailTexts(data)) {
    for (const secret of ['Chantal', 'Germaine', '03 24 00', '+33324', '06 98 76', 'Sa fille']) {
      assert.ok(!text.includes(secret), `a mail holds « ${secret} »:\n${text}`);
    }
  }
  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  // The only answer of 400 or more: the form sent back with its error (422), which Chromium also
  // logs on the console.
  const expected = (e) => e === `422 ${base}/espace/demandes/nouvelle` || /status of 422/.test(e);
  assert.ok(seen.errors.some(expected), 'the form with an error answers 422');
  assert.deepEqual(seen.errors.filter((e) => !expected(e)), [], 'no other error');
  await context.close();
});
