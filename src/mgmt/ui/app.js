/*
 * subnetra dashboard: a thin client of /api/v1.  No framework and no build
 * step; every element is made with el() and filled with textContent, so no
 * text from the server is ever parsed as markup.  A session is the
 * HttpOnly cookie the sign-in set plus its CSRF token (from the sign-in
 * answer or GET /me), sent as X-Subnetra-CSRF with every change.
 */
'use strict';

const S = { me: null, csrf: '', timer: null, poll: null, gen: 0, devices: [], networks: [] };
const POLL_MS = 2000;

/* ---- helpers -------------------------------------------------------------- */

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else if (k === 'text') e.textContent = v;
		else e.setAttribute(k, v === true ? '' : v);
	}
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false) continue;
		e.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return e;
}

function main() { return document.getElementById('main'); }

/* A page's content, unless another page was asked for while it loaded. */
function render(gen, ...nodes) {
	if (gen !== S.gen) throw new Error('superseded');
	main().replaceChildren(...nodes);
}

function toast(msg) {
	const t = document.getElementById('toast');
	t.textContent = msg;
	t.hidden = false;
	clearTimeout(S.timer);
	S.timer = setTimeout(() => { t.hidden = true; }, 3500);
}

function when(t) {
	if (!t) return '—';
	return new Date(t * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function ago(t) {
	if (!t) return 'never';
	const s = Math.max(0, Math.round(Date.now() / 1000 - t));
	if (s < 60) return s + ' s ago';
	if (s < 3600) return Math.round(s / 60) + ' min ago';
	if (s < 86400) return Math.round(s / 3600) + ' h ago';
	return when(t);
}

class ApiError extends Error {
	constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/* One API call: JSON in and out; a lost session sends the user to sign-in. */
async function api(method, path, body) {
	const headers = {};
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && S.csrf) headers['X-Subnetra-CSRF'] = S.csrf;
	const r = await fetch('/api/v1' + path, {
		method, headers, credentials: 'same-origin', cache: 'no-store',
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (r.status === 204) return null;
	let j = null;
	try { j = await r.json(); } catch (e) { j = null; }
	if (!r.ok) {
		const err = (j && j.error) || { code: 'http_' + r.status, message: r.statusText };
		if (r.status === 401 && path !== '/login' && S.me) { S.me = null; route(); }
		throw new ApiError(r.status, err.code, err.message);
	}
	return j;
}

/* Every page of a list (the dashboard's lists are small; the audit log pages). */
async function all(path) {
	let items = [], cursor = null;
	const sep = path.includes('?') ? '&' : '?';
	do {
		const j = await api('GET', path + sep + 'limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
		items = items.concat(j.items);
		cursor = j.next_cursor;
	} while (cursor);
	return items;
}

function table(headers, rows, empty) {
	const body = rows.length ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: headers.length, text: empty }))];
	return el('div', { class: 'table-wrap' },
		el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => {
			const [text, cls] = Array.isArray(h) ? h : [h, null];
			return el('th', { class: cls, text });
		}))), el('tbody', {}, body)));
}

/* A form whose submit runs fn(values) and shows its error in place. */
function form(cls, fields, label, fn) {
	const err = el('div', { class: 'error', role: 'alert' });
	const btn = el('button', { type: 'submit', text: label });
	const f = el('form', { class: cls, novalidate: true }, fields, btn);
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		err.textContent = '';
		btn.disabled = true;
		try { await fn(f.elements, f); } catch (e) { err.textContent = e.message; }
		btn.disabled = false;
	});
	return el('div', {}, f, err);
}

function input(name, label, attrs) {
	return el('label', {}, label, el('input', Object.assign({ name, id: 'f-' + name }, attrs || {})));
}

function select(name, label, options, attrs) {
	return el('label', {}, label, el('select', Object.assign({ name, id: 'f-' + name }, attrs || {}),
		options.map(([v, t]) => el('option', { value: v, text: t }))));
}

function netName(id) {
	if (id === null || id === undefined) return '—';
	const n = S.networks.find((x) => x.id === id);
	return n ? n.name : '#' + id;
}

async function loadNetworks() { S.networks = await all('/networks'); return S.networks; }

function qrImage(svg, alt) {
	return el('img', { class: 'qr', alt, src: 'data:image/svg+xml;base64,' + btoa(svg) });
}

/* ---- sign-in -------------------------------------------------------------- */

function pageSignin(msg) {
	document.getElementById('top').hidden = true;
	const box = el('div', { class: 'card narrow' },
		el('h1', { text: 'Sign in to subnetra' }),
		form('stack', [
			input('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
			input('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
			input('totp', 'Authenticator code (if enabled)', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 }),
		], 'Sign in', async (f) => {
			const body = { email: f.email.value, password: f.password.value };
			if (f.totp.value) body.totp = f.totp.value;
			const j = await api('POST', '/login', body);
			S.me = j.account; S.csrf = j.csrf;
			f.password.value = '';
			/* A one-time password is changed first; else back where the user was. */
			if (location.pathname !== '/claim' && (j.account.must_change_password || !location.hash))
				history.replaceState(null, '', j.account.must_change_password ? '/#/account' : '/#/devices');
			route();
		}),
		msg ? el('p', { class: 'muted', text: msg }) : null);
	main().replaceChildren(box);
	document.getElementById('f-email').focus();
}

/* ---- devices -------------------------------------------------------------- */

function pathPills(d) {
	const s = d.status;
	if (!s) return el('span', { class: 'muted', text: '—' });
	const out = [];
	if (s.peers_direct) out.push(el('span', { class: 'pill on', text: s.peers_direct + ' direct' }));
	if (s.peers_relayed) out.push(el('span', { class: 'pill relay', text: s.peers_relayed + ' relayed' }));
	if (s.peers_none) out.push(el('span', { class: 'pill off', text: s.peers_none + ' no path' }));
	if (!out.length) out.push(el('span', { class: 'muted', text: 'no peers' }));
	return el('span', {}, out.map((p, i) => [i ? ' ' : '', p]));
}

async function peerRows(d, into) {
	const full = await api('GET', '/devices/' + d.id);
	const peers = (full.report && full.report.peers) || [];
	const byAddr = new Map(S.devices.map((x) => [x.address, x.hostname]));
	into.replaceChildren(el('table', { class: 'peers' },
		el('tr', {}, ['Peer', 'Path', 'RTT', 'Last handshake'].map((h) => el('th', { text: h }))),
		peers.length ? peers.map((p) => el('tr', {},
			el('td', {}, byAddr.get(p.address) || '', ' ', el('code', { text: p.address })),
			el('td', {}, el('span', { class: 'pill ' + (p.path === 'direct' ? 'on' : p.path === 'none' ? 'off' : 'relay'), text: p.path })),
			el('td', { text: p.rtt_ms === null ? '—' : p.rtt_ms + ' ms' }),
			el('td', { text: p.last_handshake_s === null ? '—' : p.last_handshake_s + ' s ago' })))
			: el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'no peer reported' })),
		full.report && full.report.endpoints.length
			? el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'Endpoints: ', full.report.endpoints.join(', '))) : null));
}

/* Rename, block or unblock, delete: one PATCH or DELETE each (one audit row). */
function deviceActions(d) {
	const change = async (body, done) => {
		try { await api('PATCH', '/devices/' + d.id, body); toast(done); await refreshDevices(); } catch (e) { toast(e.message); }
	};
	return el('div', { class: 'toolbar actions' },
		form('row', [input('hostname', 'Name', { value: d.hostname, maxlength: 63, autocomplete: 'off' })], 'Rename', async (f) => {
			await api('PATCH', '/devices/' + d.id, { hostname: f.hostname.value });
			f.hostname.blur();
			toast('Renamed'); await refreshDevices();
		}),
		el('button', { class: 'secondary', type: 'button', text: d.blocked ? 'Unblock' : 'Block',
			onclick: () => change({ blocked: !d.blocked }, d.blocked ? 'Unblocked' : 'Blocked: its peers drop it') }),
		el('button', { class: 'danger', type: 'button', text: 'Delete', onclick: async () => {
			if (!confirm('Delete ' + d.hostname + '? It leaves every network; it can join again with a code.')) return;
			try { await api('DELETE', '/devices/' + d.id); openPeers.delete(d.id); toast('Deleted'); await refreshDevices(); } catch (e) { toast(e.message); }
		} }));
}

function deviceRow(d, open) {
	const tr = el('tr', { 'data-address': d.address, 'data-online': d.online ? 'yes' : 'no' },
		el('td', {}, el('strong', { text: d.hostname }), d.blocked ? [' ', el('span', { class: 'pill bad', text: 'blocked' })] : null),
		el('td', {}, el('code', { text: d.address })),
		el('td', { class: 'state' }, el('span', { class: 'pill ' + (d.online ? 'on' : 'off'), text: d.online ? 'online' : 'offline' })),
		el('td', {}, pathPills(d)),
		el('td', { class: 'hide-sm', text: d.agent || '—' }),
		el('td', { class: 'hide-sm', text: ago(d.last_seen) }),
		el('td', {}, el('button', { class: 'link', type: 'button', text: open.has(d.id) ? 'Hide peers' : 'Peers',
			onclick: () => { if (open.has(d.id)) open.delete(d.id); else open.add(d.id); refreshDevices(); } })));
	if (!open.has(d.id)) return [tr];
	const peers = el('div', { text: 'Loading…' });
	peerRows(d, peers).catch((e) => { peers.textContent = e.message; });
	return [tr, el('tr', { class: 'details' }, el('td', { colspan: 7 }, peers, deviceActions(d)))];
}

const openPeers = new Set();
let devFilter = '';

async function refreshDevices() {
	const wrap = document.getElementById('devices');
	const count = document.getElementById('dev-count');
	if (!wrap || !count) return;
	/* Not under the user's typing: a rename in progress keeps its field. */
	if (document.activeElement && wrap.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
	const q = devFilter ? '?network=' + encodeURIComponent(devFilter) : '';
	S.devices = await all('/devices' + q);
	const online = S.devices.filter((d) => d.online).length;
	count.textContent = S.devices.length + (S.devices.length === 1 ? ' device, ' : ' devices, ') + online + ' online';
	wrap.replaceChildren(table(['Name', 'Address', 'State', 'Path to peers', ['Version', 'hide-sm'], ['Last seen', 'hide-sm'], ''],
		S.devices.flatMap((d) => deviceRow(d, openPeers)), 'No devices yet: create a join code and run subnetra join on a device.'));
}

async function pageDevices(gen) {
	await loadNetworks();
	const filter = select('network', 'Network', [['', 'All networks']].concat(S.networks.map((n) => [String(n.id), n.name])));
	filter.querySelector('select').value = devFilter;
	filter.querySelector('select').addEventListener('change', (e) => { devFilter = e.target.value; refreshDevices(); });
	render(gen, el('h1', { text: 'Devices' }),
		el('div', { class: 'toolbar' }, filter, el('span', { id: 'dev-count', class: 'muted' })),
		el('p'), el('div', { id: 'devices' }));
	await refreshDevices();
	/* Online state and paths come from the devices' status reports, which are
	 * not audited changes (/api/v1/events does not move for them): poll. */
	S.poll = setInterval(() => { if (gen === S.gen) refreshDevices().catch(() => {}); }, POLL_MS);
}

/* ---- networks ------------------------------------------------------------- */

let netOpen = null;

async function pageNetworks(gen) {
	await loadNetworks();
	const devices = await all('/devices');
	S.devices = devices;
	const rows = S.networks.map((n) => el('tr', { 'data-network': n.name },
		el('td', {}, el('button', { class: 'link', type: 'button', text: n.name, onclick: () => { netOpen = n.id; route(); } })),
		el('td', { text: n.members }),
		el('td', { class: 'hide-sm', text: when(n.created_at) }),
		el('td', {}, el('button', { class: 'danger', type: 'button', text: 'Delete', onclick: async () => {
			if (!confirm('Delete network ' + n.name + '? Its devices leave it.')) return;
			try { await api('DELETE', '/networks/' + n.id); if (netOpen === n.id) netOpen = null; route(); } catch (e) { toast(e.message); }
		} }))));
	const parts = [el('h1', { text: 'Networks' }),
		el('div', { class: 'card' }, form('row', [input('name', 'New network', { placeholder: 'e.g. robots', required: true })], 'Create', async (f) => {
			const j = await api('POST', '/networks', { name: f.name.value });
			netOpen = j.id; toast('Network ' + j.name + ' created'); route();
		})),
		table(['Name', 'Members', ['Created', 'hide-sm'], ''], rows, 'No networks yet.')];
	const net = S.networks.find((n) => n.id === netOpen);
	if (net) {
		const members = await all('/devices?network=' + net.id);
		const inNet = new Set(members.map((d) => d.address));
		const others = devices.filter((d) => !inNet.has(d.address));
		parts.push(el('h2', { id: 'members-title', text: 'Members of ' + net.name }),
			el('div', { class: 'card' }, others.length
				? form('row', [select('device', 'Add a device', others.map((d) => [d.address, d.hostname + ' (' + d.address + ')']))], 'Add to network', async (f) => {
					await api('PUT', '/networks/' + net.id + '/devices/' + encodeURIComponent(f.device.value));
					toast('Device added to ' + net.name); route();
				})
				: el('p', { class: 'muted', text: 'Every device is already a member.' })),
			table(['Name', 'Address', 'State', ''], members.map((d) => el('tr', { 'data-member': d.hostname },
				el('td', { text: d.hostname }), el('td', {}, el('code', { text: d.address })),
				el('td', {}, el('span', { class: 'pill ' + (d.online ? 'on' : 'off'), text: d.online ? 'online' : 'offline' })),
				el('td', {}, el('button', { class: 'danger', type: 'button', text: 'Remove', onclick: async () => {
					try { await api('DELETE', '/networks/' + net.id + '/devices/' + encodeURIComponent(d.address)); route(); } catch (e) { toast(e.message); }
				} })))), 'No members yet.'));
	}
	render(gen, ...parts);
}

/* ---- join codes and claims ---------------------------------------------------- */

const EXPIRY = [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days'], ['0', 'Never']];

function codeState(c) {
	const now = Date.now() / 1000;
	if (c.revoked_at) return ['revoked', 'off'];
	if (c.expires_at && c.expires_at <= now) return ['expired', 'off'];
	if (!c.reusable && c.used >= 1) return ['used', 'off'];
	if (c.usage_limit && c.used >= c.usage_limit) return ['used up', 'off'];
	return ['live', 'on'];
}

async function pageCodes(gen) {
	await loadNetworks();
	const codes = await all('/join-codes');
	const shown = el('div', { id: 'new-code' });
	const rows = codes.slice().reverse().map((c) => {
		const [state, cls] = codeState(c);
		return el('tr', { 'data-code': c.prefix },
			el('td', {}, el('code', { text: 'snj_' + c.prefix + '…' }), c.description ? el('div', { class: 'muted', text: c.description }) : null),
			el('td', { text: netName(c.network) }),
			el('td', { text: c.reusable ? 'reusable' + (c.usage_limit ? ' (' + c.used + '/' + c.usage_limit + ')' : ' (' + c.used + ' used)') : 'single use' }),
			el('td', { class: 'hide-sm', text: c.expires_at ? when(c.expires_at) : 'never' }),
			el('td', {}, el('span', { class: 'pill ' + cls, text: state })),
			el('td', {}, state === 'live' ? el('button', { class: 'danger', type: 'button', text: 'Revoke', onclick: async () => {
				try { await api('DELETE', '/join-codes/' + c.id); toast('Code revoked'); route(); } catch (e) { toast(e.message); }
			} }) : null));
	});
	render(gen, el('h1', { text: 'Join codes' }), shown,
		el('div', { class: 'card' }, form('row', [
			select('network', 'Target network', [['', 'None (my account)']].concat(S.networks.map((n) => [String(n.id), n.name]))),
			select('kind', 'Use', [['single', 'Single use'], ['reusable', 'Reusable']]),
			input('limit', 'Usage limit (reusable)', { type: 'number', min: 0, placeholder: 'no limit', size: 8 }),
			select('expires', 'Expires in', EXPIRY),
			input('description', 'Description', { maxlength: 127 }),
		], 'Create join code', async (f) => {
			const body = { reusable: f.kind.value === 'reusable' };
			if (f.network.value) body.network = Number(f.network.value);
			if (body.reusable && f.limit.value) body.usage_limit = Number(f.limit.value);
			if (f.expires.value !== '0') body.expires_at = Math.floor(Date.now() / 1000) + Number(f.expires.value);
			if (f.description.value) body.description = f.description.value;
			const j = await api('POST', '/join-codes', body);
			await pageCodes(S.gen);
			showCode(j);
		})),
		table(['Code', 'Network', 'Use', ['Expires', 'hide-sm'], 'State', ''], rows, 'No join codes yet.'),
		el('p', { class: 'muted', text: 'A device without a code shows a claim link instead (…/claim#…): open it here while signed in to claim the device.' }));
}

/* A new code: shown once (the server keeps only its hash). */
function showCode(j) {
	const cmd = 'subnetra join ' + j.code;
	document.getElementById('new-code').replaceChildren(el('div', { class: 'secret' },
		el('strong', { text: 'New join code: copy it now, it is not shown again.' }),
		el('code', { class: 'cmd', id: 'code-text', text: j.code }),
		el('div', {}, 'On the device run:'),
		el('code', { class: 'cmd', id: 'code-cmd', text: cmd }),
		j.qr_svg ? qrImage(j.qr_svg, 'QR code of: ' + cmd) : null,
		el('button', { class: 'secondary', type: 'button', text: 'Copy command', onclick: () => {
			navigator.clipboard.writeText(cmd).then(() => toast('Copied'), () => toast('Copy failed: select the text instead'));
		} })));
}

async function pageClaim(gen) {
	await loadNetworks();
	const frag = location.hash.slice(1);
	const dot = frag.lastIndexOf('.');
	const address = dot > 0 ? frag.slice(0, dot) : '';
	const secret = dot > 0 ? frag.slice(dot + 1) : '';
	if (!/^[0-9a-f]{64}$/.test(secret)) {
		render(gen, el('h1', { text: 'Claim a device' }), el('p', { class: 'error', text: 'This claim link is incomplete: open the whole link the device showed.' }));
		return;
	}
	render(gen, el('h1', { text: 'Claim a device' }),
		el('div', { class: 'card' }, el('p', {}, 'The device ', el('code', { text: address }), ' asks to join. Claim it into:'),
			form('row', [select('network', 'Network', [['', 'None (my account)']].concat(S.networks.map((n) => [String(n.id), n.name])))], 'Claim device', async (f) => {
				const body = { secret };
				if (f.network.value) body.network = Number(f.network.value);
				await api('POST', '/claims', body);
				history.replaceState(null, '', '/#/devices');
				toast('Device claimed'); route();
			})));
}

/* ---- tokens --------------------------------------------------------------- */

async function pageTokens(gen) {
	const tokens = await all('/tokens');
	const shown = el('div', { id: 'new-token' });
	render(gen, el('h1', { text: 'API tokens' }), shown,
		el('div', { class: 'card' }, form('row', [
			select('scope', 'Scope', [['read', 'read'], ['write', 'write'], ['admin', 'admin']]),
			input('description', 'Description', { maxlength: 127, placeholder: 'e.g. CI' }),
			select('expires', 'Expires in', EXPIRY.slice(1)),
		], 'Create token', async (f) => {
			const body = { scope: f.scope.value };
			if (f.description.value) body.description = f.description.value;
			if (f.expires.value !== '0') body.expires_at = Math.floor(Date.now() / 1000) + Number(f.expires.value);
			const j = await api('POST', '/tokens', body);
			await pageTokens(S.gen);
			document.getElementById('new-token').replaceChildren(el('div', { class: 'secret' },
				el('strong', { text: 'New token: copy it now, it is not shown again.' }),
				el('code', { class: 'cmd', id: 'token-text', text: j.token }),
				el('div', { class: 'muted' }, 'Use it as ', el('code', { text: 'Authorization: Bearer …' }))));
		})),
		table(['Token', 'Scope', ['Description', 'hide-sm'], ['Last used', 'hide-sm'], 'Expires', ''], tokens.slice().reverse().map((t) => el('tr', {},
			el('td', {}, el('code', { text: t.prefix + '…' })), el('td', { text: t.scope }),
			el('td', { class: 'hide-sm', text: t.description || '—' }), el('td', { class: 'hide-sm', text: ago(t.last_used) }),
			el('td', { text: t.revoked_at ? 'revoked' : t.expires_at ? when(t.expires_at) : 'never' }),
			el('td', {}, t.revoked_at ? null : el('button', { class: 'danger', type: 'button', text: 'Revoke', onclick: async () => {
				try { await api('DELETE', '/tokens/' + t.id); toast('Token revoked'); route(); } catch (e) { toast(e.message); }
			} })))), 'No tokens yet.'));
}

/* ---- audit log ------------------------------------------------------------ */

const auditCursors = [null];
let auditPage = 0;

async function pageAudit(gen) {
	const c = auditCursors[auditPage];
	const j = await api('GET', '/audit?limit=50' + (c ? '&cursor=' + encodeURIComponent(c) : ''));
	const prev = el('button', { class: 'secondary', type: 'button', text: '← Previous', disabled: auditPage === 0,
		onclick: () => { auditPage--; route(); } });
	const next = el('button', { class: 'secondary', type: 'button', text: 'Next →', disabled: !j.next_cursor,
		onclick: () => { auditCursors[auditPage + 1] = j.next_cursor; auditPage++; route(); } });
	render(gen, el('h1', { text: 'Audit log' }),
		table(['When', 'Who', 'Action', 'Target', ['Detail', 'hide-sm'], ['From', 'hide-sm']], j.items.map((a) => el('tr', {},
			el('td', { text: when(a.ts) }),
			el('td', { text: a.actor.kind + (a.actor.id !== null ? ' #' + a.actor.id : '') }),
			el('td', {}, el('code', { text: a.action })),
			el('td', { text: a.target_kind + (a.target_id ? ' ' + a.target_id : '') }),
			el('td', { class: 'hide-sm' }, a.detail ? el('code', { text: JSON.stringify(a.detail) }) : '—'),
			el('td', { class: 'hide-sm', text: a.remote || '—' }))), 'Nothing logged yet.'),
		el('div', { class: 'pager' }, el('span', { class: 'muted', text: 'Page ' + (auditPage + 1) }), prev, next));
}

/* ---- account: password and TOTP ---------------------------------------------- */

async function pageAccount(gen) {
	const me = await api('GET', '/me');
	const t = await api('GET', '/me/totp');
	const totpBox = el('div', { id: 'totp' });
	render(gen, el('h1', { text: 'Account' }),
		el('div', { class: 'card' }, el('p', {}, 'Signed in as ', el('strong', { text: me.account.email }), ' (' + me.account.role + ')'),
			me.account.must_change_password ? el('p', { class: 'error', id: 'must-change', text: 'This password was given to you once: change it now.' }) : null),
		el('h2', { text: 'Change password' }),
		el('div', { class: 'card' }, form('stack', [
			input('current', 'Current password', { type: 'password', autocomplete: 'current-password' }),
			input('next', 'New password (12 characters or more)', { type: 'password', autocomplete: 'new-password', minlength: 12 }),
			input('again', 'New password again', { type: 'password', autocomplete: 'new-password' }),
		], 'Change password', async (f) => {
			if (f.next.value !== f.again.value) throw new Error('the new passwords differ');
			await api('POST', '/me/password', { current: f.current.value, password: f.next.value });
			f.current.value = f.next.value = f.again.value = '';
			const notice = document.getElementById('must-change');
			if (notice) notice.remove();
			S.me.must_change_password = false;
			toast('Password changed');
		})),
		el('h2', { text: 'Two-step sign-in (TOTP)' }), totpBox);
	totpView(totpBox, t);
}

function totpView(box, t) {
	if (t.enabled) {
		box.replaceChildren(el('div', { class: 'card' },
			el('p', {}, el('span', { class: 'pill on', id: 'totp-state', text: 'enabled' }), ' Signing in asks for a 6-digit code from your authenticator app.'),
			form('row', [input('password', 'Password', { type: 'password', autocomplete: 'current-password' }),
				input('code', 'Current code', { inputmode: 'numeric', maxlength: 6 })], 'Turn off', async (f) => {
				await api('POST', '/me/totp/disable', { password: f.password.value, code: f.code.value });
				toast('TOTP turned off'); route();
			})));
		return;
	}
	box.replaceChildren(el('div', { class: 'card' },
		el('p', {}, el('span', { class: 'pill off', id: 'totp-state', text: 'off' }),
			' Codes are RFC 6238 with HMAC-SHA256 (6 digits, 30 s): the app must support SHA256 (e.g. Aegis, FreeOTP, 1Password; Google Authenticator ignores it).'),
		form('row', [input('password', 'Password', { type: 'password', autocomplete: 'current-password' })], 'Set up', async (f) => {
			const j = await api('POST', '/me/totp', { password: f.password.value });
			f.password.value = '';
			box.replaceChildren(el('div', { class: 'secret' },
				el('strong', { text: 'Add this to your authenticator app, then confirm with a code. The secret is not shown again.' }),
				j.qr_svg ? qrImage(j.qr_svg, 'QR code of the otpauth URI') : null,
				el('div', {}, 'Secret: ', el('code', { id: 'totp-secret', text: j.secret })),
				el('div', {}, 'URI: ', el('code', { id: 'totp-uri', text: j.uri })),
				el('p'),
				form('row', [input('code', 'Code from the app', { inputmode: 'numeric', maxlength: 6, autocomplete: 'one-time-code' })], 'Confirm', async (g) => {
					await api('POST', '/me/totp/confirm', { code: g.code.value });
					toast('TOTP enabled'); route();
				})));
		})));
}

/* ---- routing -------------------------------------------------------------- */

const PAGES = { devices: pageDevices, networks: pageNetworks, codes: pageCodes, tokens: pageTokens, audit: pageAudit, account: pageAccount };

async function route() {
	S.gen++;
	clearInterval(S.poll);
	S.poll = null;
	const gen = S.gen;
	if (!S.me) {
		try {
			const j = await api('GET', '/me');
			S.me = j.account; S.csrf = j.csrf || '';
		} catch (e) {
			if (gen === S.gen) pageSignin(e.status === 401 ? null : e.message);
			return;
		}
	}
	document.getElementById('top').hidden = false;
	document.getElementById('who').textContent = S.me.email;
	const claim = location.pathname === '/claim';
	const name = claim ? 'claim' : (location.hash.replace(/^#\/?/, '') || 'devices');
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('active', a.dataset.page === name);
	const fn = claim ? pageClaim : PAGES[name] || pageDevices;
	document.title = 'subnetra · ' + name;
	try {
		await fn(gen);
	} catch (e) {
		if (gen === S.gen && S.me) main().replaceChildren(el('p', { class: 'error', text: e.message }));
	}
}

document.addEventListener('DOMContentLoaded', () => {
	document.getElementById('signout').addEventListener('click', async () => {
		try { await api('POST', '/logout'); } catch (e) { /* gone already */ }
		S.me = null; S.csrf = '';
		pageSignin('Signed out.');
	});
	window.addEventListener('hashchange', () => { if (location.pathname !== '/claim') route(); });
	route();
});
