// Registers Petri's service worker (offline use) and says when a new version is ready.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', async () => {
    let registration;
    try {
      registration = await navigator.serviceWorker.register('sw.js');
    } catch (error) {
      console.warn(`Petri works online only here: ${error}`);
      return;
    }
    // A browser that blocks service workers may register nothing without saying why.
    if (!registration) return;
    const offer = (worker) => {
      if (!navigator.serviceWorker.controller || document.querySelector('.update-ready')) return;
      const bar = document.createElement('p');
      bar.className = 'update-ready';
      bar.setAttribute('role', 'status');
      bar.textContent = 'A new version of Petri is ready. ';
      const button = document.createElement('button');
      button.textContent = 'Reload to update';
      button.addEventListener('click', () => worker.postMessage('skip-waiting'));
      bar.append(button);
      document.body.prepend(bar);
    };
    if (registration.waiting) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed') offer(worker);
      });
    });
    let reloading = false;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (reloading || !document.querySelector('.update-ready')) return;
      reloading = true;
      location.reload();
    });
  });
}
