// claas gateway dashboard: polls the read-only admin API (../api/) and renders the replica matrix, the
// sources (when the gateway runs inside `claas run`), the libraries, the selected library's items (paginated, searched and sorted by the server), the tenants and
// the recent audit events. Plain ES module, no framework, no build step. Data from the API is only ever
// put in the page with createElement/textContent/setAttribute: names may be hostile, never innerHTML.

// The API beside the page (../api/ of /ui/), built from location.origin: the page's own URL may carry
// the admin's credentials (http://admin:PASSWORD@host/ui/, as bookmarked), and browsers refuse fetch()
// of a URL with credentials. The browser keeps sending the Basic credentials it authenticated with.
const API = new URL('../api/', window.location.origin + window.location.pathname).href;
const PAGE_SIZE = 100;
const DEFAULT_REFRESH_SECONDS = 5;
const SEARCH_DEBOUNCE_MS = 300;
const FETCH_TIMEOUT_MS = 30_000;

/** What each store state reads as; the colour only repeats it. */
const STATE_LABELS = {
  consistent: 'consistent',
  lagging: 'catching up',
  broken: 'broken',
  empty: 'empty',
  error: 'error',
  pending: 'pending',
};
/** A mirror replica claas mirror never filled (state empty while the origin has a version): what to do. */
const UNFILLED_LABEL = 'empty — run claas mirror';
const TYPE_LABELS = { ovf: 'OVF', iso: 'ISO', other: 'other' };
/** Sort columns that start descending (newest, biggest first); the others start ascending. */
const DESCENDING_FIRST = new Set(['size', 'version', 'changed']);

const numbers = new Intl.NumberFormat('en-US');

const state = {
  refreshMs: DEFAULT_REFRESH_SECONDS * 1000,
  clockOffsetMs: 0, // the gateway's clock minus the browser's, from overview.generatedAt
  refreshedAt: null, // browser time (ms) of the last refresh where every request succeeded
  polling: false,
  timer: null,
  live: '',
  rendered: {}, // section -> JSON last rendered, to leave unchanged sections alone
  libraries: [],
  selected: null, // name of the library whose items are shown
  items: { offset: 0, q: '', sort: 'name', order: 'asc', version: undefined, seq: 0, controller: null },
};

// ---------------------------------------------------------------------------------------------------
// DOM helpers

const $ = (selector) => document.querySelector(selector);

/** createElement with attributes; children are nodes or strings (added as text, never parsed). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function visuallyHidden(text) {
  return el('span', { class: 'visually-hidden' }, text);
}

/**
 * Replaces a container's content without losing what the user is doing in it: the element with keyboard
 * focus and open <details> are found again by their data-key after the render.
 */
function rerender(container, nodes) {
  const active = document.activeElement;
  const focusedKey = active && container.contains(active) ? active.closest('[data-key]')?.dataset.key : null;
  const openKeys = new Set(
    [...container.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key),
  );
  container.replaceChildren(...nodes);
  if (openKeys.size > 0) {
    for (const details of container.querySelectorAll('details[data-key]')) {
      if (openKeys.has(details.dataset.key)) details.open = true;
    }
  }
  if (focusedKey) {
    const again = [...container.querySelectorAll('[data-key]')].find((n) => n.dataset.key === focusedKey);
    (again?.matches('details') ? again.querySelector('summary') : again)?.focus();
  }
}

/** Renders a section only when its data changed since the last render. */
function changed(section, data) {
  const json = JSON.stringify(data);
  if (state.rendered[section] === json) return false;
  state.rendered[section] = json;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Formatting

function formatNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? numbers.format(n) : '—';
}

/** Bytes in binary units: 912345678901 -> "849.7 GiB". */
function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${numbers.format(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A duration, coarser as it grows: "25 s", "3 min", "2 h 5 min", "4 d 3 h". */
function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

function plural(n, one, many = `${one}s`) {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** "2026-11-20 08:00:00 UTC" for an ISO time, the text itself when it is not one. */
function formatAbsolute(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return new Date(t)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** The gateway's clock now, estimated from the browser's. */
function browserTime(serverMs) {
  return serverMs - state.clockOffsetMs;
}

/**
 * A <time> that says how long ago `epochMs` (browser clock) was and keeps ticking (see tick()); the
 * absolute time is in its title.
 */
function agoElement(iso, epochMs, extra = {}) {
  const node = el('time', { class: 'ago', datetime: iso, title: iso ? formatAbsolute(iso) : null, ...extra });
  node.dataset.epoch = String(epochMs);
  renderAgo(node);
  return node;
}

/** agoElement for an ISO time of the gateway's, or a dash when there is none. */
function timeAgo(iso, fallback = '—') {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return fallback;
  return agoElement(iso, browserTime(t));
}

function renderAgo(node) {
  const epoch = Number(node.dataset.epoch);
  setText(node, `${formatDuration((Date.now() - epoch) / 1000)} ago`);
}

function stateLabel(s) {
  return STATE_LABELS[s] ?? String(s ?? 'unknown');
}

function stateBadge(s) {
  const known = Object.hasOwn(STATE_LABELS, s) ? s : 'unknown';
  return el('span', { class: `badge badge-${known}` }, stateLabel(s));
}

/** True for a mirror replica that holds no version although the origin has one: claas mirror never ran. */
function unfilled(store, originVersion) {
  return (
    store.state === 'empty' &&
    store.role === 'replica' &&
    store.mode === 'mirror' &&
    typeof originVersion === 'number'
  );
}

function storeBadge(store, originVersion) {
  if (!unfilled(store, originVersion)) return stateBadge(store.state);
  return el('span', { class: 'badge badge-empty badge-unfilled' }, UNFILLED_LABEL);
}

// ---------------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(path, status, message) {
    super(message);
    this.path = path;
    this.status = status;
  }
}

function requestSignal(signal) {
  const timeout = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  if (!signal) return timeout;
  return typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, timeout]) : signal;
}

function describeFailure(response, body) {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 401) return `${status}: not signed in any more; reload the page to sign in again`;
  const message = body?.error?.message;
  return typeof message === 'string' && message ? `${status}: ${message}` : status;
}

/** GET ../api/<path> as JSON; throws ApiError (status 0 when the gateway did not answer). */
async function getJson(path, signal) {
  let response;
  try {
    response = await fetch(API + path, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
      signal: requestSignal(signal),
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(
      path,
      0,
      err?.name === 'TimeoutError' ? 'no answer in time' : 'the gateway did not answer',
    );
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(path, response.status, describeFailure(response, body));
  if (body === null || typeof body !== 'object')
    throw new ApiError(path, response.status, 'the answer is not JSON');
  return body;
}

// ---------------------------------------------------------------------------------------------------
// Header: version, "updated N s ago", live status and the error banner

function renderGateway(gateway) {
  const version = $('#version');
  setText(version, gateway?.version ? `v${gateway.version}` : '');
  if (gateway?.startedAt) version.title = `started ${formatAbsolute(gateway.startedAt)}`;
}

function setLive(text) {
  if (state.live === text) return;
  state.live = text;
  setText($('#live'), text);
}

function renderUpdated() {
  const node = $('#updated');
  if (state.refreshedAt === null) return;
  const age = (Date.now() - state.refreshedAt) / 1000;
  setText(node, `updated ${formatDuration(age)} ago`);
  node.classList.toggle('stale', age * 1000 > 3 * state.refreshMs);
}

function markRefreshed(at) {
  state.refreshedAt = at;
  const node = $('#updated');
  node.dataset.refreshedAt = new Date(at).toISOString();
  node.title = formatAbsolute(node.dataset.refreshedAt);
  renderUpdated();
}

/** Shows what failed in the alert banner (or hides it); the data on the page stays as it was. */
function showFailures(failures) {
  const banner = $('#alert');
  if (failures.length === 0) {
    if (!banner.hidden) banner.replaceChildren();
    banner.hidden = true;
    return;
  }
  const unique = new Map();
  for (const f of failures) {
    const message = f instanceof ApiError ? f.message : `the page could not show it (${f?.message ?? f})`;
    const where = f instanceof ApiError ? `/api/${f.path.split('?')[0]}` : 'dashboard';
    unique.set(message, [...(unique.get(message) ?? []), where]);
  }
  const lines = [...unique].map(([message, where]) => el('li', {}, `${where.join(', ')}: ${message}`));
  const since = state.refreshedAt === null ? 'No data yet.' : 'Showing the last data received; retrying.';
  const next = [
    el('strong', {}, 'Could not refresh the dashboard.'),
    el('ul', {}, ...lines),
    el('p', {}, since),
  ];
  const text = next.map((n) => n.textContent).join('\n');
  if (banner.hidden || banner.dataset.text !== text) {
    banner.dataset.text = text;
    banner.replaceChildren(...next);
  }
  banner.hidden = false;
}

// ---------------------------------------------------------------------------------------------------
// Replica matrix

/** Store names over all libraries, origins first, then in the order the API lists them. */
function storeColumns(libraries) {
  const origins = [];
  const replicas = [];
  for (const lib of libraries) {
    for (const store of lib.stores ?? []) {
      const list = store.role === 'origin' ? origins : replicas;
      if (!origins.includes(store.name) && !replicas.includes(store.name)) list.push(store.name);
    }
  }
  return [...origins, ...replicas];
}

function storeTitle(store) {
  const role = [store.role, store.mode].filter(Boolean).join(', ');
  const lines = [`${store.name}${role ? ` (${role})` : ''}${store.location ? `: ${store.location}` : ''}`];
  for (const problem of store.problems ?? []) lines.push(String(problem));
  return lines.join('\n');
}

function versionsText(store) {
  const v = (n) => (typeof n === 'number' ? `v${n}` : '–');
  return el(
    'span',
    { class: 'versions', title: 'consistent version / lib.json version' },
    visuallyHidden('consistent version '),
    v(store.consistentVersion),
    visuallyHidden(' of lib.json version'),
    el('span', { 'aria-hidden': 'true' }, ' / '),
    v(store.libVersion),
  );
}

function lagText(store) {
  const behind = typeof store.behind === 'number' ? store.behind : 0;
  const seconds = typeof store.lagSeconds === 'number' ? store.lagSeconds : 0;
  if (behind <= 0 && seconds <= 0) return null;
  const parts = [];
  if (behind > 0) parts.push(plural(behind, 'version'));
  if (seconds > 0) parts.push(formatDuration(seconds));
  return el('span', { class: 'lag' }, `${parts.join(', ')} behind`);
}

function countsText(store) {
  const parts = [];
  if (store.missing > 0) parts.push(`${formatNumber(store.missing)} missing`);
  if (store.wrong > 0) parts.push(`${formatNumber(store.wrong)} wrong`);
  return parts.length ? el('span', { class: 'counts' }, parts.join(', ')) : null;
}

function problemsToggle(key, problems, noun = 'problem') {
  if (!Array.isArray(problems) || problems.length === 0) return null;
  return el(
    'details',
    { class: 'problems', 'data-key': key },
    el('summary', {}, plural(problems.length, noun)),
    el('ul', {}, ...problems.map((p) => el('li', {}, String(p)))),
  );
}

function storeCell(library, store, originVersion) {
  return el(
    'td',
    {
      class: 'cell',
      'data-library': library,
      'data-store': store.name,
      'data-state': store.state,
      title: storeTitle(store),
    },
    el(
      'div',
      { class: 'cell-head' },
      storeBadge(store, originVersion),
      store.served
        ? el('span', { class: 'served', title: 'lib.json is served from here now' }, 'served')
        : null,
    ),
    versionsText(store),
    lagText(store),
    countsText(store),
    store.reachable === false ? el('span', { class: 'unreachable' }, 'unreachable from the gateway') : null,
    problemsToggle(`problems:${library}:${store.name}`, store.problems),
  );
}

function absentCell(library, name) {
  return el(
    'td',
    { class: 'cell absent', 'data-library': library, 'data-store': name },
    el('span', { 'aria-hidden': 'true' }, '—'),
    visuallyHidden('not configured'),
  );
}

function originCell(origin, receivedAt) {
  if (!origin || (typeof origin.ageSeconds !== 'number' && !origin.committedAt)) return el('td', {}, '—');
  const epoch =
    typeof origin.ageSeconds === 'number'
      ? receivedAt - origin.ageSeconds * 1000
      : browserTime(Date.parse(origin.committedAt));
  return el(
    'td',
    { class: 'origin-age' },
    typeof origin.version === 'number' ? el('span', { class: 'versions' }, `v${origin.version}, `) : null,
    agoElement(origin.committedAt ?? null, epoch),
  );
}

function libraryHeader(lib) {
  const checked = lib.checkedAt ? el('span', { class: 'checked' }, 'checked ', timeAgo(lib.checkedAt)) : null;
  const failure = lib.error
    ? el('span', { class: 'check-error' }, `check failed: ${String(lib.error)}`)
    : null;
  return el(
    'th',
    { scope: 'row' },
    el('span', { class: 'lib-name' }, String(lib.library)),
    stateBadge(lib.state),
    checked,
    failure,
  );
}

function renderMatrix(data, receivedAt) {
  const libraries = Array.isArray(data.libraries) ? data.libraries : [];
  const columns = storeColumns(libraries);
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, 'Library'),
    el('th', { scope: 'col' }, 'Origin committed'),
    ...columns.map((name) => el('th', { scope: 'col' }, name)),
  );
  const rows = libraries.map((lib) => {
    const byName = new Map((lib.stores ?? []).map((s) => [s.name, s]));
    return el(
      'tr',
      { 'data-library': lib.library, 'data-state': lib.state },
      libraryHeader(lib),
      originCell(lib.origin, receivedAt),
      ...columns.map((name) =>
        byName.has(name)
          ? storeCell(lib.library, byName.get(name), lib.origin?.version)
          : absentCell(lib.library, name),
      ),
    );
  });
  rerender($('#matrix thead'), [head]);
  rerender($('#matrix tbody'), rows);
  $('#matrix-empty').hidden = libraries.length > 0;
}

// ---------------------------------------------------------------------------------------------------
// Sources (overview.sources, only when the gateway runs inside `claas run`)

const VMTX_FIX = 'VM templates cannot travel over VCSP: clone each into the library as an OVF template.';

/** [badge class, label]: failing since its last successful poll, fine, or not polled yet. */
function sourceState(source) {
  const error = source.lastError;
  const success = Date.parse(source.lastSuccessAt ?? '');
  if (error && (Number.isNaN(success) || Date.parse(error.at) >= success)) return ['error', 'failing'];
  if (Number.isNaN(success)) return ['pending', 'not polled yet'];
  return ['consistent', 'ok'];
}

function sourceProblems(library, source) {
  const lines = [];
  const error = source.lastError;
  if (error) {
    const fix = error.hint ? ` (fix: ${String(error.hint)})` : '';
    lines.push(`${formatAbsolute(error.at)}: ${String(error.message)}${fix}`);
  }
  const vmtx = Array.isArray(source.vmtx) ? source.vmtx.map(String) : [];
  const key = `sources:${library}:${source.source}`;
  const toggle =
    vmtx.length === 0
      ? null
      : el(
          'details',
          { class: 'problems', 'data-key': `${key}:vmtx` },
          el('summary', {}, `${plural(vmtx.length, 'VM template')} not copied`),
          el('p', { class: 'fix' }, VMTX_FIX),
          el('ul', {}, ...vmtx.map((name) => el('li', {}, name))),
        );
  if (lines.length === 0 && !toggle) return el('td', {}, 'none');
  return el('td', {}, ...lines.map((l) => el('span', { class: 'source-error' }, l)), toggle);
}

function sourceLibraryCell(lib) {
  const standby = lib.role === 'standby';
  return el(
    'td',
    {},
    el('span', { class: 'lib-name' }, String(lib.library)),
    standby
      ? el(
          'span',
          { class: 'badge badge-pending', title: lib.standbyFor ? `${lib.standbyFor} publishes` : null },
          'standby',
        )
      : null,
  );
}

function sourceRow(lib, source) {
  const [kind, label] = sourceState(source);
  return el(
    'tr',
    { 'data-library': lib.library, 'data-source': source.source, 'data-state': kind },
    el(
      'th',
      { scope: 'row' },
      String(source.source),
      el('span', { class: 'source-kind' }, String(source.kind)),
    ),
    sourceLibraryCell(lib),
    el('td', { class: 'source-state' }, el('span', { class: `badge badge-${kind}` }, label)),
    el('td', {}, timeAgo(source.lastPollAt, 'not yet')),
    el('td', {}, timeAgo(source.lastChangeAt, 'none since start')),
    el('td', { class: 'num' }, formatNumber(source.itemsPending)),
    sourceProblems(lib.library, source),
  );
}

function renderSources(libraries) {
  const shown = Array.isArray(libraries);
  $('#sources').hidden = !shown;
  $('#sources-nav').hidden = !shown;
  if (!shown) return;
  const rows = libraries.flatMap((lib) =>
    (Array.isArray(lib.sources) ? lib.sources : []).map((source) => sourceRow(lib, source)),
  );
  rerender($('#sources-table tbody'), rows.length ? rows : [emptyRow(7, 'No sources configured.')]);
}

// ---------------------------------------------------------------------------------------------------
// Libraries and the selection

function libraryRow(lib) {
  const selected = lib.name === state.selected;
  return el(
    'tr',
    { 'data-library': lib.name, class: selected ? 'selected' : null },
    el(
      'th',
      { scope: 'row' },
      el(
        'button',
        {
          type: 'button',
          class: 'select-library',
          'aria-pressed': String(selected),
          'data-key': `lib:${lib.name}`,
        },
        lib.name,
      ),
    ),
    el('td', { class: 'num' }, lib.servedVersion === null ? 'none' : formatNumber(lib.servedVersion)),
    el('td', {}, lib.servedFrom ?? 'none (no complete version)'),
    el('td', { class: 'num' }, formatNumber(lib.items)),
    el('td', { class: 'num', title: `${formatNumber(lib.bytes)} bytes` }, formatBytes(lib.bytes)),
    el('td', {}, timeAgo(lib.committedAt)),
    el('td', { class: 'url' }, lib.url ? el('code', {}, String(lib.url)) : '—'),
  );
}

function renderLibraries(libraries) {
  rerender($('#libraries-table tbody'), libraries.map(libraryRow));
}

function markSelected() {
  for (const row of document.querySelectorAll('#libraries-table tbody tr')) {
    const selected = row.dataset.library === state.selected;
    row.classList.toggle('selected', selected);
    row.querySelector('button')?.setAttribute('aria-pressed', String(selected));
  }
}

function selectLibrary(name) {
  if (state.selected === name) return;
  state.selected = name;
  state.items.offset = 0;
  state.items.version = undefined;
  markSelected();
  loadItems();
}

function applyOverview(overview, receivedAt) {
  const generated = Date.parse(overview.generatedAt);
  if (!Number.isNaN(generated)) state.clockOffsetMs = generated - receivedAt;
  const seconds = overview.gateway?.refreshSeconds;
  if (typeof seconds === 'number' && seconds > 0) state.refreshMs = Math.max(1000, seconds * 1000);
  renderGateway(overview.gateway);
  if (changed('sources', overview.sources ?? null)) renderSources(overview.sources);
  state.libraries = Array.isArray(overview.libraries) ? overview.libraries : [];
  if (!state.libraries.some((l) => l.name === state.selected)) {
    state.selected = state.libraries[0]?.name ?? null;
    state.items.offset = 0;
    state.items.version = undefined;
  }
  if (changed('libraries', [state.libraries, state.selected])) renderLibraries(state.libraries);
  reloadItemsIfStale();
}

// ---------------------------------------------------------------------------------------------------
// Items of the selected library: one page at a time from the server

function reloadItemsIfStale() {
  const lib = state.libraries.find((l) => l.name === state.selected);
  if (!lib) {
    renderNoLibrary();
    return;
  }
  if (state.items.controller) return; // a load is running; it reads the version it gets
  if (state.items.version !== lib.servedVersion) loadItems();
}

function itemsQuery() {
  const { offset, q, sort, order } = state.items;
  const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE_SIZE), sort, order });
  if (q) params.set('q', q);
  return `libraries/${encodeURIComponent(state.selected)}/items?${params}`;
}

async function loadItems() {
  if (!state.selected) return renderNoLibrary();
  state.items.controller?.abort();
  const controller = new AbortController();
  const seq = ++state.items.seq;
  state.items.controller = controller;
  $('#items').setAttribute('aria-busy', 'true');
  try {
    const page = await getJson(itemsQuery(), controller.signal);
    if (seq !== state.items.seq) return;
    if (page.items?.length === 0 && page.total > 0 && state.items.offset > 0) {
      state.items.offset = Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE; // shrank: last page
      state.items.controller = null;
      return loadItems();
    }
    state.items.version = page.version;
    renderItems(page);
  } catch (err) {
    if (seq !== state.items.seq || controller.signal.aborted) return;
    renderItemsFailure(err);
  } finally {
    if (seq === state.items.seq) {
      state.items.controller = null;
      $('#items').removeAttribute('aria-busy');
    }
  }
}

function itemRow(item) {
  return el(
    'tr',
    { 'data-item': item.name },
    el('th', { scope: 'row', title: item.id ? `id ${item.id}` : null }, String(item.name)),
    el('td', {}, TYPE_LABELS[item.type] ?? String(item.type ?? '—')),
    el('td', { class: 'num', title: `${formatNumber(item.size)} bytes` }, formatBytes(item.size)),
    el('td', { class: 'num' }, formatNumber(item.version)),
    el('td', {}, timeAgo(item.changed)),
  );
}

function rangeText(page) {
  const shown = page.items.length;
  if (page.total === 0 || shown === 0)
    return state.items.q ? `No item matches “${state.items.q}”` : 'No items';
  return `${formatNumber(page.offset + 1)}–${formatNumber(page.offset + shown)} of ${formatNumber(page.total)}`;
}

function renderItems(page) {
  const items = Array.isArray(page.items) ? page.items : [];
  const normalized = { ...page, items, offset: page.offset ?? state.items.offset, total: page.total ?? 0 };
  setText($('#items-heading'), `Items in ${state.selected}`);
  const from = page.replica ? `, served from ${page.replica}` : '';
  setText($('#items-status'), `Version ${formatNumber(page.version)}${from}.`);
  $('#items-status').classList.remove('error');
  $('#items tbody').replaceChildren(...items.map(itemRow));
  setText($('#items-range'), rangeText(normalized));
  setPager(normalized.offset > 0, normalized.offset + items.length < normalized.total);
}

function renderItemsFailure(err) {
  const message = err instanceof ApiError ? err.message : String(err?.message ?? err);
  const noVersion = err instanceof ApiError && err.status === 503;
  setText($('#items-heading'), `Items in ${state.selected}`);
  setText(
    $('#items-status'),
    noVersion
      ? `No complete version of ${state.selected} yet (${message}).`
      : `Could not load items: ${message}`,
  );
  $('#items-status').classList.add('error');
  if (noVersion || err?.status === 404) {
    state.items.version = null;
    $('#items tbody').replaceChildren();
    setText($('#items-range'), '');
    setPager(false, false);
  }
}

function renderNoLibrary() {
  setText($('#items-heading'), 'Items');
  setText($('#items-status'), 'No library to show.');
  $('#items tbody').replaceChildren();
  setText($('#items-range'), '');
  setPager(false, false);
}

/** Enables the pager buttons; keeps keyboard focus on the pager when the focused button turns off. */
function setPager(hasPrevious, hasNext) {
  const prev = $('#prev-page');
  const next = $('#next-page');
  const focused = document.activeElement;
  prev.disabled = !hasPrevious;
  next.disabled = !hasNext;
  if (focused === next && next.disabled && !prev.disabled) prev.focus();
  if (focused === prev && prev.disabled && !next.disabled) next.focus();
}

function turnPage(direction) {
  const offset = Math.max(0, state.items.offset + direction * PAGE_SIZE);
  if (offset === state.items.offset) return;
  state.items.offset = offset;
  loadItems();
}

function sortBy(column) {
  const items = state.items;
  if (items.sort === column) items.order = items.order === 'asc' ? 'desc' : 'asc';
  else {
    items.sort = column;
    items.order = DESCENDING_FIRST.has(column) ? 'desc' : 'asc';
  }
  items.offset = 0;
  renderSortHeaders();
  loadItems();
}

function renderSortHeaders() {
  for (const th of document.querySelectorAll('#items th[data-sort]')) {
    if (th.dataset.sort === state.items.sort) {
      th.setAttribute('aria-sort', state.items.order === 'asc' ? 'ascending' : 'descending');
    } else th.removeAttribute('aria-sort');
  }
}

/** Turns the items table's column headers into sort buttons. */
function setUpSortHeaders() {
  for (const th of document.querySelectorAll('#items th[data-sort]')) {
    const label = th.textContent.trim();
    const button = el('button', { type: 'button', class: 'sort' }, label, el('span', { class: 'sort-mark' }));
    button.addEventListener('click', () => sortBy(th.dataset.sort));
    th.replaceChildren(button);
  }
  renderSortHeaders();
}

function setUpSearch() {
  const input = $('#item-search');
  let timer = null;
  const apply = () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === state.items.q) return;
    state.items.q = q;
    state.items.offset = 0;
    loadItems();
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, SEARCH_DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') apply();
  });
}

// ---------------------------------------------------------------------------------------------------
// Tenants and audit

/** The last lib.json version each library was served to the tenant, marked when older than the newest. */
function fetchedCell(tenant) {
  const fetched = Array.isArray(tenant.fetched) ? tenant.fetched : [];
  if (fetched.length === 0) return el('td', {}, '—');
  const parts = fetched.flatMap((f, i) => [
    i > 0 ? ', ' : null,
    el(
      'span',
      { title: f.at ? `served ${formatAbsolute(f.at)}` : null },
      `${String(f.library)} v${String(f.version)}`,
    ),
    f.behind
      ? el(
          'span',
          { class: 'badge badge-lagging', title: `the newest version is v${String(f.newest)}` },
          'behind',
        )
      : null,
  ]);
  return el('td', { 'data-fetched': '' }, ...parts);
}

/** Per gateway counts (tenants in the store), as a cell title. */
function perGateway(tenant) {
  const gateways = Array.isArray(tenant.gateways) ? tenant.gateways : [];
  if (gateways.length === 0) return null;
  return gateways
    .map((g) => `${String(g.id)}: ${formatNumber(g.requests)} requests, ${formatBytes(g.bytesServed)}`)
    .join('\n');
}

function tenantRow(tenant) {
  const libraries = Array.isArray(tenant.libraries) ? tenant.libraries.map(String) : [];
  const split = perGateway(tenant);
  return el(
    'tr',
    { 'data-tenant': tenant.name },
    el('th', { scope: 'row' }, String(tenant.name)),
    el('td', {}, libraries.length ? libraries.join(', ') : 'none'),
    el(
      'td',
      { class: 'num', title: split ?? `${formatNumber(tenant.bytesServed)} bytes` },
      formatBytes(tenant.bytesServed),
    ),
    el('td', { class: 'num', title: split }, formatNumber(tenant.requests)),
    el('td', {}, timeAgo(tenant.lastSeen, 'not since the gateway started')),
    fetchedCell(tenant),
  );
}

/** Where the tenants come from (tenants in the store): the store, the age of the view, whether it is stale. */
function tenantViewNote(view) {
  if (!view || typeof view !== 'object') return [];
  const from = view.source ? `the store (${String(view.source)})` : 'the store (none added yet)';
  const note = [`Tenants from ${from}, read `, timeAgo(view.readAt, 'never'), '. '];
  if (view.stale) {
    const why = view.lastError?.message ? `: ${String(view.lastError.message)}` : '';
    note.push(
      el(
        'span',
        { class: 'warning', 'data-stale': '' },
        `Stale: the store cannot be read${why}; the last view is in force. `,
      ),
    );
  }
  return note;
}

function renderTenants(data) {
  const tenants = Array.isArray(data.tenants) ? data.tenants : [];
  const since = $('#tenants-since');
  const gateways = Array.isArray(data.gateways) ? data.gateways : [];
  const counts =
    gateways.length > 0
      ? [
          `Bytes, requests and last seen are summed over ${formatNumber(gateways.length)} gateway${gateways.length === 1 ? '' : 's'} (${gateways.map((g) => String(g.id)).join(', ')}); hover a count for each gateway's.`,
        ]
      : data.since
        ? [
            'Bytes, requests and last seen count what this gateway served since it started, ',
            timeAgo(data.since),
            '.',
          ]
        : [];
  since.replaceChildren(...tenantViewNote(data.view), ...counts);
  rerender($('#tenants-table tbody'), tenants.length ? tenants.map(tenantRow) : [emptyRow(6, 'No tenants.')]);
}

function auditItems(entry, key) {
  const items = Array.isArray(entry.items) ? entry.items : [];
  if (items.length === 0) return null;
  const total = typeof entry.itemsTotal === 'number' ? entry.itemsTotal : items.length;
  const lines = items.map((i) => `${String(i.name)}: ${String(i.change)}`);
  if (total > items.length) lines.push(`and ${formatNumber(total - items.length)} more`);
  return problemsToggle(key, lines, 'item');
}

function auditRow(entry, index) {
  const key = `audit:${entry.at}:${entry.library}:${entry.version}:${index}`;
  return el(
    'tr',
    { 'data-audit': '' },
    el('td', {}, timeAgo(entry.at)),
    el('td', {}, String(entry.library ?? '—')),
    el('td', {}, String(entry.action ?? '—')),
    el('td', { class: 'actor' }, String(entry.actor ?? '—')),
    el('td', { class: 'num' }, formatNumber(entry.version)),
    el('td', {}, String(entry.summary ?? ''), auditItems(entry, key)),
  );
}

function renderAudit(data) {
  const entries = Array.isArray(data.entries) ? data.entries : [];
  rerender(
    $('#audit-table tbody'),
    entries.length ? entries.map(auditRow) : [emptyRow(6, 'No audit events.')],
  );
  const unreadable = $('#audit-unreadable');
  unreadable.hidden = !(data.unreadable > 0);
  setText(
    unreadable,
    data.unreadable > 0
      ? `${plural(data.unreadable, 'audit object')} could not be read as entries (see claas audit --strict).`
      : '',
  );
}

function emptyRow(columns, text) {
  return el('tr', {}, el('td', { colspan: columns, class: 'empty' }, text));
}

// ---------------------------------------------------------------------------------------------------
// Polling

const SECTIONS = [
  ['overview', (data, at) => applyOverview(data, at)],
  ['replicas', (data, at) => changed('replicas', data) && renderMatrix(data, at)],
  ['tenants', (data) => changed('tenants', data) && renderTenants(data)],
  ['audit', (data) => changed('audit', data) && renderAudit(data)],
];

/** Fetches one section and renders it; resolves to null or to what went wrong. */
async function refreshSection([path, render]) {
  try {
    const data = await getJson(path);
    render(data, Date.now());
    return null;
  } catch (err) {
    if (!(err instanceof ApiError)) console.error(`dashboard: rendering ${path} failed`, err);
    return err;
  }
}

/** One refresh of every section; never two at once; schedules the next one. */
async function poll() {
  if (state.polling) return;
  state.polling = true;
  clearTimeout(state.timer);
  try {
    const failures = (await Promise.all(SECTIONS.map(refreshSection))).filter(Boolean);
    if (failures.length === 0) markRefreshed(Date.now());
    showFailures(failures);
    const every = `every ${formatDuration(state.refreshMs / 1000)}`;
    setLive(failures.length === 0 ? `Live, refreshing ${every}` : `Refresh failed, retrying ${every}`);
  } finally {
    state.polling = false;
    schedule();
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = document.hidden ? null : setTimeout(poll, state.refreshMs);
}

function onVisibilityChange() {
  if (document.hidden) {
    clearTimeout(state.timer);
    state.timer = null;
    setLive('Paused while this tab is hidden');
  } else if (!state.polling) poll();
}

/** Once a second: "updated N s ago" and every relative time on the page. */
function tick() {
  renderUpdated();
  for (const node of document.querySelectorAll('time.ago[data-epoch]')) renderAgo(node);
}

function start() {
  setUpSortHeaders();
  setUpSearch();
  $('#prev-page').addEventListener('click', () => turnPage(-1));
  $('#next-page').addEventListener('click', () => turnPage(1));
  $('#libraries-table').addEventListener('click', (event) => {
    const button = event.target.closest('button.select-library');
    if (button) selectLibrary(button.closest('tr').dataset.library);
  });
  setPager(false, false);
  document.addEventListener('visibilitychange', onVisibilityChange);
  setInterval(tick, 1000);
  poll();
}

start();
