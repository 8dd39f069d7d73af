// Osprey web console: the shell. API calls, small DOM and formatting
// helpers, the sign-in page and the router between the camera grid
// (#/) and the player (#/camera/<name>). Views live in grid.js and
// player.js; each returns an object whose stop() ends its timers.
'use strict';

const Osprey = (window.Osprey = { views: {} });

// GET or POST /console/api/<path>. A 401 means the session is gone: back
// to the sign-in page with the server's reason.
Osprey.api = async function (path, options = {}) {
  const init = { credentials: 'same-origin', headers: {} };
  if (options.body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  } else if (options.method) {
    init.method = options.method;
  }
  const response = await fetch('/console/api/' + path, init);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && !options.signingIn) {
    Osprey.signIn(data.error);
    throw new Error(data.error || 'Signed out');
  }
  if (!response.ok) {
    const error = new Error(data.error || 'The server answered ' + response.status);
    error.status = response.status;
    throw error;
  }
  return data;
};

// el('div.card', {href: ...}, child, 'text', ...)
Osprey.el = function (spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const node = document.createElement(tag || 'div');
  if (classes.length) node.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = value;
    // CSSOM, not the attribute: the page's CSP allows no inline styles.
    else if (key === 'style') node.style.cssText = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

Osprey.fmt = {
  bitrate(bps) {
    if (!bps) return '—';
    if (bps >= 1e6) return (bps / 1e6).toFixed(bps >= 1e7 ? 0 : 1) + ' Mbit/s';
    return Math.round(bps / 1e3) + ' kbit/s';
  },
  retention(hours) {
    if (!hours) return 'live only';
    if (hours % 24 === 0) return hours / 24 === 1 ? 'keeps 1 day' : 'keeps ' + hours / 24 + ' days';
    return 'keeps ' + hours + ' h';
  },
  ago(ms, now) {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  },
  clock(ms, withSeconds = true) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (withSeconds ? ':' + pad(d.getSeconds()) : '');
  },
  day(ms) {
    return new Date(ms).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  },
  span(ms) {
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60 ? (s % 60) + ' s' : '');
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  },
  bytes(n) {
    if (!n) return '0 B';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1000)));
    return (n / Math.pow(1000, i)).toFixed(i ? 1 : 0) + ' ' + units[i];
  },
};

let current = null;

function show(view) {
  if (current && current.stop) current.stop();
  current = view;
}

Osprey.signIn = function (reason) {
  show(null);
  document.getElementById('bar').hidden = true;
  const root = document.getElementById('view');
  const message = Osprey.el('p.form-error', { id: 'signin-error', role: 'alert' });
  const password = Osprey.el('input', {
    id: 'password', type: 'password', name: 'password', autocomplete: 'current-password',
    required: true, autofocus: true, placeholder: 'Console password',
  });
  const button = Osprey.el('button.primary', { type: 'submit', id: 'signin-button' }, 'Sign in');
  const form = Osprey.el('form.signin-card', { id: 'signin' },
    Osprey.el('div.signin-logo', {}, document.querySelector('.brand svg').cloneNode(true)),
    Osprey.el('h1', {}, 'Osprey'),
    Osprey.el('p.muted', {}, 'Sign in to watch your cameras.'),
    Osprey.el('label', { for: 'password' }, 'Password'), password, message, button,
    Osprey.el('p.hint', {}, 'The password is set with console_password, or was generated into ',
      Osprey.el('code', {}, 'DATA_DIR/console-password'), ' at the first start.'));
  if (reason && reason !== 'Sign in to use the console.') message.textContent = reason;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.textContent = '';
    try {
      await Osprey.api('signin', { body: { password: password.value }, signingIn: true });
      if (!location.hash || location.hash === '#/signin') location.hash = '#/';
      route();
    } catch (error) {
      message.textContent = error.message;
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  root.replaceChildren(Osprey.el('div.signin-page', {}, form));
  password.focus();
};

function route() {
  const root = document.getElementById('view');
  document.getElementById('bar').hidden = false;
  const match = location.hash.match(/^#\/camera\/(.+)$/);
  if (match) {
    show(Osprey.views.player(root, decodeURIComponent(match[1])));
  } else {
    show(Osprey.views.grid(root));
  }
  window.scrollTo(0, 0);
}

document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('signout').addEventListener('click', async () => {
    try { await Osprey.api('signout', { body: {} }); } catch (e) { /* signed out either way */ }
    Osprey.signIn('You are signed out.');
  });
  window.addEventListener('hashchange', () => {
    if (!document.getElementById('bar').hidden) route();
  });
  // A sign-in link (printed by deploy/demo.sh) carries the password in the
  // fragment, which browsers never send to a server or put in a Referer.
  // It is dropped from the address bar and the history entry at once.
  const link = location.hash.match(/^#signin=([^&]*)(?:&camera=(.*))?$/);
  if (link) {
    history.replaceState(null, '', location.pathname +
      (link[2] ? '#/camera/' + link[2] : '#/'));
    try {
      await Osprey.api('signin', { body: { password: decodeURIComponent(link[1]) },
                                   signingIn: true });
      route();
      return;
    } catch (error) {
      Osprey.signIn(error.message);
      return;
    }
  }
  try {
    await Osprey.api('session', { signingIn: true });
    route();
  } catch (error) {
    Osprey.signIn();
  }
});
