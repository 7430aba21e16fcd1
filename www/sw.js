// Petri's service worker: keeps one deployment's files so the page reloads and trains without
// the network. scripts/precache.mjs writes this file into the build with the deployment's
// version and file list; a new deployment is a new version, installed beside the old one into
// its own cache and switched to whole (never a mix of old and new files).
const VERSION = '__VERSION__';
/** Fetched at install: the app shell, the CPU engine (on one thread and on every core),
 * lessons and example files. */
const PRECACHE = ['__PRECACHE__'];
/** Kept when first fetched: the WebGPU engine (three times the CPU engine; a browser without a
 * usable GPU never needs it). */
const ON_USE = ['__ON_USE__'];
const CACHE = `petri-${VERSION}`;

const url = (file) => new URL(file, self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Past the HTTP cache: an old file under the same name must not enter the new cache.
    await cache.addAll(PRECACHE.map((file) => new Request(url(file), { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('petri-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// The page's Reload button: the waiting version takes over.
self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

// Every file the page loads comes with the headers that make it cross-origin isolated (the
// coi-serviceworker pattern), so on any static host the CPU engine gets shared memory and
// runs on every core: from the first load this worker controls, e.g. the next reload.
const isolated = (response) => {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
};

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Any address of the page itself (?debug, a fragment) is the cached index.html.
    const key = request.mode === 'navigate' ? url('index.html') : request;
    const cached = await cache.match(key, { ignoreSearch: true });
    if (cached) return isolated(cached);
    const response = await fetch(request);
    const path = new URL(request.url).pathname;
    if (response.ok && ON_USE.some((file) => path.endsWith(`/${file}`))) {
      await cache.put(request, response.clone());
    }
    return isolated(response);
  })());
});
