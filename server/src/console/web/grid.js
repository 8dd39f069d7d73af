// The camera grid (#/): one card per stream with its newest picture, its
// status and what it sends, refreshed every few seconds.
'use strict';

(function () {
  const { el, fmt, api } = window.Osprey;
  const kRefreshMs = 5000;

  const kStatus = {
    live: { label: 'Live', cls: 'live' },
    offline: { label: 'Offline', cls: 'offline' },
    empty: { label: 'No footage', cls: 'empty' },
  };

  function card(stream) {
    const img = el('img', { alt: '', loading: 'lazy', decoding: 'async' });
    img.addEventListener('load', () => img.classList.add('loaded'));
    const node = el('a.card', { href: '#/camera/' + encodeURIComponent(stream.name), 'data-stream': stream.name },
      el('div.thumb', {}, img,
        el('div.thumb-empty', {}, 'No picture yet'),
        el('span.badge', {})),
      el('div.card-body', {},
        el('div.card-title', {}, el('span.name', {}, stream.name), el('span.when', {})),
        el('div.card-sub', {})));
    node.img = img;
    return node;
  }

  function update(node, stream, now) {
    const status = kStatus[stream.status] || kStatus.empty;
    const badge = node.querySelector('.badge');
    badge.className = 'badge ' + status.cls;
    badge.textContent = status.label;
    node.querySelector('.when').textContent = stream.newest_end ? fmt.ago(stream.newest_end, now) : '';
    const parts = [];
    if (stream.status === 'live') parts.push(fmt.bitrate(stream.bitrate_bps));
    parts.push(fmt.retention(stream.retention_hours));
    if (stream.bytes) parts.push(fmt.bytes(stream.bytes) + ' stored');
    if (stream.device) parts.push(stream.device);
    node.querySelector('.card-sub').textContent = parts.join(' · ');
    node.classList.toggle('has-picture', !!stream.newest);
    // A new picture only when the newest fragment changed.
    if (stream.newest && node.dataset.newest !== String(stream.newest)) {
      node.dataset.newest = String(stream.newest);
      node.img.src = '/console/api/thumbnail?height=360&stream=' + encodeURIComponent(stream.name) +
        '&t=' + stream.newest;
    }
  }

  window.Osprey.views.grid = function (root) {
    const grid = el('div.grid', { id: 'camera-grid' });
    const count = el('span.muted', {});
    const notice = el('p.notice', { hidden: true });
    root.replaceChildren(el('section.page', {},
      el('div.page-head', {}, el('h1', {}, 'Cameras'), count), notice, grid));
    const cards = new Map();
    let timer = null;
    let stopped = false;

    async function refresh() {
      try {
        const data = await api('streams');
        if (stopped) return;
        notice.hidden = true;
        const live = data.streams.filter((s) => s.status === 'live').length;
        count.textContent = data.streams.length
          ? data.streams.length + (data.streams.length === 1 ? ' camera' : ' cameras') + ' · ' + live + ' live'
          : '';
        if (!data.streams.length) {
          grid.replaceChildren(el('div.empty-state', {},
            el('h2', {}, 'No cameras yet'),
            el('p', {}, 'Point an osprey-agent or the ospreysink GStreamer element at this server; ' +
              'its stream appears here as soon as the first fragment arrives.')));
          cards.clear();
        } else {
          if (!cards.size) grid.replaceChildren();
          const seen = new Set();
          for (const stream of data.streams) {
            seen.add(stream.name);
            let node = cards.get(stream.name);
            if (!node) {
              node = card(stream);
              cards.set(stream.name, node);
              grid.append(node);
            }
            update(node, stream, data.now);
          }
          for (const [name, node] of cards) {
            if (!seen.has(name)) { node.remove(); cards.delete(name); }
          }
        }
      } catch (error) {
        if (stopped) return;
        notice.textContent = 'Could not load the cameras: ' + error.message;
        notice.hidden = false;
      }
      if (!stopped) timer = setTimeout(refresh, kRefreshMs);
    }
    refresh();
    return { stop() { stopped = true; clearTimeout(timer); } };
  };
})();
