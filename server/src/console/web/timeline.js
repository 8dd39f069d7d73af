// The timeline under the player: recorded intervals over the last hour to
// week (gaps stay visible), a playhead, click to replay from a moment,
// drag to select a range for a clip. Works with mouse, pen and touch
// (pointer events).
'use strict';

(function () {
  const { el, fmt, api } = window.Osprey;
  const MIN = 60e3, HOUR = 3600e3, DAY = 86400e3;
  const kSpans = [['15m', 15 * MIN], ['1h', HOUR], ['6h', 6 * HOUR], ['24h', DAY], ['7d', 7 * DAY]];
  const kSteps = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY];
  const kDragPx = 6;

  class Timeline {
    // options: stream, onSeek(ms), onSelect(startMs, endMs)
    constructor(container, options) {
      this.options = options;
      this.span = HOUR;
      this.intervals = [];
      this.buttons = kSpans.map(([label, span]) =>
        el('button.chip', { type: 'button', 'data-span': label, onclick: () => { this.chosen = true; this.setSpan(span); } }, label));
      this.summary = el('span.muted.tl-summary', {});
      this.track = el('div.tl-track', { id: 'timeline-track', role: 'slider', 'aria-label': 'Recording timeline' });
      this.covers = el('div.tl-covers', {});
      this.markers = el('div.tl-markers', {});
      this.events = [];
      this.selection = el('div.tl-selection', { hidden: true });
      this.playhead = el('div.tl-playhead', { hidden: true });
      this.hover = el('div.tl-hover', { hidden: true });
      this.track.append(this.covers, this.markers, this.selection, this.playhead, this.hover);
      this.axis = el('div.tl-axis', {});
      container.replaceChildren(el('div.timeline', {},
        el('div.tl-head', {}, el('div.chips', {}, this.buttons), this.summary),
        this.track, this.axis,
        el('p.tl-help', {}, 'Click to replay from that moment. Drag to select a range for a clip.')));
      this.bindPointer();
      this.setSpan(HOUR);
      this.timer = setInterval(() => this.load(), 10000);
    }

    stop() { clearInterval(this.timer); }

    setSpan(span) {
      this.span = span;
      for (const b of this.buttons) b.classList.toggle('active', kSpans.find((s) => s[0] === b.dataset.span)[1] === span);
      this.load();
    }

    async load() {
      const end = Date.now();
      const start = end - this.span;
      try {
        const q = '?stream=' + encodeURIComponent(this.options.stream) + '&start=' + start + '&end=' + end;
        // Event markers are a bonus: the timeline shows without them.
        const [data, events] = await Promise.all([
          api('timeline' + q), api('events' + q).catch(() => ({ events: [] }))]);
        this.start = start;
        this.end = end;
        this.intervals = data.intervals;
        this.events = events.events;
        // A camera recording for only a few minutes would be a sliver in
        // the last hour: start zoomed in until the user picks a span.
        if (!this.chosen && this.span === HOUR && data.intervals.length &&
            data.intervals[0][0] > end - 12 * MIN) {
          this.chosen = true;
          this.setSpan(15 * MIN);
          return;
        }
        this.render(data);
      } catch (error) {
        this.summary.textContent = 'Timeline unavailable: ' + error.message;
      }
    }

    x(ms) { return ((ms - this.start) / (this.end - this.start)) * 100; }

    timeAt(clientX) {
      const rect = this.track.getBoundingClientRect();
      const f = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
      return this.start + f * (this.end - this.start);
    }

    render(data) {
      const recorded = this.intervals.reduce((sum, [s, e]) => sum + Math.min(e, this.end) - Math.max(s, this.start), 0);
      const gaps = Math.max(0, this.intervals.length - 1);
      this.summary.textContent = this.intervals.length
        ? fmt.span(recorded) + ' recorded' + (gaps ? ' · ' + gaps + (gaps === 1 ? ' gap' : ' gaps') : '')
        : 'Nothing recorded in this period';
      if (this.events.length) {
        this.summary.textContent += ' · ' + this.events.length + (this.events.length === 1 ? ' event' : ' events');
      }
      this.markers.replaceChildren(...this.events.map((e) => el('div.tl-marker.' + e.type, {
        style: `left:${this.x(e.t)}%`, 'data-t': e.t,
        title: (e.label || 'event') + (e.type === 'intrusion' ? ' in ' + (e.zone || 'a zone') : '') + ' at ' + fmt.clock(e.t),
      })));
      this.covers.replaceChildren(...this.intervals.map(([s, e]) => {
        const left = Math.max(0, this.x(s));
        const width = Math.max(0.3, Math.min(100, this.x(e)) - left);
        return el('div.tl-cover', { style: `left:${left}%;width:${width}%`, 'data-start': s, 'data-end': e });
      }));
      // Ticks: the smallest step that leaves room for the labels.
      const wanted = Math.max(4, Math.floor(this.track.clientWidth / 75));
      const step = kSteps.find((s) => this.span / s <= wanted) || DAY;
      const offset = new Date().getTimezoneOffset() * MIN;
      const first = Math.ceil((this.start - offset) / step) * step + offset;
      const ticks = [];
      for (let t = first; t <= this.end; t += step) {
        const label = step >= DAY || (step >= 6 * HOUR && fmt.clock(t, false) === '00:00')
          ? fmt.day(t) : fmt.clock(t, false);
        const at = this.x(t);
        if (at > 97) continue;  // no room for a label at the very end
        ticks.push(el('span.tl-tick', { style: `left:${at}%` }, label));
      }
      this.axis.replaceChildren(...ticks);
      this.drawSelection();
      if (this.playheadMs) this.setPlayhead(this.playheadMs);
    }

    // The moment a click at `ms` plays from: inside a recording, that
    // moment; in a gap, the start of the next recording (or the last one).
    snap(ms) {
      for (const [s, e] of this.intervals) {
        if (ms < s) return s;
        if (ms < e) return ms;
      }
      const last = this.intervals[this.intervals.length - 1];
      return last ? Math.max(last[0], last[1] - 10e3) : null;
    }

    setPlayhead(ms) {
      this.playheadMs = ms;
      if (!ms || ms < this.start || ms > this.end) { this.playhead.hidden = true; return; }
      this.playhead.hidden = false;
      this.playhead.style.left = this.x(ms) + '%';
    }

    clearSelection() { this.sel = null; this.drawSelection(); }

    drawSelection() {
      if (!this.sel) { this.selection.hidden = true; return; }
      const a = Math.max(this.start, Math.min(this.sel[0], this.sel[1]));
      const b = Math.min(this.end, Math.max(this.sel[0], this.sel[1]));
      this.selection.hidden = false;
      this.selection.style.left = this.x(a) + '%';
      this.selection.style.width = Math.max(0.2, this.x(b) - this.x(a)) + '%';
    }

    bindPointer() {
      let down = null;
      this.track.addEventListener('pointerdown', (e) => {
        down = { x: e.clientX, t: this.timeAt(e.clientX), dragging: false };
        this.track.setPointerCapture(e.pointerId);
      });
      this.track.addEventListener('pointermove', (e) => {
        const t = this.timeAt(e.clientX);
        this.hover.hidden = false;
        const at = this.x(t);
        this.hover.style.left = at + '%';
        this.hover.classList.toggle('at-start', at < 6);
        this.hover.classList.toggle('at-end', at > 94);
        this.hover.textContent = fmt.clock(t, this.span <= 6 * HOUR);
        if (!down) return;
        if (!down.dragging && Math.abs(e.clientX - down.x) >= kDragPx) down.dragging = true;
        if (down.dragging) { this.sel = [down.t, t]; this.drawSelection(); }
      });
      this.track.addEventListener('pointerleave', () => { this.hover.hidden = true; });
      const finish = (e) => {
        if (!down) return;
        const t = this.timeAt(e.clientX);
        if (down.dragging) {
          const a = Math.min(down.t, t), b = Math.max(down.t, t);
          this.sel = [a, b];
          this.drawSelection();
          this.options.onSelect(Math.round(a), Math.round(b));
        } else {
          // A click on an event marker replays from a few seconds before it.
          const rect = this.track.getBoundingClientRect();
          const near = this.events.find((ev) => Math.abs(rect.left + (this.x(ev.t) / 100) * rect.width - e.clientX) <= 6);
          const at = this.snap(near ? near.t - 5000 : t);
          if (at !== null) { this.setPlayhead(at); this.options.onSeek(Math.round(at)); }
        }
        down = null;
      };
      this.track.addEventListener('pointerup', finish);
      this.track.addEventListener('pointercancel', () => { down = null; });
    }
  }

  window.Osprey.Timeline = Timeline;
})();
