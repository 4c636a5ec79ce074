// alived web UI: a single page over the JSON API (/api/v1/...). Plain
// modern JavaScript with no framework and no build step, so the binary can
// embed it as written. Rules kept throughout:
//   - every user-visible string comes from the message catalogs via t();
//   - data from the daemon reaches the DOM only as text (textContent or
//     text nodes, never parsed as markup), so a name like "<script>" stays text;
//   - no inline script or handler: the page runs under CSP default-src 'self'.
'use strict';

const S = {
  lang: 'en', cat: {}, user: null, role: null,
  status: null, prevStatus: null, es: null,
  view: null, // {refresh()} of the screen shown, called on each status event
  violations: [],
  gen: 0,
};

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];
const CHECKERS = ['HTTP_GET', 'SSL_GET', 'TCP_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'MISC_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK'];
// The fields each checker takes (keyword, kind); "url." fields go in the url block.
const CONN = [['connect_ip', 'text'], ['connect_port', 'num'], ['bindto', 'text'], ['bind_port', 'num'],
  ['connect_timeout', 'text'], ['retry', 'num'], ['delay_before_retry', 'text'], ['delay_loop', 'text'], ['warmup', 'text']];
const CHECK_FIELDS = {
  HTTP_GET: [['url.path', 'text'], ['url.status_code', 'text'], ['url.digest', 'text'], ['virtualhost', 'text'], ...CONN],
  SSL_GET: [['url.path', 'text'], ['url.status_code', 'text'], ['url.digest', 'text'], ['virtualhost', 'text'], ['sni_name', 'text'], ['enable_sni', 'flag'], ...CONN],
  TCP_CHECK: CONN,
  SMTP_CHECK: [['helo_name', 'text'], ...CONN],
  DNS_CHECK: [['type', 'dns'], ['name', 'text'], ...CONN],
  UDP_CHECK: [['payload', 'text'], ['require_reply', 'text'], ['min_reply_length', 'num'], ['max_reply_length', 'num'], ...CONN],
  MISC_CHECK: [['misc_path', 'line'], ['misc_timeout', 'num'], ['user', 'text'], ['misc_dynamic', 'flag'], ['retry', 'num'], ['delay_before_retry', 'text'], ['delay_loop', 'text'], ['warmup', 'text']],
  PING_CHECK: CONN,
  FILE_CHECK: [['track_file', 'text'], ['weight', 'text']],
  BFD_CHECK: [['name', 'text']],
};
const PAGE = 50;

// ---- i18n ---------------------------------------------------------------

function t(key, ...args) {
  let s = Object.prototype.hasOwnProperty.call(S.cat, key) ? S.cat[key] : key;
  args.forEach((a, i) => { s = s.split('{' + i + '}').join(String(a)); });
  return s;
}

async function loadLang(lang) {
  const r = await fetch('i18n/' + lang + '.json');
  S.cat = await r.json();
  S.lang = lang;
  document.documentElement.lang = lang;
  document.title = t('app.title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  const sel = document.getElementById('lang');
  sel.value = lang;
}

function pickLang() {
  const saved = localStorage.getItem('alived.lang');
  if (saved === 'ja' || saved === 'en') return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    if (l.toLowerCase().startsWith('ja')) return 'ja';
    if (l.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

// ---- DOM helpers ----------------------------------------------------------

// h builds an element; strings and numbers among the children become text
// nodes, so data never becomes markup.
function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else if (k in e && typeof e[k] !== 'function' && k !== 'list') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return e;
}

function clear(e) { while (e.firstChild) e.firstChild.remove(); return e; }

// put appends children to a container as h() does (skipping null and
// false, which the DOM's append would print).
function put(e, ...kids) {
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fmtTime(s) {
  if (!s || s.startsWith('0001-')) return '—';
  return new Date(s).toLocaleString(S.lang === 'ja' ? 'ja-JP' : 'en-GB');
}

function fmtBytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : Math.round(n)) + ' ' + u[i];
}

function fmtDur(ns) { return ns ? (ns / 1e6).toFixed(1) + ' ms' : '—'; }

function can(what) {
  if (what === 'admin') return S.role === 'admin';
  if (what === 'operate') return S.role === 'admin' || S.role === 'operator';
  return !!S.role;
}

function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
function link(hash, text, cls) { return h('a', { href: hash, class: cls, text }); }
function enc(s) { return encodeURIComponent(s); }

// ---- API ------------------------------------------------------------------

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || String(status));
    this.status = status;
    this.diagnostics = (body && body.diagnostics) || [];
  }
}

async function api(method, path, body) {
  const opt = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  let data = null;
  if ((r.headers.get('Content-Type') || '').includes('json')) data = await r.json().catch(() => null);
  if (r.status === 401 && path !== '/api/v1/login') {
    signedOut();
    throw new APIError(401, { error: t('err.session') });
  }
  if (!r.ok) throw new APIError(r.status, data || { error: r.statusText });
  return data;
}

// errorBox shows a refusal: the message and the validator's diagnostics,
// each "file:line: severity: message" with its place set apart.
function errorBox(err) {
  const diags = (err.diagnostics || []).map(d => {
    const m = /^(\S+:\d+): (.*)$/.exec(d);
    return h('li', {}, m ? [h('code', { class: 'where', text: m[1] }), ' ', m[2]] : d);
  });
  return h('div', { class: 'error', role: 'alert' },
    h('strong', { text: err.status === 422 ? t('err.rejected') : t('err.failed') }), ' ',
    h('span', { class: 'msg', text: err.message }),
    diags.length ? h('ul', { class: 'diagnostics' }, diags) : null);
}

function notice(text, cls) { return h('div', { class: 'notice ' + (cls || ''), role: 'status', text }); }

// ---- session and live status ---------------------------------------------

function signedIn(who) {
  S.user = who.user;
  S.role = who.role;
  document.getElementById('who').textContent = t('hdr.user', who.user, t('role.' + who.role));
  document.getElementById('logout').hidden = false;
  document.getElementById('nav').hidden = false;
  for (const e of document.querySelectorAll('[data-role]')) e.hidden = !can(e.dataset.role);
  startEvents();
}

function signedOut() {
  S.user = S.role = null;
  if (S.es) { S.es.close(); S.es = null; }
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  document.getElementById('nav').hidden = true;
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
}

function startEvents() {
  if (S.es) return;
  S.es = new EventSource('/api/v1/events');
  S.es.addEventListener('status', ev => {
    S.prevStatus = S.status;
    S.status = JSON.parse(ev.data);
    document.getElementById('conn').textContent = t('hdr.live');
    if (S.view && S.view.refresh) S.view.refresh();
    // For the browser tests: how long after the daemon published this
    // snapshot the page showed it.
    document.body.dataset.taken = S.status.taken;
    document.body.dataset.latency = String(Date.now() - Date.parse(S.status.taken));
  });
  S.es.addEventListener('error', () => { document.getElementById('conn').textContent = t('hdr.offline'); });
}

function statusVS() {
  const m = new Map();
  for (const vs of (S.status && S.status.virtual_servers) || []) m.set(vs.id, vs);
  return m;
}

// ---- reusable paged table ----------------------------------------------------

// pagedTable lists items with a search box and pages of PAGE rows; set()
// re-renders only the rows, so typing in the box survives live updates.
function pagedTable(cols, rowFn, matchFn, id) {
  let items = [], q = '', page = 0;
  const tbody = h('tbody');
  const info = h('span', { class: 'pageinfo' });
  const prev = h('button', { type: 'button', text: t('page.prev'), on: { click: () => { page--; draw(); } } });
  const next = h('button', { type: 'button', text: t('page.next'), on: { click: () => { page++; draw(); } } });
  const search = h('input', { type: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'),
    on: { input: ev => { q = ev.target.value.trim().toLowerCase(); page = 0; draw(); } } });
  const table = h('table', { class: 'list', id }, h('thead', {}, h('tr', {}, cols.map(c => h('th', { text: t(c) })))), tbody);
  function draw() {
    const shown = q ? items.filter(it => matchFn(it, q)) : items;
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    const frag = document.createDocumentFragment();
    for (const it of shown.slice(page * PAGE, page * PAGE + PAGE)) frag.append(rowFn(it));
    if (!shown.length) frag.append(h('tr', {}, h('td', { colSpan: cols.length, class: 'empty', text: t('list.empty') })));
    clear(tbody).append(frag);
    info.textContent = t('page.info', page + 1, pages, shown.length);
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  return {
    el: h('div', { class: 'paged' }, h('div', { class: 'tools' }, search, prev, info, next), table),
    set(list) { items = list; draw(); },
  };
}

function healthDot(up, title) {
  return h('span', { class: 'dot ' + (up ? 'up' : 'down'), title, text: up ? '●' : '●', 'aria-label': title });
}

// ---- screens ------------------------------------------------------------------

const screens = {};

screens.login = root => {
  const user = h('input', { name: 'user', id: 'login-user', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div');
  const form = h('form', { class: 'card login', id: 'login-form' },
    h('h2', { text: t('login.title') }),
    h('label', {}, t('login.user'), user),
    h('label', {}, t('login.password'), pass),
    h('button', { type: 'submit', class: 'primary', text: t('login.submit') }), out);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clear(out);
    try {
      const who = await api('POST', '/api/v1/login', { user: user.value, password: pass.value });
      signedIn(who);
      go('#/dashboard');
    } catch (err) {
      out.append(notice(err.status === 429 ? t('login.throttled') : err.status === 401 ? t('login.failed') : err.message, 'bad'));
    }
  });
  put(root, form);
};

screens.dashboard = root => {
  const inst = h('tbody'), groups = h('tbody');
  const list = pagedTable(['col.vs', 'col.health', 'col.active', 'col.inactive', 'col.conns', 'col.in', 'col.out'],
    vs => {
      const up = vs.real_servers.filter(r => r.up).length;
      const rate = S.rates.get(vs.id) || { in: 0, out: 0 };
      return h('tr', { data: { vs: vs.id } },
        h('td', {}, link('#/rs/' + enc(vs.id), vs.id)),
        h('td', { class: up === vs.real_servers.length ? 'ok' : up ? 'warn' : 'bad' }, t('dash.healthy', up, vs.real_servers.length)),
        h('td', { text: vs.counters.active_conns }), h('td', { text: vs.counters.inactive_conns }),
        h('td', { text: vs.counters.connections }),
        h('td', { text: fmtBytes(rate.in) + '/s' }), h('td', { text: fmtBytes(rate.out) + '/s' }));
    }, (vs, q) => vs.id.toLowerCase().includes(q), 'dash-vs');
  put(root, 
    h('h2', { text: t('dash.instances') }),
    h('table', { class: 'list', id: 'dash-instances' }, h('thead', {}, h('tr', {}, ['col.instance', 'col.state', 'col.priority', 'col.master', 'col.since'].map(c => h('th', { text: t(c) })))), inst),
    h('h2', { text: t('dash.syncgroups') }),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['col.group', 'col.state', 'col.members'].map(c => h('th', { text: t(c) })))), groups),
    h('h2', { text: t('dash.vs') }), list.el);
  return {
    refresh() {
      const s = S.status;
      if (!s) return;
      computeRates();
      clear(inst).append(...s.instances.map(i => h('tr', {},
        h('td', {}, link('#/vrrp', i.iname)), h('td', {}, stateBadge(i.state)),
        h('td', { text: i.effective_priority + ' / ' + i.base_priority }),
        h('td', { text: i.master_address || '—' }), h('td', { text: fmtTime(i.last_transition) }))));
      if (!s.instances.length) inst.append(h('tr', {}, h('td', { colSpan: 5, class: 'empty', text: t('dash.noinstances') })));
      clear(groups).append(...s.sync_groups.map(g => h('tr', {}, h('td', { text: g.name }), h('td', {}, stateBadge(g.state)), h('td', { text: g.members.join(', ') }))));
      if (!s.sync_groups.length) groups.append(h('tr', {}, h('td', { colSpan: 3, class: 'empty', text: t('dash.nogroups') })));
      list.set(s.virtual_servers);
    },
  };
};

S.rates = new Map();
// computeRates turns the byte counters of two snapshots into rates.
function computeRates() {
  const a = S.prevStatus, b = S.status;
  if (!a || !b || a === b) return;
  const dt = (Date.parse(b.taken) - Date.parse(a.taken)) / 1000;
  if (dt <= 0) return;
  const old = new Map(a.virtual_servers.map(v => [v.id, v.counters]));
  for (const v of b.virtual_servers) {
    const o = old.get(v.id);
    if (!o) continue;
    S.rates.set(v.id, { in: Math.max(0, v.counters.incoming_bytes - o.incoming_bytes) / dt, out: Math.max(0, v.counters.outgoing_bytes - o.outgoing_bytes) / dt });
  }
}

function stateBadge(state) { return h('span', { class: 'badge st-' + String(state).toLowerCase(), text: t('state.' + String(state).toLowerCase()) }); }

// stage sends one edit and reports where it went.
async function stage(edit, out) {
  clear(out);
  try {
    await api('POST', '/api/v1/changes', edit);
    out.append(notice(t('stage.done'), 'ok'), ' ', link('#/review', t('stage.review')));
    updateStaged();
    return true;
  } catch (err) {
    out.append(errorBox(err));
    out.scrollIntoView({ block: 'center' });
    return false;
  }
}

async function updateStaged() {
  try {
    const p = await api('GET', '/api/v1/changes');
    const n = p.changes.length;
    const b = document.getElementById('staged');
    b.textContent = n ? String(n) : '';
    b.hidden = !n;
  } catch { /* shown elsewhere */ }
}

// confirmButton needs two clicks: the first arms it.
function confirmButton(label, fn) {
  const b = h('button', { type: 'button', class: 'danger', text: label });
  b.addEventListener('click', () => {
    if (b.dataset.armed) { fn(); return; }
    b.dataset.armed = '1';
    b.textContent = t('btn.confirm');
  });
  return b;
}

screens.vs = async root => {
  const out = h('div', { class: 'out' });
  const cfg = await api('GET', '/api/v1/config');
  let liveVS = statusVS();
  const list = pagedTable(['col.enabled', 'col.vs', 'col.sched', 'col.vhost', 'col.health', 'col.actions'], vs => {
    const live = liveVS.get(vs.name);
    const rss = live ? live.real_servers : [];
    const toggle = h('button', { type: 'button', class: 'toggle ' + (vs.enabled ? 'on' : 'off'),
      title: vs.enabled ? t('vs.disable') : t('vs.enable'), text: vs.enabled ? t('vs.enabled') : t('vs.disabled'),
      disabled: !can('operate') || !!vs.read_only });
    toggle.addEventListener('click', () => stage({ op: vs.enabled ? 'disable-vs' : 'enable-vs', vs: vs.name }, out));
    return h('tr', { data: { vs: vs.name } },
      h('td', {}, toggle),
      h('td', {}, link('#/rs/' + enc(vs.name), vs.name), vs.read_only ? h('div', { class: 'ro', text: t('ro.reason', vs.read_only) }) : null),
      h('td', { text: [vs.spec.lvs_sched, vs.spec.lvs_method].filter(Boolean).join(' / ') }),
      h('td', { class: 'vhost', text: vs.spec.virtualhost || '' }),
      h('td', {}, rss.map(r => healthDot(r.up, r.id + ': ' + (r.up ? t('health.up') : t('health.down')))),
        ' ', t('dash.healthy', rss.filter(r => r.up).length, rss.length)),
      h('td', { class: 'actions' }, link('#/rs/' + enc(vs.name), t('vs.realservers')),
        can('admin') && !vs.read_only ? [' ', link('#/vs-edit/' + enc(vs.name), t('btn.edit')), ' ',
          confirmButton(t('btn.delete'), () => stage({ op: 'rm-vs', vs: vs.name }, out))] : null));
  }, (vs, q) => vs.name.toLowerCase().includes(q) || (vs.spec.virtualhost || '').toLowerCase().includes(q), 'vs-list');
  put(root, h('h2', { text: t('vs.title') }),
    can('admin') ? h('p', {}, link('#/vs-new', t('vs.add'), 'button')) : null, out, list.el);
  list.set(cfg.virtual_servers);
  return { refresh() { liveVS = statusVS(); list.set(cfg.virtual_servers); } };
};

// field builds a labelled input; kind is text, num, line, flag or a list of choices.
function field(name, label, kind, value) {
  let input;
  if (Array.isArray(kind)) {
    // A choice is a value shown as itself, or [value, label].
    input = h('select', { name }, kind.map(o => Array.isArray(o) ? h('option', { value: o[0], text: o[1] })
      : h('option', { value: o, text: o === '' ? t('opt.none') : o })));
    input.value = value || '';
  } else if (kind === 'flag') {
    input = h('input', { type: 'checkbox', name, checked: !!value });
    return h('label', { class: 'flag' }, input, ' ', label);
  } else {
    input = h('input', { name, type: kind === 'num' ? 'number' : 'text', value: value === undefined || value === null ? '' : String(value) });
    if (kind === 'num') input.min = '0';
  }
  return h('label', {}, label, input);
}

function formValues(form) {
  const v = {};
  for (const e of form.elements) {
    if (!e.name) continue;
    v[e.name] = e.type === 'checkbox' ? e.checked : e.value.trim();
  }
  return v;
}

const num = s => (s === '' || s === undefined ? undefined : Number(s));

screens.vsForm = async (root, name) => {
  const isNew = !name;
  let info = null;
  if (!isNew) info = await api('GET', '/api/v1/config/virtual-servers/' + enc(name));
  const sp = info ? info.spec : {};
  const out = h('div', { class: 'out' });
  const ident = isNew ? h('fieldset', {}, h('legend', { text: t('vs.identity') }),
    field('kind', t('f.kind'), [['addr', t('kind.addr')], ['fwmark', t('kind.fwmark')], ['group', t('kind.group')]], 'addr'),
    field('address', t('f.address'), 'text'), field('port', t('f.port'), 'num'),
    field('protocol', t('f.protocol'), ['TCP', 'UDP', 'SCTP'], 'TCP'),
    field('fwmark', t('f.fwmark'), 'num'), field('inet6', t('f.inet6'), 'flag'),
    field('group', t('f.group'), 'text'))
    : h('p', {}, t('vs.editing'), ' ', h('code', { text: name }));
  const form = h('form', { class: 'card form', id: 'vs-form' },
    h('h2', { text: isNew ? t('vs.add') : t('vs.edit') }), ident,
    h('fieldset', {}, h('legend', { text: t('vs.scheduling') }),
      field('delay_loop', t('f.delay_loop'), 'text', sp.delay_loop),
      field('lvs_sched', t('f.lb_algo'), ['', ...SCHEDULERS], sp.lvs_sched),
      field('lvs_method', t('f.lb_kind'), ['', 'NAT', 'DR', 'TUN'], sp.lvs_method),
      field('persistence_timeout', t('f.persistence_timeout'), 'num', sp.persistence_timeout),
      field('persistence_granularity', t('f.persistence_granularity'), 'text', sp.persistence_granularity),
      field('virtualhost', t('f.virtualhost'), 'text', sp.virtualhost)),
    h('fieldset', {}, h('legend', { text: t('vs.sorry') }),
      field('sorry_addr', t('f.sorry_addr'), 'text', sp.sorry_server && sp.sorry_server.addr),
      field('sorry_port', t('f.sorry_port'), 'num', sp.sorry_server && sp.sorry_server.port)),
    h('fieldset', {}, h('legend', { text: t('vs.quorum') }),
      field('quorum', t('f.quorum'), 'num', sp.quorum), field('hysteresis', t('f.hysteresis'), 'num', sp.hysteresis),
      field('quorum_up', t('f.quorum_up'), 'text', sp.quorum_up), field('quorum_down', t('f.quorum_down'), 'text', sp.quorum_down),
      field('alpha', t('f.alpha'), 'flag', sp.alpha), field('omega', t('f.omega'), 'flag', sp.omega),
      field('inhibit_on_failure', t('f.inhibit_on_failure'), 'flag', sp.inhibit_on_failure)),
    isNew ? h('fieldset', {}, h('legend', { text: t('vs.firstrs') }),
      field('rs_address', t('f.address'), 'text'), field('rs_port', t('f.port'), 'num'),
      field('rs_weight', t('f.weight'), 'num', 1), field('disabled', t('f.add_disabled'), 'flag')) : null,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', text: t('btn.stage') }),
      link(isNew ? '#/vs' : '#/rs/' + enc(name), t('btn.cancel'))),
    out);
  // Only the fields of the chosen kind of address show.
  const kindFields = { addr: ['address', 'port', 'protocol'], fwmark: ['fwmark', 'inet6'], group: ['group', 'protocol'] };
  function syncKind() {
    const k = form.elements.kind.value;
    for (const n of ['address', 'port', 'protocol', 'fwmark', 'inet6', 'group']) form.elements[n].closest('label').hidden = !kindFields[k].includes(n);
  }
  if (isNew) {
    form.elements.kind.addEventListener('change', syncKind);
    syncKind();
  }
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const v = formValues(form);
    const spec = {
      delay_loop: v.delay_loop || undefined, lvs_sched: v.lvs_sched || undefined, lvs_method: v.lvs_method || undefined,
      persistence_timeout: num(v.persistence_timeout), persistence_granularity: v.persistence_granularity || undefined,
      virtualhost: v.virtualhost || undefined, quorum: num(v.quorum), hysteresis: num(v.hysteresis),
      quorum_up: v.quorum_up || undefined, quorum_down: v.quorum_down || undefined,
      alpha: v.alpha || undefined, omega: v.omega || undefined, inhibit_on_failure: v.inhibit_on_failure || undefined,
      extra: sp.extra,
    };
    if (v.sorry_addr) spec.sorry_server = { addr: v.sorry_addr, port: num(v.sorry_port) };
    let edit;
    if (isNew) {
      let id;
      if (v.kind === 'fwmark') id = 'fwmark:' + v.fwmark + (v.inet6 ? '/inet6' : '');
      else if (v.kind === 'group') id = 'group:' + v.group + '/' + v.protocol.toLowerCase();
      else id = (v.address.includes(':') ? '[' + v.address + ']' : v.address) + ':' + v.port + '/' + v.protocol.toLowerCase();
      const rsid = (v.rs_address.includes(':') ? '[' + v.rs_address + ']' : v.rs_address) + ':' + v.rs_port;
      edit = { op: 'add-vs', vs: id, virtual_server: spec, real_servers: [{ id: rsid, weight: num(v.rs_weight) }], disabled: v.disabled || undefined };
    } else {
      edit = { op: 'set-vs', vs: name, virtual_server: spec };
    }
    if (await stage(edit, out)) form.querySelector('button[type=submit]').disabled = true;
  });
  put(root, form);
};

// overrideText describes a drain or maintenance with its live connection counts.
function overrideText(o) {
  if (!o) return '';
  const k = t('ov.' + o.kind);
  if (o.kind === 'weight') return t('ov.weight_is', o.weight);
  if (o.kind === 'drain') {
    const done = (o.drained_at && !o.drained_at.startsWith('0001-')) || (o.active_conns === 0 && o.inactive_conns === 0);
    return done ? t('ov.drained', k) : t('ov.draining', k, o.active_conns, o.inactive_conns);
  }
  return k;
}

screens.rs = async (root, vsName) => {
  const out = h('div', { class: 'out' });
  let info = null;
  try { info = await api('GET', '/api/v1/config/virtual-servers/' + enc(vsName)); } catch (err) { if (err.status !== 404) throw err; }
  const cfgRS = new Map(((info && info.real_servers) || []).map(r => [r.name, r]));
  const tbody = h('tbody');
  const head = h('div', { class: 'vshead' });
  async function override(rs, action) {
    clear(out);
    try {
      await api('POST', '/api/v1/overrides', { vs: vsName, rs, action });
      out.append(notice(t('ov.done', t('ov.' + action), rs), 'ok'));
    } catch (err) { out.append(errorBox(err)); }
  }
  // A whole virtual server's override: every real server at once.
  async function overrideVS(action) {
    clear(out);
    try {
      await api('POST', '/api/v1/overrides', { vs: vsName, action });
      out.append(notice(t('ov.done', t('ov.all', t('ov.' + action)), vsName), 'ok'));
    } catch (err) { out.append(errorBox(err)); }
  }
  function row(r, c) {
    const ro = c && c.read_only;
    const enabled = c ? c.enabled : true;
    const toggle = h('button', { type: 'button', class: 'toggle ' + (enabled ? 'on' : 'off'), text: enabled ? t('vs.enabled') : t('vs.disabled'),
      disabled: !can('operate') || !c || !!ro });
    toggle.addEventListener('click', () => stage({ op: enabled ? 'disable-rs' : 'enable-rs', vs: vsName, rs: c.name }, out));
    const chk = r && r.checks && r.checks[0];
    const id = r ? r.id : c.name;
    const ops = can('operate') && r ? ['drain', 'maint', 'ready'].map(a => h('button', { type: 'button', class: 'op-' + a, text: t('ov.' + a),
      on: { click: () => override(id, a) } })) : [];
    return h('tr', { data: { rs: id, health: r ? (r.up ? 'up' : 'down') : 'unknown', override: (r && r.override && r.override.kind) || '' } },
      h('td', {}, toggle),
      h('td', {}, id, ro ? h('div', { class: 'ro', text: t('ro.reason', ro) }) : null),
      h('td', { class: 'health' }, r ? [healthDot(r.up, ''), ' ', r.up ? t('health.up') : t('health.down'), r.reason ? h('div', { class: 'sub', text: r.reason }) : null] : t('health.notrunning')),
      h('td', { text: r ? r.configured_weight + ' / ' + r.effective_weight : '—' }),
      h('td', { text: r ? r.counters.active_conns + ' / ' + r.counters.inactive_conns : '—' }),
      h('td', { class: 'override', text: r ? overrideText(r.override) : '' }),
      h('td', { class: 'check' }, chk ? [chk.kind, ': ', chk.last_error ? h('span', { class: 'bad', text: chk.last_error }) : (chk.runs ? t('check.ok') : t('check.pending')),
        h('div', { class: 'sub', text: fmtDur(chk.duration_ns) })] : t('check.none')),
      h('td', { class: 'actions' }, ops, can('admin') && c && !ro ? [' ', link('#/rs-edit/' + enc(vsName) + '/' + enc(c.name), t('btn.edit')), ' ',
        confirmButton(t('btn.delete'), () => stage({ op: 'rm-rs', vs: vsName, rs: c.name }, out))] : null));
  }
  put(root, h('h2', {}, t('rs.title'), ' ', h('code', { text: vsName })), head,
    can('admin') && info && !info.read_only ? h('p', {}, link('#/rs-new/' + enc(vsName), t('rs.add'), 'button'), ' ', link('#/vs-edit/' + enc(vsName), t('vs.edit'), 'button')) : null,
    can('operate') ? h('p', { class: 'vs-ops' }, ['drain', 'maint', 'ready'].map(a => h('button', { type: 'button', class: 'vsop-' + a,
      text: t('ov.all', t('ov.' + a)), on: { click: () => overrideVS(a) } }))) : null,
    info && info.read_only ? h('div', { class: 'ro', text: t('ro.reason', info.read_only) }) : null,
    out,
    h('table', { class: 'list', id: 'rs-list' }, h('thead', {}, h('tr', {}, ['col.enabled', 'col.rs', 'col.health', 'col.weight', 'col.conns_ai', 'col.override', 'col.check', 'col.actions'].map(c => h('th', { text: t(c) })))), tbody));
  return {
    refresh() {
      const live = statusVS().get(vsName);
      clear(head);
      if (live) head.append(h('p', {}, t('rs.summary', live.real_servers.filter(r => r.up).length, live.real_servers.length, live.counters.active_conns),
        live.override ? [' — ', overrideText(live.override)] : null, live.sorry_active ? [' — ', t('rs.sorry')] : null));
      const seen = new Set();
      const rows = [];
      for (const r of (live ? live.real_servers : [])) { seen.add(r.id); rows.push(row(r, cfgRS.get(r.id))); }
      for (const [n, c] of cfgRS) if (!seen.has(n)) rows.push(row(null, c));
      clear(tbody).append(...rows);
      if (!rows.length) tbody.append(h('tr', {}, h('td', { colSpan: 8, class: 'empty', text: t('list.empty') })));
    },
  };
};

// checkBody turns the checker form fields into the checker's block.
function checkBody(kind, v, keep) {
  const body = [], url = [];
  for (const [kw, k] of CHECK_FIELDS[kind] || []) {
    const val = v['c.' + kw];
    if (k === 'flag') { if (val) body.push({ keyword: kw }); continue; }
    if (!val) continue;
    const p = { keyword: kw.replace(/^url\./, ''), args: k === 'line' ? [val] : val.split(/\s+/) };
    (kw.startsWith('url.') ? url : body).push(p);
  }
  if (url.length) body.unshift({ keyword: 'url', is_block: true, block: url });
  return [...body, ...keep];
}

// checkValues reads a checker block back into form values, returning the
// lines the form has no field for (kept as they are).
function checkValues(chk) {
  const vals = {}, keep = [];
  if (!chk) return { vals, keep };
  const known = new Set((CHECK_FIELDS[chk.keyword] || []).map(f => f[0]));
  for (const p of chk.block || []) {
    if (p.keyword === 'url' && known.has('url.path') && !vals['c.url.path']) {
      for (const u of p.block || []) {
        if (known.has('url.' + u.keyword)) vals['c.url.' + u.keyword] = (u.args || []).join(' ');
      }
      continue;
    }
    if (known.has(p.keyword) && !p.is_block) vals['c.' + p.keyword] = (p.args && p.args.length) ? p.args.join(' ') : true;
    else keep.push(p);
  }
  return { vals, keep };
}

screens.rsForm = async (root, vsName, rsName) => {
  const isNew = !rsName;
  let sp = {};
  if (!isNew) {
    const info = await api('GET', '/api/v1/config/virtual-servers/' + enc(vsName));
    const c = info.real_servers.find(r => r.name === rsName);
    if (!c) throw new APIError(404, { error: t('err.notfound', rsName) });
    sp = c.spec;
  }
  const chk = (sp.checks || [])[0];
  const { vals, keep } = checkValues(chk);
  const out = h('div', { class: 'out' });
  const fields = h('div', { id: 'check-fields' });
  const kindSel = field('check', t('f.check'), ['', ...CHECKERS], chk ? chk.keyword : '');
  function drawFields() {
    const kind = kindSel.querySelector('select').value;
    clear(fields);
    for (const [kw, k] of CHECK_FIELDS[kind] || []) {
      const kk = k === 'dns' ? ['', 'A', 'AAAA', 'NS', 'CNAME', 'SOA', 'MX', 'TXT'] : k;
      fields.append(field('c.' + kw, t('f.' + kw.replace(/^url\./, '')), kk, vals['c.' + kw]));
    }
  }
  kindSel.querySelector('select').addEventListener('change', drawFields);
  drawFields();
  const form = h('form', { class: 'card form', id: 'rs-form' },
    h('h2', {}, isNew ? t('rs.add') : t('rs.edit'), ' ', h('code', { text: vsName })),
    h('fieldset', {}, h('legend', { text: t('rs.server') }),
      isNew ? [field('address', t('f.address'), 'text'), field('port', t('f.port'), 'num')] : h('p', {}, h('code', { text: rsName })),
      field('weight', t('f.weight'), 'num', sp.weight === undefined ? 1 : sp.weight),
      field('inhibit_on_failure', t('f.inhibit_on_failure'), 'flag', sp.inhibit_on_failure),
      field('notify_up', t('f.notify_up'), 'line', sp.notify_up), field('notify_down', t('f.notify_down'), 'line', sp.notify_down),
      isNew ? field('disabled', t('f.add_disabled'), 'flag') : null),
    h('fieldset', {}, h('legend', { text: t('rs.check') }), kindSel, fields),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', text: t('btn.stage') }), link('#/rs/' + enc(vsName), t('btn.cancel'))),
    out);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const v = formValues(form);
    const rs = isNew ? (v.address.includes(':') ? '[' + v.address + ']' : v.address) + ':' + v.port : rsName;
    const spec = { weight: num(v.weight), inhibit_on_failure: v.inhibit_on_failure || undefined,
      notify_up: v.notify_up || undefined, notify_down: v.notify_down || undefined, extra: sp.extra,
      checks: v.check ? [{ keyword: v.check, is_block: true, block: checkBody(v.check, v, chk && chk.keyword === v.check ? keep : []) }, ...(sp.checks || []).slice(1)] : [] };
    const edit = { op: isNew ? 'add-rs' : 'set-rs', vs: vsName, rs, real_server: spec, disabled: isNew && v.disabled ? true : undefined };
    if (await stage(edit, out)) form.querySelector('button[type=submit]').disabled = true;
  });
  put(root, form);
};

screens.globals = async root => {
  const cfg = await api('GET', '/api/v1/config');
  const g = cfg.globals || {};
  const out = h('div', { class: 'out' });
  const emails = h('textarea', { name: 'notification_email', rows: 4, value: (g.notification_email || []).join('\n') });
  const form = h('form', { class: 'card form', id: 'globals-form' },
    h('h2', { text: t('glob.title') }),
    h('label', {}, t('f.notification_email'), emails, h('small', { text: t('glob.one_per_line') })),
    field('notification_email_from', t('f.notification_email_from'), 'text', g.notification_email_from),
    field('smtp_server', t('f.smtp_server'), 'text', g.smtp_server),
    field('smtp_port', t('f.smtp_port'), 'num', g.smtp_port),
    field('smtp_connect_timeout', t('f.smtp_connect_timeout'), 'num', g.smtp_connect_timeout),
    h('div', { class: 'buttons' }, can('admin') ? h('button', { type: 'submit', class: 'primary', text: t('btn.stage') }) : null,
      can('admin') ? h('button', { type: 'button', id: 'test-mail', text: t('glob.testmail') }) : null),
    out);
  if (!can('admin')) for (const e of form.elements) e.disabled = true;
  const mailOut = h('div', { class: 'out', id: 'testmail-out' });
  form.append(mailOut);
  // The test mail uses the settings as an apply would leave them (the
  // staged ones, else those on disk) and shows what the server answered.
  const tm = form.querySelector('#test-mail');
  if (tm) tm.addEventListener('click', async () => {
    clear(mailOut).append(notice(t('glob.testmail_sending')));
    tm.disabled = true;
    try {
      const r = await api('POST', '/api/v1/test-mail');
      clear(mailOut).append(r.sent ? notice(t('glob.testmail_sent', (r.to || []).join(', '), r.server), 'ok')
        : notice(t('glob.testmail_failed', r.server, r.error || ''), 'bad'));
      if (r.replies && r.replies.length) mailOut.append(h('h3', { text: t('glob.testmail_replies') }), h('pre', { class: 'replies', text: r.replies.join('\n') }));
    } catch (err) { clear(mailOut).append(errorBox(err)); }
    tm.disabled = false;
  });
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const v = formValues(form);
    await stage({ op: 'set-globals', globals: {
      notification_email: v.notification_email.split(/[\s,]+/).filter(Boolean),
      notification_email_from: v.notification_email_from || undefined, smtp_server: v.smtp_server || undefined,
      smtp_port: num(v.smtp_port), smtp_connect_timeout: num(v.smtp_connect_timeout) } }, out);
  });
  put(root, form);
};

// diffView colours a unified diff line by line.
function diffView(text) {
  const pre = h('pre', { class: 'diff' });
  for (const line of (text || '').split('\n')) {
    let cls = '';
    if (line.startsWith('+++') || line.startsWith('---')) cls = 'file';
    else if (line.startsWith('+')) cls = 'add';
    else if (line.startsWith('-')) cls = 'del';
    else if (line.startsWith('@@')) cls = 'hunk';
    pre.append(h('span', { class: cls, text: line + '\n' }));
  }
  return pre;
}

function listOrNone(items, none) {
  return items && items.length ? h('ul', {}, items.map(i => h('li', { text: i }))) : h('p', { class: 'empty', text: none });
}

// previewView shows what a reload of the candidate would do.
function previewView(pv) {
  if (!pv) return null;
  const v = pv.vrrp || {};
  const touched = [...(v.added || []), ...(v.removed || []), ...(v.restarted || [])];
  return h('div', { class: 'preview', id: 'preview' },
    h('h3', { text: t('rev.vrrp') }),
    touched.length ? h('div', { class: 'warnbox' },
      (v.added || []).map(n => h('div', { text: t('rev.vrrp_added', n) })),
      (v.removed || []).map(n => h('div', { text: t('rev.vrrp_removed', n) })),
      (v.restarted || []).map(n => h('div', { text: t('rev.vrrp_restarted', n) })))
      : h('p', { class: 'ok', id: 'vrrp-none', text: t('rev.vrrp_none', (v.kept || []).length) }),
    h('h3', { text: t('rev.ipvs') }), listOrNone(pv.ipvs_ops, t('rev.none')),
    h('h3', { text: t('rev.checks') }),
    listOrNone([...(pv.checks.started || []).map(c => t('rev.check_started', c)), ...(pv.checks.stopped || []).map(c => t('rev.check_stopped', c)),
      ...(pv.checks.changed || []).map(c => t('rev.check_changed', c))], t('rev.none')),
    pv.notifier_changed ? h('p', { text: t('rev.notifier') }) : null,
    pv.warnings && pv.warnings.length ? [h('h3', { text: t('rev.warnings') }), listOrNone(pv.warnings, '')] : null);
}

screens.review = async root => {
  const out = h('div', { class: 'out', id: 'review-out' });
  put(root, h('h2', { text: t('rev.title') }), out);
  const p = await api('GET', '/api/v1/changes');
  if (!p.changes.length) { put(root, h('p', { class: 'empty', id: 'nothing-staged', text: t('rev.nothing') })); return; }
  put(root, h('h3', { text: t('rev.changes') }),
    h('ul', { id: 'changes' }, p.changes.map(c => h('li', {}, h('code', { text: c.summary }), ' ', t('rev.by', c.by, fmtTime(c.at))))));
  let plan;
  try { plan = await api('POST', '/api/v1/plan', {}); } catch (err) { out.append(errorBox(err)); }
  put(root, h('h3', { text: t('rev.diff') }), diffView(plan ? plan.diff : p.diff));
  if (plan) put(root, previewView(plan.preview));
  const msg = h('input', { name: 'message', id: 'apply-message', placeholder: t('rev.message') });
  const apply = h('button', { type: 'button', class: 'primary', id: 'apply', text: t('rev.apply'), disabled: !can('operate') });
  const discard = h('button', { type: 'button', id: 'discard', text: t('rev.discard'), disabled: !can('operate') });
  apply.addEventListener('click', async () => {
    clear(out);
    apply.disabled = true;
    try {
      const res = await api('POST', '/api/v1/apply', { message: msg.value });
      out.append(notice(t('rev.applied', res.revision), 'ok'));
      updateStaged();
    } catch (err) { out.append(errorBox(err)); apply.disabled = false; }
  });
  discard.addEventListener('click', async () => {
    await api('DELETE', '/api/v1/changes');
    updateStaged();
    go('#/review');
  });
  put(root, h('div', { class: 'buttons card' }, msg, apply, discard));
};

screens.history = async (root, rev) => {
  if (rev === undefined) {
    const hist = await api('GET', '/api/v1/history');
    put(root, h('h2', { text: t('hist.title') }),
      h('table', { class: 'list', id: 'history' }, h('thead', {}, h('tr', {}, ['col.rev', 'col.time', 'col.author', 'col.message', 'col.files'].map(c => h('th', { text: t(c) })))),
        h('tbody', {}, hist.slice().reverse().map(r => h('tr', {},
          h('td', {}, link('#/history/' + r.number, '#' + r.number)), h('td', { text: fmtTime(r.time) }),
          h('td', { text: r.author }), h('td', { text: r.message || '' }), h('td', { text: r.files.join(', ') })))),
        hist.length ? null : h('tbody', {}, h('tr', {}, h('td', { colSpan: 5, class: 'empty', text: t('hist.none') })))));
    return;
  }
  const d = await api('GET', '/api/v1/history/' + enc(rev));
  const out = h('div', { class: 'out', id: 'rollback-out' });
  const previewBtn = h('button', { type: 'button', id: 'rollback-preview', text: t('hist.preview_rollback'), hidden: !can('admin') });
  previewBtn.addEventListener('click', async () => {
    clear(out);
    try {
      const plan = await api('POST', '/api/v1/history/' + enc(rev) + '/rollback', { dry_run: true });
      const doIt = h('button', { type: 'button', class: 'danger', id: 'rollback-apply', text: t('hist.rollback', rev) });
      doIt.addEventListener('click', async () => {
        clear(out);
        try {
          const res = await api('POST', '/api/v1/history/' + enc(rev) + '/rollback', {});
          out.append(notice(t('hist.rolled_back', rev, res.revision), 'ok'));
        } catch (err) { out.append(errorBox(err)); }
      });
      out.append(h('h3', { text: t('hist.rollback_diff') }), diffView(plan.diff), previewView(plan.preview), doIt);
    } catch (err) { out.append(errorBox(err)); }
  });
  put(root, h('h2', { text: t('hist.revision', d.number) }),
    h('p', {}, t('rev.by', d.author, fmtTime(d.time)), d.message ? [' — ', d.message] : null),
    diffView(d.diff), h('p', {}, previewBtn, ' ', link('#/history', t('btn.back'))), out);
};

// The audit log: every write, conflict, failed write and override, with
// who did it, newest first (GET /api/v1/audit).
screens.audit = async root => {
  const recs = await api('GET', '/api/v1/audit?limit=200');
  const result = r => h('span', { class: r.result === 'ok' ? 'ok' : 'bad',
    text: r.result === 'ok' ? t('audit.result.ok') : r.result === 'conflict' ? t('audit.result.conflict') : t('audit.result.failed') });
  put(root, h('h2', { text: t('audit.title') }),
    h('table', { class: 'list', id: 'audit' }, h('thead', {}, h('tr', {}, ['col.time', 'col.author', 'audit.col.result', 'col.rev', 'col.message'].map(c => h('th', { text: t(c) })))),
      h('tbody', {}, recs.map(r => h('tr', {},
        h('td', { text: fmtTime(r.time) }), h('td', { text: r.author }), h('td', {}, result(r)),
        h('td', {}, r.revision ? link('#/history/' + r.revision, '#' + r.revision) : '-'),
        h('td', { text: (r.message || '') + (r.error ? ' (' + r.error + ')' : '') })))),
      recs.length ? null : h('tbody', {}, h('tr', {}, h('td', { colSpan: 5, class: 'empty', text: t('audit.none') })))));
};

screens.vrrp = root => {
  const box = h('div', { id: 'vrrp' });
  put(root, h('h2', { text: t('vrrp.title') }), box);
  return {
    refresh() {
      const s = S.status;
      if (!s) return;
      clear(box);
      if (!s.instances.length) box.append(h('p', { class: 'empty', text: t('dash.noinstances') }));
      for (const i of s.instances) {
        box.append(h('div', { class: 'card' },
          h('h3', {}, i.iname, ' ', stateBadge(i.state)),
          h('dl', {},
            h('dt', { text: t('vrrp.interface') }), h('dd', { text: i.ifp_ifname }),
            h('dt', { text: t('vrrp.vrid') }), h('dd', { text: i.vrid + ' (v' + i.version + ')' }),
            h('dt', { text: t('col.priority') }), h('dd', { text: i.effective_priority + ' / ' + i.base_priority }),
            h('dt', { text: t('col.master') }), h('dd', { text: (i.master_address || '—') + ' (' + i.master_priority + ')' }),
            h('dt', { text: t('vrrp.advert') }), h('dd', { text: (i.advert_interval_ns / 1e9) + ' s' }),
            h('dt', { text: t('col.since') }), h('dd', { text: fmtTime(i.last_transition) }),
            h('dt', { text: t('vrrp.syncgroup') }), h('dd', { text: i.sync_group || '—' }),
            h('dt', { text: t('vrrp.addresses') }), h('dd', { text: (i.vips || []).join(', ') || '—' })),
          h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['col.kind', 'col.name', 'col.health', 'col.tweight'].map(c => h('th', { text: t(c) })))),
            h('tbody', {}, (i.trackers || []).map(tr => h('tr', {}, h('td', { text: tr.kind }), h('td', { text: tr.name }),
              h('td', {}, healthDot(tr.up, ''), ' ', tr.up ? t('health.up') : t('health.down')), h('td', { text: tr.weight }))),
            (i.trackers || []).length ? null : h('tr', {}, h('td', { colSpan: 4, class: 'empty', text: t('vrrp.notrackers') }))))));
      }
    },
  };
};

// ---- routing ----------------------------------------------------------------

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = parts[0] || 'dashboard';
  // Each visit renders into a fresh container: a slower earlier visit
  // still loading cannot draw into this one.
  const gen = ++S.gen;
  const root = h('div', { class: 'screen' });
  const app = document.getElementById('app');
  app.replaceChildren(root);
  delete app.dataset.screen;
  S.view = null;
  if (!S.user && name !== 'login') { location.hash = '#/login'; return; }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('current', a.getAttribute('href') === '#/' + name);
  const fn = {
    login: () => screens.login(root), dashboard: () => screens.dashboard(root), vs: () => screens.vs(root),
    'vs-new': () => screens.vsForm(root), 'vs-edit': () => screens.vsForm(root, parts[1]),
    rs: () => screens.rs(root, parts[1]), 'rs-new': () => screens.rsForm(root, parts[1]),
    'rs-edit': () => screens.rsForm(root, parts[1], parts[2]), globals: () => screens.globals(root),
    review: () => screens.review(root), history: () => screens.history(root, parts[1]), vrrp: () => screens.vrrp(root),
    audit: () => screens.audit(root),
  }[name];
  if (!fn) { put(root, h('p', { text: t('err.noscreen') })); return; }
  try {
    const view = await fn();
    if (gen !== S.gen) return;
    S.view = view || null;
    if (S.view && S.view.refresh) S.view.refresh();
    app.dataset.screen = name;
  } catch (err) {
    if (err.status !== 401) put(root, errorBox(err));
    if (gen === S.gen) app.dataset.screen = 'error';
  }
  if (S.user) updateStaged();
}

async function main() {
  document.addEventListener('securitypolicyviolation', e => S.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.alivedCSPViolations = S.violations;
  await loadLang(pickLang());
  document.getElementById('lang').addEventListener('change', async ev => {
    localStorage.setItem('alived.lang', ev.target.value);
    await loadLang(ev.target.value);
    if (S.user) signedIn({ user: S.user, role: S.role });
    route();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/v1/logout', {}); } catch { /* signed out anyway */ }
    signedOut();
  });
  window.addEventListener('hashchange', route);
  try {
    signedIn(await api('GET', '/api/v1/whoami'));
    if (location.hash === '' || location.hash.startsWith('#/login')) location.hash = '#/dashboard';
  } catch { signedOut(); }
  await route();
  document.body.dataset.ready = '1';
}

main();
