// The player page (#/camera/<name>): live view or replay through hls.js
// on the same SessionToken URLs the API hands out, the timeline, and clip
// download of a selected range.
'use strict';

(function () {
  const { el, fmt, api } = window.Osprey;
  const kReplayMs = 30 * 60e3;     // one ON_DEMAND session covers this much
  const kClipMaxMs = 60 * 60e3;    // GetClip cuts at 200 fragments / 100 MB anyway

  window.Osprey.views.player = function (root, name) {
    const video = el('video', { muted: true, playsinline: true, autoplay: true, id: 'video' });
    video.muted = true;
    const message = el('div.stage-message', { hidden: true });
    const clock = el('div.stage-clock', { id: 'stage-clock' });
    const modeBadge = el('span.badge.live', { id: 'mode-badge' }, 'Live');
    const liveButton = el('button.primary', { type: 'button', id: 'go-live' }, 'Go live');
    const status = el('span.muted', { id: 'camera-status' });
    const selectionBar = el('div.selection-bar', { hidden: true });
    const timelineBox = el('div', {});
    root.replaceChildren(el('section.page.player-page', {},
      el('div.crumbs', {}, el('a', { href: '#/' }, '← Cameras')),
      el('div.title-row', {}, el('h1', {}, name), modeBadge, status),
      el('div.stage', {}, video, message, clock),
      el('div.controls', {}, liveButton,
        el('button.ghost', { type: 'button', id: 'mute', onclick: () => {
          video.muted = !video.muted;
          document.getElementById('mute').textContent = video.muted ? 'Unmute' : 'Mute';
        } }, 'Unmute'),
        el('button.ghost', { type: 'button', onclick: () => {
          const stage = video.parentElement;
          // iPhone Safari has no element fullscreen, only the video's own.
          const done = stage.requestFullscreen ? stage.requestFullscreen()
            : video.webkitEnterFullscreen && video.webkitEnterFullscreen();
          if (done && done.catch) done.catch(() => {});
        } }, 'Full screen')),
      timelineBox, selectionBar));

    let hls = null;
    let session = 0;
    let stopped = false;

    function say(text) { message.textContent = text || ''; message.hidden = !text; }

    function teardown() {
      if (hls) { hls.destroy(); hls = null; }
      video.removeAttribute('src');
      video.load();
    }

    async function play(mode, start, end) {
      const mine = ++session;
      teardown();
      if (!window.Hls || !window.Hls.isSupported()) {
        say(window.OSPREY_HLS_MISSING ? 'This server was built without hls.js (run deploy/install-deps.sh and rebuild).'
                                      : 'This browser cannot play HLS (no Media Source Extensions).');
        return;
      }
      say(mode === 'LIVE' ? 'Connecting to the live stream…' : 'Loading the recording…');
      video.dataset.mode = mode;
      video.dataset.start = start || '';
      modeBadge.className = 'badge ' + (mode === 'LIVE' ? 'live' : 'replay');
      modeBadge.textContent = mode === 'LIVE' ? 'Live' : 'Replay ' + fmt.clock(start);
      liveButton.disabled = mode === 'LIVE';
      let url;
      try {
        let query = 'hls?stream=' + encodeURIComponent(name) + '&mode=' + mode;
        if (mode !== 'LIVE') query += '&start=' + start + '&end=' + end;
        url = (await api(query)).url;
      } catch (error) {
        if (mine !== session) return;
        say(error.message);
        // A camera that has not sent its first fragment yet (or is back
        // after a pause) has no live session: keep asking, as for a drop.
        if (mode === 'LIVE' && !stopped) {
          say('Waiting for the camera: ' + error.message);
          setTimeout(() => { if (mine === session && !stopped) play('LIVE'); }, 3000);
        }
        return;
      }
      if (mine !== session || stopped) return;
      hls = new window.Hls(mode === 'LIVE'
        ? { liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 6, backBufferLength: 30 }
        : { backBufferLength: 120, maxBufferLength: 30 });
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
        say('Playback stopped: ' + (data.details || 'error') + '.');
        if (mode === 'LIVE') setTimeout(() => { if (mine === session) play('LIVE'); }, 3000);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => { /* autoplay of a muted video is allowed; retried on data */ });
    }

    video.addEventListener('playing', () => say(''));
    video.addEventListener('waiting', () => { if (video.currentTime > 0) say('Buffering…'); });
    video.addEventListener('ended', () => {
      if (video.dataset.mode !== 'LIVE') say('End of this recording. Click the timeline or go live.');
    });

    // The wall-clock time of the picture on screen, from the playlist's
    // program date-times.
    const tick = setInterval(() => {
      const date = hls && hls.playingDate;
      if (date) {
        const ms = date.getTime();
        clock.textContent = fmt.day(ms) + ' ' + fmt.clock(ms);
        clock.hidden = false;
        timeline.setPlayhead(ms);
      } else {
        clock.hidden = true;
      }
    }, 500);

    function select(start, end) {
      const now = Date.now();
      end = Math.min(end, now);
      const tooLong = end - start > kClipMaxMs;
      if (tooLong) end = start + kClipMaxMs;
      const href = '/console/api/clip?stream=' + encodeURIComponent(name) + '&start=' + start + '&end=' + end;
      selectionBar.replaceChildren(
        el('span.sel-range', {}, fmt.clock(start) + ' – ' + fmt.clock(end),
          el('span.muted', {}, ' · ' + fmt.span(end - start))),
        el('div.sel-actions', {},
          el('button.ghost', { type: 'button', onclick: () => play('ON_DEMAND', start, end) }, 'Play'),
          el('a.button.primary', { href, download: '', id: 'clip-download' }, 'Download clip'),
          el('button.ghost', { type: 'button', onclick: () => { selectionBar.hidden = true; timeline.clearSelection(); } }, 'Clear')),
        ...(tooLong ? [el('p.muted.sel-note', {}, 'Clips are at most an hour; the selection was shortened.')] : []));
      selectionBar.hidden = false;
    }

    const timeline = new window.Osprey.Timeline(timelineBox, {
      stream: name,
      onSeek: (ms) => play('ON_DEMAND', ms, Math.min(ms + kReplayMs, Date.now())),
      onSelect: select,
    });

    liveButton.addEventListener('click', () => play('LIVE'));

    // Header line: the camera's status from the stream list.
    async function describe() {
      try {
        const data = await api('streams');
        const s = data.streams.find((x) => x.name === name);
        if (!s) { status.textContent = 'This camera does not exist (any more).'; return; }
        const parts = [s.status === 'live' ? 'Sending ' + fmt.bitrate(s.bitrate_bps) : 'Offline'];
        parts.push(fmt.retention(s.retention_hours));
        if (s.newest_end) parts.push('last fragment ' + fmt.ago(s.newest_end, data.now));
        status.textContent = parts.join(' · ');
      } catch (error) { /* the timeline shows errors */ }
    }
    describe();
    const describeTimer = setInterval(describe, 10000);

    play('LIVE');
    return {
      stop() {
        stopped = true;
        session++;
        clearInterval(tick);
        clearInterval(describeTimer);
        timeline.stop();
        teardown();
      },
    };
  };
})();
