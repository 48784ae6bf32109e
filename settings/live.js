/* PhaseGuard EV settings page: the live view. Vanilla JS, no external resources.
 * GET /live and the realtime event "live": each phase's current against the fuse and the limit (fuse minus margin),
 * what is left for the chargers, each charger's allowed and drawn current (labelled with the grid phase it is wired
 * to in the saved settings) and why it (does not) charge, and the balancer's last 20 events. Drawn again once the
 * settings are loaded or saved (a section of settings.js through window.pgSettingsSections: fill / saved).
 * Loaded after common.js (window.pgPage) and settings.js; chains onto its onHomeyReady (window.pgPage.onReady). */
'use strict';

(function () {
  var PHASES = window.pgPage.PHASES;
  var $ = window.pgPage.$;
  var el = window.pgPage.el;
  var fmtA = window.pgPage.fmtA;
  var t = null; // t(key, vars) and api(method, path) from window.pgPage once Homey is ready
  var api = null;

  var Homey = null;
  var settings = null; // the saved settings (the chargers' phase wiring); null until loaded
  var last = null; // LiveView last shown; drawn again once the saved settings change

  /** "L1 9.8 · L2 9.7 · L3 9.9 A": what a charger draws, each figure labelled with the grid phase it is wired to
   *  (from the saved settings; L1, L2, L3 in order until they are loaded), in grid-phase order. */
  function drawnText(c) {
    var saved = settings && settings.chargers[c.id];
    var map = saved ? saved.phaseMap : PHASES;
    var parts = [];
    c.drawnA.forEach(function (a, i) {
      var ph = map[i];
      if (ph) parts.push({ ph: ph, text: ph + ' ' + fmtA(a) });
    });
    if (parts.length === 0) return '–';
    parts.sort(function (x, y) { return PHASES.indexOf(x.ph) - PHASES.indexOf(y.ph); });
    return parts.map(function (x) { return x.text; }).join(' · ') + ' A';
  }

  /** "15 A left before the fuse" or "2 A over the fuse". */
  function fuseDistance(a, fuseA) {
    var left = Math.round((fuseA - a) * 10) / 10;
    return left >= 0 ? t('live.left', { a: fmtA(left) }) : t('live.over', { a: fmtA(-left) });
  }

  function renderPhases(live) {
    var limitA = live.fuseA - live.marginA;
    var measured = live.measuredA.filter(function (a) { return a !== null; });
    var scaleA = Math.max(live.fuseA * 1.2, Math.max.apply(null, measured.concat([0])) * 1.05);
    var pct = function (a) { return Math.max(0, Math.min(100, (a / scaleA) * 100)).toFixed(1) + '%'; };
    var phases = $('live-phases');
    phases.textContent = '';
    PHASES.forEach(function (ph, i) {
      var a = live.measuredA[i];
      var row = el('div', 'pg-phase');
      row.setAttribute('data-phase', ph);
      var head = el('div', 'pg-phase-head');
      head.appendChild(el('strong', null, ph));
      var value = a === null ? t('live.noValue') : fmtA(a) + ' A · ' + fuseDistance(a, live.fuseA);
      head.appendChild(el('span', 'pg-phase-value', value));
      row.appendChild(head);
      // The markers are siblings of the track, drawn after it and reaching above and below it, in a colour no bar
      // has: a bar over the fuse never hides the fuse line.
      var bar = el('div', 'pg-bar');
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', ph + ' ' + (a === null ? t('live.noValue') : value) + ' · ' + t('live.fuseLine', { a: fmtA(live.fuseA) }));
      var track = el('div', 'pg-bar-track');
      var fill = el('div', 'pg-bar-fill' + (a === null ? '' : a > live.fuseA ? ' pg-over' : a > limitA ? ' pg-near' : ''));
      fill.style.width = a === null ? '0%' : pct(a);
      track.appendChild(fill);
      bar.appendChild(track);
      var limit = el('div', 'pg-bar-mark pg-bar-limit');
      limit.style.left = pct(limitA);
      bar.appendChild(limit);
      var fuse = el('div', 'pg-bar-mark pg-bar-fuse');
      fuse.style.left = pct(live.fuseA);
      bar.appendChild(fuse);
      row.appendChild(bar);
      var headroom = live.headroomA[i];
      if (headroom !== null) {
        row.appendChild(el('p', 'pg-phase-chargers pg-muted', headroom > 0
          ? t('live.forChargers', { a: fmtA(headroom) }) : t('live.forChargersNone')));
      }
      phases.appendChild(row);
    });
    $('live-limit-label').textContent = t('live.limitLine', { a: fmtA(limitA) });
    $('live-fuse-label').textContent = t('live.fuseLine', { a: fmtA(live.fuseA) });
  }

  function renderLiveChargers(live) {
    // why a charger in its charging mode is (not) charging: an id and numbers from the app (lib/app/modeStatus.ts)
    function modeStatusText(st) {
      var key = 'modeStatus.' + st.id;
      var text = Homey.__(key);
      if (typeof text !== 'string' || text === '' || text === key) return '';
      Object.keys(st.values || {}).forEach(function (name) {
        var v = st.values[name];
        text = text.split('__' + name + '__').join(typeof v === 'number' ? v.toLocaleString(undefined, { maximumFractionDigits: 1 }) : String(v));
      });
      return text;
    }
    var chargers = $('live-chargers');
    chargers.textContent = '';
    if (live.chargers.length === 0) chargers.appendChild(el('li', 'pg-muted', t('live.noChargers')));
    live.chargers.forEach(function (c) {
      var li = el('li', 'pg-live-charger');
      li.setAttribute('data-charger', c.id);
      li.appendChild(el('strong', null, c.name));
      li.appendChild(el('span', 'pg-live-values',
        t('live.allowed') + ' ' + (c.allowedA === null ? '–' : fmtA(c.allowedA) + ' A') + ' · ' + t('live.drawn') + ' ' + drawnText(c)));
      if (!c.enabled) li.appendChild(el('span', 'pg-badge', t('live.notTakingPart')));
      if (c.paused) li.appendChild(el('span', 'pg-badge pg-badge-warning', t('live.paused')));
      else if (c.limited) li.appendChild(el('span', 'pg-badge pg-badge-info', t('live.limited')));
      var status = c.modeStatus && modeStatusText(c.modeStatus);
      if (status) li.appendChild(el('div', 'pg-muted pg-live-status', status));
      chargers.appendChild(li);
    });
  }

  /** The fuse's stress over the last hour in % of a trip, and how the balancer raises now (docs/balancer.md, rule 13). */
  function fuseLine(fuse) {
    var pct = Math.round(fuse.stress * 1000) / 10;
    var how = !fuse.quickOn ? t('live.quickOff') : fuse.quick ? t('live.quick') : t('live.careful');
    return t('live.fuseStress', { pct: pct }) + ', ' + how;
  }

  function renderLive(live) {
    if (!live) return;
    last = live;
    $('live-balancing-off').hidden = live.balancing;
    var stale = $('live-stale');
    stale.hidden = !live.meter.stale;
    stale.textContent = live.meter.lastSampleAgeS === null ? t('live.staleUnknown') : t('live.stale', { s: Math.round(live.meter.lastSampleAgeS) });
    var meterLine = live.meter.lastSampleAgeS === null ? t('live.noData') : t('live.lastSample', { s: Math.round(live.meter.lastSampleAgeS) });
    if (live.meter.error) meterLine += ' · ' + t('live.meterError', { error: live.meter.error });
    if (live.fuse) meterLine += ' · ' + fuseLine(live.fuse);
    $('live-meter').textContent = t('live.source.' + live.meter.source) + ' · ' + meterLine;
    renderPhases(live);
    renderLiveChargers(live);

    var events = $('live-events');
    events.textContent = '';
    $('live-events-count').textContent = live.events.length ? '(' + Math.min(20, live.events.length) + ')' : '';
    if (live.events.length === 0) events.appendChild(el('li', 'pg-muted', t('live.noEvents')));
    live.events.slice(0, 20).forEach(function (e) {
      var li = el('li', 'pg-event');
      var when = el('time', 'pg-muted', new Date(e.timeMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
      when.dateTime = new Date(e.timeMs).toISOString();
      li.appendChild(when);
      li.appendChild(el('span', 'pg-badge pg-ev-' + e.type, t('event.' + e.type)));
      if (e.chargerName) li.appendChild(el('strong', null, e.chargerName));
      li.appendChild(el('span', 'pg-event-reason', e.reason));
      events.appendChild(li);
    });
  }

  /** The settings as loaded or saved: the figures are labelled by the wiring they hold. */
  function showSettings(saved) {
    settings = saved;
    if (last) renderLive(last);
  }

  window.pgSettingsSections = window.pgSettingsSections || [];
  window.pgSettingsSections.push({ fill: showSettings, saved: showSettings });

  window.pgPage.onReady(function (homey, page) {
    Homey = homey;
    t = page.t;
    api = page.api;
    api('GET', '/live').then(renderLive).catch(function (err) {
      $('live-meter').textContent = t('live.loadError', { error: err.message });
    });
    Homey.on('live', renderLive);
  });
})();
