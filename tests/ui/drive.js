// t_mgmtd_ui's browser half: drives subnetra-mgmtd's dashboard in Debian's
// headless chromium (puppeteer-core) as an operator would, and checks each
// outcome both in the page (the DOM) and through the API.  TAP lines on
// stdout ("ok - ..." / "not ok - ..." / "# ..."); t_mgmtd_ui.sh numbers them.
//
// Environment: ADMIN (host:port, TLS), DEVICE (host:port), EMAIL, PASSWORD
// (the first admin's one-time password), SEED (a device identity seed, hex),
// ADDRESS (its overlay address), PEER (another fc94 address for its status),
// PYDEV (tests/tools/mgmt_device.py), SHOTS (a directory for screenshots),
// CHROMIUM (the browser).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const puppeteer = require('puppeteer-core');

const E = process.env;
const BASE = 'https://' + E.ADMIN;
const WAIT = 20000; // ms a page may take to show an outcome (the machine is shared)
let failed = 0;

function ok(cond, desc, diag) {
	console.log((cond ? 'ok - ' : 'not ok - ') + desc);
	if (!cond) {
		failed++;
		if (diag !== undefined) for (const l of String(diag).split('\n').slice(0, 20)) console.log('# ' + l);
	}
	return cond;
}

function device(method, target, body, seed = E.SEED) {
	const args = [E.PYDEV, 'req', E.DEVICE, seed, method, target];
	if (body !== undefined) args.push('--body', JSON.stringify(body));
	return execFileSync('python3', args, { encoding: 'utf8' }).trim();
}

// RFC 6238 with HMAC-SHA256, 6 digits, 30 s steps (the server's choice).
function b32decode(s) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of s.replace(/=+$/, '')) bits += abc.indexOf(c).toString(2).padStart(5, '0');
	const out = [];
	for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(out);
}
function totp(secret, step) {
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(step));
	const h = crypto.createHmac('sha256', b32decode(secret)).update(msg).digest();
	const o = h[h.length - 1] & 15;
	return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function shot(page, name) {
	const file = path.join(E.SHOTS, name + '.png');
	await page.screenshot({ path: file, fullPage: true });
	console.log('# screenshot: ' + file);
}

// A call of the API from the page: the session cookie, and the CSRF header
// unless csrf is false.  {status, body}.
async function api(page, method, p, body, csrf = true) {
	return page.evaluate(async (method, p, body, csrf) => {
		const headers = {};
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		if (csrf && method !== 'GET') headers['X-Subnetra-CSRF'] = (await (await fetch('/api/v1/me')).json()).csrf;
		const r = await fetch(p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		const t = await r.text();
		let j = null;
		try { j = JSON.parse(t); } catch (e) { j = t; }
		return { status: r.status, body: j };
	}, method, p, body, csrf);
}

// The error line under the form holding sel, once it matches re (its text).
async function formError(page, sel, re) {
	const fn = (sel, src) => {
		const f = document.querySelector(sel);
		const e = f && f.closest('form').nextElementSibling;
		return e && new RegExp(src).test(e.textContent) ? e.textContent : false;
	};
	try {
		return (await page.waitForFunction(fn, { timeout: WAIT }, sel, re.source)).jsonValue();
	} catch (e) {
		const got = await page.evaluate((sel) => {
			const f = document.querySelector(sel);
			return f ? f.closest('form').nextElementSibling.textContent : 'no ' + sel;
		}, sel);
		throw new Error('waited for ' + re + ' under ' + sel + ', saw: ' + got);
	}
}

// Navigate (a new document or only a new fragment) and wait for the page's
// heading: a selector of the page before cannot be mistaken for this one's.
async function go(page, p, title) {
	await page.goto(BASE + p, { waitUntil: 'domcontentloaded' });
	await page.waitForFunction((t) => {
		const h = document.querySelector('main h1');
		return h !== null && h.textContent === t;
	}, { timeout: WAIT }, title);
}

async function text(page, sel) {
	return page.$eval(sel, (e) => e.textContent);
}

async function signIn(page, password, code) {
	await page.waitForSelector('#f-email', { visible: true, timeout: WAIT });
	await page.$eval('#f-email', (e) => { e.value = ''; });
	await page.type('#f-email', E.EMAIL);
	await page.type('#f-password', password);
	if (code) await page.type('#f-totp', code);
	await page.click('form button[type=submit]');
}

async function main() {
	fs.mkdirSync(E.SHOTS, { recursive: true });
	const browser = await puppeteer.launch({
		executablePath: E.CHROMIUM,
		headless: true,
		timeout: 3 * WAIT, // the browser's start, on a busy machine
		acceptInsecureCerts: true, // the instance's self-signed certificate
		args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
			'--user-data-dir=' + E.PROFILE],
	});
	const page = await browser.newPage();
	page.setDefaultTimeout(WAIT);
	page.setDefaultNavigationTimeout(3 * WAIT);
	await page.setViewport({ width: 1280, height: 800 });
	const errors = [];
	page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
	// Every console error but the browser's note of an HTTP error status (the
	// test asks for refusals on purpose): script errors, CSP violations.
	page.on('console', (m) => {
		if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
			errors.push('console: ' + m.text());
	});

	// ---- the page itself: headers, sign-in --------------------------------------
	const resp = await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
	const h = resp.headers();
	ok(resp.status() === 200 && /text\/html/.test(h['content-type']), 'GET / is the dashboard (200, text/html)');
	ok(/script-src 'self'/.test(h['content-security-policy'] || '') && !/unsafe-inline/.test(h['content-security-policy']),
		"a strict Content-Security-Policy (script-src 'self', no unsafe-inline)", h['content-security-policy']);
	ok(h['x-frame-options'] === 'DENY', 'X-Frame-Options: DENY');
	ok(/^"[0-9a-f]{32}"$/.test(h.etag || ''), 'an ETag', h.etag);
	await page.waitForSelector('#f-email', { visible: true, timeout: WAIT });
	ok(true, 'the sign-in form shows');
	await shot(page, '01-signin');
	await signIn(page, 'wrong password 123');
	await formError(page, '#f-email', /wrong/);
	ok(true, 'a wrong password: the form says so');
	await page.$eval('#f-password', (e) => { e.value = ''; });
	await signIn(page, E.PASSWORD);
	await page.waitForSelector('#must-change', { visible: true, timeout: WAIT });
	ok((await text(page, '#who')) === E.EMAIL && (await text(page, 'h1')) === 'Account',
		"signed in with the one-time password: the account page first, asking to change it");
	let r = await api(page, 'GET', '/api/v1/me');
	ok(r.status === 200 && r.body.via === 'session', 'the API agrees: a session (GET /api/v1/me)', JSON.stringify(r));

	// ---- networks ------------------------------------------------------------
	await go(page, '/#/networks', 'Networks');
	await page.waitForSelector('#f-name', { visible: true, timeout: WAIT });
	await page.type('#f-name', 'robots');
	await page.click('form button[type=submit]');
	await page.waitForSelector('tr[data-network="robots"]', { timeout: WAIT });
	r = await api(page, 'GET', '/api/v1/networks');
	const net = r.body.items.find((n) => n.name === 'robots');
	ok(net !== undefined, 'a network made in the page (robots): listed, and the API has it', JSON.stringify(r.body));

	// ---- a join code, with its QR code ------------------------------------------------
	await go(page, '/#/codes', 'Join codes');
	await page.waitForSelector('#f-kind', { visible: true, timeout: WAIT });
	await page.select('#f-expires', '86400');
	await page.click('form button[type=submit]');
	await page.waitForSelector('#code-text', { visible: true, timeout: WAIT });
	const code = await text(page, '#code-text');
	ok(/^snj_/.test(code), 'a join code made in the page is shown (snj_...)', code);
	ok((await text(page, '#code-cmd')) === 'subnetra join ' + code, 'with the command that uses it');
	const qr = await page.$eval('img.qr', (e) => ({ src: e.src, w: e.naturalWidth, done: e.complete }));
	ok(qr.src.startsWith('data:image/svg+xml;base64,') && qr.done && qr.w > 0, 'and its QR code, an SVG the browser drew', JSON.stringify(qr).slice(0, 200));
	const svg = Buffer.from(qr.src.split(',')[1], 'base64').toString();
	ok(/^<svg [^>]*viewBox='0 0 (\d+) \1'/.test(svg) && /<path fill='#000' d='M/.test(svg), 'the SVG is a square of modules');
	await page.waitForSelector('tr[data-code]', { timeout: WAIT });
	r = await api(page, 'GET', '/api/v1/join-codes');
	ok(r.body.items.length === 1 && code.includes(r.body.items[0].prefix) && JSON.stringify(r.body).indexOf(code) < 0,
		'the API lists it by its prefix only', JSON.stringify(r.body));
	await shot(page, '03-join-code');

	// ---- the device joins while the devices page is open ----------------------------------
	await go(page, '/#/devices', 'Devices');
	await page.waitForSelector('#devices table', { timeout: WAIT });
	ok((await page.$$('tr[data-address]')).length === 0, 'the devices page: no device yet');
	let out = device('POST', '/device/v1/join', { code, hostname: 'robot-ui' });
	ok(/^200 /.test(out), 'the simulated device joins with the code from the page', out);
	const row = `tr[data-address="${E.ADDRESS}"]`;
	await page.waitForSelector(row, { timeout: WAIT });
	ok(true, 'the device appears in the open devices table without a reload');
	ok((await text(page, row + ' td:nth-child(4)')) === '—', 'no status report yet: no paths');
	out = device('POST', '/device/v1/status', {
		applied: null, agent: 'subnetra/ui-test', endpoints: ['203.0.113.7:4500'],
		peers: [{ address: E.PEER, path: 'direct', rtt_ms: 3, last_handshake_s: 5, rx: 10, tx: 20 },
			{ address: 'fc94::77', path: 'relay-udp', rtt_ms: null, last_handshake_s: null, rx: 0, tx: 0 }],
	});
	ok(/^204 /.test(out), 'it reports its status (online, one peer direct, one relayed)', out);
	await page.waitForFunction((row) => {
		const tr = document.querySelector(row);
		return tr && tr.dataset.online === 'yes' && /1 direct/.test(tr.textContent) && /1 relayed/.test(tr.textContent);
	}, { timeout: WAIT }, row).catch(async (e) => {
		console.log('# row: ' + await page.$eval(row, (t) => t.outerHTML));
		console.log('# api: ' + JSON.stringify(await api(page, 'GET', '/api/v1/devices')));
		throw e;
	});
	ok((await text(page, row + ' td.state')) === 'online', 'the table shows it online, 1 direct and 1 relayed, live');
	r = await api(page, 'GET', '/api/v1/devices');
	const dev = r.body.items.find((d) => d.address === E.ADDRESS);
	ok(dev && dev.online && dev.hostname === 'robot-ui' && dev.status && dev.status.peers_direct === 1 && dev.status.peers_relayed === 1,
		'the API agrees (online, the status summary)', JSON.stringify(dev));
	await page.click(row + ' button');
	await page.waitForSelector('table.peers', { timeout: WAIT });
	const peersText = await text(page, 'table.peers');
	ok(peersText.includes(E.PEER) && peersText.includes('relay-udp') && peersText.includes('203.0.113.7:4500'),
		'its peers: each path, and its endpoints', peersText);
	await shot(page, '04-devices');
	await page.setViewport({ width: 390, height: 844, isMobile: true });
	await shot(page, '04-devices-phone');
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	ok(wide <= 390, 'on a phone the page is no wider than the screen (the table scrolls inside)', wide);
	await page.setViewport({ width: 1280, height: 800 });

	// ---- add it to the network in the page -------------------------------------------
	await go(page, '/#/networks', 'Networks');
	await page.waitForSelector('tr[data-network="robots"] button', { timeout: WAIT });
	await page.click('tr[data-network="robots"] button');
	await page.waitForSelector('#f-device', { timeout: WAIT });
	await page.select('#f-device', E.ADDRESS);
	await page.click('#members-title + .card button[type=submit]');
	await page.waitForSelector('tr[data-member="robot-ui"]', { timeout: WAIT });
	r = await api(page, 'GET', '/api/v1/devices?network=' + net.id);
	ok(r.body.items.length === 1 && r.body.items[0].address === E.ADDRESS,
		'added to robots in the page: a member there, and in the API', JSON.stringify(r.body));
	out = device('GET', '/device/v1/config?wait=0');
	ok(/^200 /.test(out), "the device's config answers (its bundle names the change)", out.slice(0, 200));
	await shot(page, '02-networks');

	// ---- a claim link: a device without a code, claimed into robots --------------------
	const claimSecret = crypto.randomBytes(32).toString('hex');
	const secretHash = execFileSync('python3', ['-c',
		'import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).hexdigest())', claimSecret],
	{ encoding: 'utf8' }).trim();
	out = device('POST', '/device/v1/claim-request', { secret_hash: secretHash, hostname: 'claimed-ui' }, E.SEED2);
	ok(/^200 /.test(out), 'a second device asks to be claimed (claim request)', out);
	await go(page, '/claim#' + E.ADDRESS2 + '.' + claimSecret, 'Claim a device');
	await page.waitForSelector('#f-network', { timeout: WAIT });
	ok((await text(page, 'main')).includes(E.ADDRESS2), 'the claim link opens the claim page naming the device');
	await page.select('#f-network', String(net.id));
	await shot(page, '08-claim');
	await page.click('main form button[type=submit]');
	await page.waitForFunction(() => location.pathname === '/' && location.hash === '#/devices', { timeout: WAIT });
	await page.waitForSelector(`tr[data-address="${E.ADDRESS2}"]`, { timeout: WAIT });
	r = await api(page, 'GET', '/api/v1/devices?network=' + net.id);
	ok(r.body.items.some((d) => d.address === E.ADDRESS2 && d.hostname === 'claimed-ui'),
		'claimed in the page: listed, and a member of robots in the API', JSON.stringify(r.body));
	r = await api(page, 'POST', '/api/v1/claims', { secret: claimSecret });
	ok(r.status === 404, 'the claim secret works once', JSON.stringify(r));

	// ---- CSRF ------------------------------------------------------------------------
	r = await api(page, 'POST', '/api/v1/networks', { name: 'evil' }, false);
	ok(r.status === 403 && r.body.error && r.body.error.code === 'csrf', 'a change without X-Subnetra-CSRF: 403 csrf', JSON.stringify(r));
	await Promise.all([
		page.waitForNavigation({ timeout: WAIT }),
		page.evaluate(() => {
			const f = document.createElement('form');
			f.method = 'POST'; f.action = '/api/v1/networks'; f.enctype = 'text/plain';
			const i = document.createElement('input');
			i.name = '{"name":"evil","x":"'; i.value = '"}';
			f.append(i); document.body.append(f); f.submit();
		}),
	]);
	const formAnswer = await page.evaluate(() => document.body.textContent);
	ok(/"code":"csrf"/.test(formAnswer), 'a plain HTML form post (no header): refused, csrf', formAnswer);
	await go(page, '/#/networks', 'Networks');
	r = await api(page, 'GET', '/api/v1/networks');
	ok(r.body.items.every((n) => n.name !== 'evil'), 'and nothing was made');

	// ---- tokens, audit ---------------------------------------------------------------------
	await go(page, '/#/tokens', 'API tokens');
	await page.waitForSelector('#f-scope', { visible: true, timeout: WAIT });
	await page.select('#f-scope', 'read');
	await page.type('#f-description', 'ui test');
	await page.click('form button[type=submit]');
	await page.waitForSelector('#token-text', { visible: true, timeout: WAIT });
	const token = await text(page, '#token-text');
	const tr = await fetchToken(token);
	ok(/^snt_/.test(token) && tr === 200, 'a token made in the page (shown once) works as a bearer token', token.slice(0, 8) + ' ' + tr);
	await shot(page, '05-tokens');
	await go(page, '/#/audit', 'Audit log');
	await page.waitForSelector('main table', { timeout: WAIT });
	const audit = await text(page, 'main table');
	ok(['network.create', 'network.attach', 'device.join', 'token.create'].every((a) => audit.includes(a)),
		'the audit log page lists the changes made (network.create, device.join, network.attach, token.create)', audit.slice(0, 600));
	await shot(page, '06-audit');

	// ---- account: password change, then TOTP -------------------------------------------
	const newPw = 'a new password ' + crypto.randomBytes(4).toString('hex');
	await go(page, '/#/account', 'Account');
	await page.waitForSelector('#f-current', { visible: true, timeout: WAIT });
	await page.type('#f-current', 'not the password');
	await page.type('#f-next', newPw);
	await page.type('#f-again', newPw);
	await page.click('form button[type=submit]');
	await formError(page, '#f-current', /current password is wrong/);
	ok(true, 'a password change with a wrong current password: refused, the form says so');
	await page.$eval('#f-current', (e) => { e.value = ''; });
	await page.type('#f-current', E.PASSWORD);
	await page.click('form button[type=submit]');
	await page.waitForFunction(() => document.querySelector('#toast').textContent === 'Password changed', { timeout: WAIT })
		.catch(async () => { throw new Error('no "Password changed": ' + await formError(page, '#f-current', /./)); });
	r = await api(page, 'GET', '/api/v1/me');
	ok(r.body.account.must_change_password === false && (await page.$('#must-change')) === null,
		'the password changed (must_change_password now false, the notice gone)', JSON.stringify(r.body));

	await page.type('#totp input[name=password]', newPw);
	await page.click('#totp button[type=submit]');
	await page.waitForSelector('#totp-secret', { visible: true, timeout: WAIT });
	const secret = await text(page, '#totp-secret');
	const uri = await text(page, '#totp-uri');
	ok(/^[A-Z2-7]{32,}$/.test(secret) && uri.startsWith('otpauth://totp/') && uri.includes('algorithm=SHA256') && uri.includes('secret=' + secret),
		'TOTP set-up shows the secret, an otpauth:// URI (SHA256) and its QR code', uri.replace(secret, '<secret>'));
	ok((await page.$('#totp img.qr')) !== null, 'the QR code of the URI is on the page');
	await shot(page, '07-account-totp');
	const step = Math.floor(Date.now() / 30000);
	await page.type('#totp input[name=code]', totp(secret, step));
	await page.click('#totp .secret button[type=submit]');
	await page.waitForSelector('#totp-state.on', { timeout: WAIT });
	ok(true, 'confirmed with a code from the secret: TOTP enabled');
	r = await api(page, 'GET', '/api/v1/me/totp');
	ok(r.body.enabled === true, 'the API agrees (GET /api/v1/me/totp)', JSON.stringify(r.body));
	await shot(page, '07-account');

	// Sign out; in again: the password alone is not enough, a used code neither.
	await page.click('#signout');
	await page.waitForSelector('#f-email', { visible: true, timeout: WAIT });
	await signIn(page, newPw);
	await formError(page, '#f-email', /authenticator app/);
	ok(true, 'signing in without the code: refused, asked for it');
	await page.$eval('#f-password', (e) => { e.value = ''; });
	await page.$eval('#f-totp', (e) => { e.value = ''; });
	await signIn(page, newPw, totp(secret, step));
	await formError(page, '#f-email', /already used/);
	ok(true, 'the code already used (to confirm) is refused');
	await page.$eval('#f-password', (e) => { e.value = ''; });
	await page.$eval('#f-totp', (e) => { e.value = ''; });
	await signIn(page, newPw, totp(secret, Math.max(step + 1, Math.floor(Date.now() / 30000))));
	await page.waitForFunction(() => !document.querySelector('#top').hidden, { timeout: WAIT })
		.catch(async () => { throw new Error('not signed in: ' + await formError(page, '#f-email', /./)); });
	ok(true, 'signed in again with the password and a fresh code');
	await go(page, '/#/devices', 'Devices');
	await page.waitForFunction((row) => document.querySelector(row) !== null, { timeout: WAIT }, row)
		.catch(async () => { throw new Error('no device row: ' + await page.evaluate(() => location.href + ' ' + document.querySelector('main').textContent)); });
	ok(true, 'the device is still listed');

	// ---- device actions: rename, block, unblock, delete -----------------------------------
	await page.click(row + ' button');
	await page.waitForSelector('tr.details input[name=hostname]', { timeout: WAIT });
	await page.$eval('tr.details input[name=hostname]', (e) => { e.value = ''; });
	await page.type('tr.details input[name=hostname]', 'robot-two');
	await page.click('tr.details form button[type=submit]');
	await page.waitForFunction((row) => /robot-two/.test(document.querySelector(row).textContent), { timeout: WAIT }, row);
	r = await api(page, 'GET', '/api/v1/devices');
	let d1 = r.body.items.find((d) => d.address === E.ADDRESS);
	ok(d1.hostname === 'robot-two', 'renamed in the page (the API agrees)', JSON.stringify(d1));
	const clickText = (label) => page.evaluate((label) => {
		const b = [...document.querySelectorAll('tr.details button')].find((x) => x.textContent === label);
		if (b) b.click();
		return b !== undefined;
	}, label);
	ok(await clickText('Block'), 'a Block button under the open device');
	await page.waitForFunction((row) => /blocked/.test(document.querySelector(row).textContent), { timeout: WAIT }, row);
	r = await api(page, 'GET', '/api/v1/devices');
	d1 = r.body.items.find((d) => d.address === E.ADDRESS);
	ok(d1.blocked === true, 'blocked in the page: marked, and the API agrees');
	await shot(page, '09-device-actions');
	await page.waitForFunction(() => [...document.querySelectorAll('tr.details button')].some((x) => x.textContent === 'Unblock'), { timeout: WAIT });
	await clickText('Unblock');
	await page.waitForFunction((row) => !/blocked/.test(document.querySelector(row).textContent), { timeout: WAIT }, row);
	r = await api(page, 'GET', '/api/v1/devices');
	ok(r.body.items.find((d) => d.address === E.ADDRESS).blocked === false, 'unblocked again');
	const row2 = `tr[data-address="${E.ADDRESS2}"]`;
	await page.click(row + ' button'); // close the first one
	await page.waitForFunction(() => !document.querySelector('tr.details'), { timeout: WAIT });
	await page.click(row2 + ' button');
	await page.waitForSelector('tr.details input[name=hostname]', { timeout: WAIT });
	page.once('dialog', (dlg) => dlg.accept());
	await clickText('Delete');
	await page.waitForFunction((row2) => document.querySelector(row2) === null, { timeout: WAIT }, row2);
	r = await api(page, 'GET', '/api/v1/devices');
	ok(r.body.items.every((d) => d.address !== E.ADDRESS2) && r.body.items.length === 1,
		'the claimed device deleted in the page (after a confirmation): gone from the API too', JSON.stringify(r.body));

	ok(errors.length === 0, 'no script error and no CSP violation in the page', errors.join('\n'));
	await browser.close();
}

// The token, outside the browser (Node's https, the instance's certificate).
function fetchToken(token) {
	return new Promise((resolve) => {
		const https = require('https');
		const req = https.request({
			host: E.ADMIN.split(':')[0], port: E.ADMIN.split(':')[1], path: '/api/v1/me',
			ca: fs.readFileSync(E.CERT), headers: { Authorization: 'Bearer ' + token },
		}, (res) => { res.resume(); resolve(res.statusCode); });
		req.on('error', (e) => resolve(String(e)));
		req.end();
	});
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
	console.log('not ok - the browser run stopped: ' + String(e.message).split('\n')[0]);
	for (const l of String(e.stack).split('\n').slice(0, 15)) console.log('# ' + l);
	process.exit(1);
});
