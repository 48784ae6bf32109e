/* PhaseGuard EV dashboard widget: each phase's load against the fuse and against fuse − margin (where the balancer
 * keeps it), and each charger's allowed and drawn current. Vanilla JS, no external resources.
 * Data: the widget's GET /live (../api.js: the app's live view, the same one the settings page shows, with each
 * charger's phase wiring and Homey's language), then the app's realtime event "live" (every few seconds and on every
 * balancer event); GET /live again every minute, and when a charger the widget has no wiring for shows up.
 * Strings: i18n.js. */
'use strict';

(function () {
  var PHASES = ['L1', 'L2', 'L3'];
  var NUMBER_LOCALES = { en: 'en-GB', nl: 'nl-NL', sv: 'sv-SE', de: 'de-DE', no: 'nb-NO', da: 'da-DK' };
  var REFRESH_MS = 60000;
  var I18N = window.PHASES_WIDGET_I18N;

  var Homey = null;
  var lang = 'en';
  var wiring = {};
  var lastLive = null;
  var shownHeight = 0;
  var loading = null;
  /** Chargers GET /live was asked about because the wiring had none of them (asked once each). */
  var askedWiring = {};

  function $(id) { return document.getElementById(id); }

  function t(key, vars) {
    var table = I18N[lang] || I18N.en;
    var text = table[key] !== undefined ? table[key] : I18N.en[key];
    Object.keys(vars || {}).forEach(function (name) { text = text.split('{' + name + '}').join(String(vars[name])); });
    return text;
  }

  function fmtA(a) {
    if (a === null || a === undefined) return '–';
    return (Math.round(a * 10) / 10).toLocaleString(NUMBER_LOCALES[lang] || lang, { maximumFractionDigits: 1 });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function pct(a, scaleA) {
    return Math.max(0, Math.min(100, (a / scaleA) * 100)).toFixed(1) + '%';
  }

  // ---------------------------------------------------------------- phases

  function renderPhases(live) {
    var limitA = live.fuseA - live.marginA;
    var measured = live.measuredA.filter(function (a) { return a !== null; });
    var scaleA = Math.max(live.fuseA * 1.2, Math.max.apply(null, measured.concat([0])) * 1.05);
    var box = $('pw-phases');
    box.textContent = '';
    PHASES.forEach(function (ph, i) {
      var a = live.measuredA[i];
      var over = a !== null && a > live.fuseA;
      var row = el('div', 'pw-phase');
      row.setAttribute('data-phase', ph);

      var head = el('div', 'pw-row');
      head.appendChild(el('strong', 'pw-phase-name', ph));
      head.appendChild(el('span', 'pw-phase-value', a === null ? t('noValue') : fmtA(a) + ' A'));
      var distance = '';
      if (a !== null) {
        var left = Math.round((live.fuseA - a) * 10) / 10;
        distance = left >= 0 ? t('left', { a: fmtA(left) }) : t('over', { a: fmtA(-left) });
      }
      head.appendChild(el('span', 'pw-phase-distance' + (over ? ' pw-over-text' : ''), distance));
      row.appendChild(head);

      // The markers come after the track and reach above and below it, in the ink with an edge no bar colour has:
      // a bar past the fuse never hides the fuse line.
      var bar = el('div', 'pw-bar');
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', [ph, a === null ? t('noValue') : fmtA(a) + ' A', distance, t('fuse', { a: fmtA(live.fuseA) })]
        .filter(Boolean).join(' · '));
      var track = el('div', 'pw-track');
      var fill = el('div', 'pw-fill' + (a === null ? '' : over ? ' pw-over' : a > limitA ? ' pw-near' : ''));
      fill.style.width = a === null ? '0%' : pct(a, scaleA);
      track.appendChild(fill);
      bar.appendChild(track);
      var limit = el('div', 'pw-mark pw-limit');
      limit.style.left = pct(limitA, scaleA);
      bar.appendChild(limit);
      var fuse = el('div', 'pw-mark pw-fuse');
      fuse.style.left = pct(live.fuseA, scaleA);
      bar.appendChild(fuse);
      row.appendChild(bar);
      box.appendChild(row);
    });
    return limitA;
  }

  // ---------------------------------------------------------------- chargers

  /** What a charger draws, per grid phase it is wired to: "L1 8 · L2 8 · L3 8 A", "L3 13 A". */
  function drawnText(c) {
    var map = wiring[c.id] || PHASES;
    var parts = [];
    c.drawnA.forEach(function (a, i) {
      if (map[i]) parts.push({ ph: map[i], text: map[i] + ' ' + fmtA(a) });
    });
    if (parts.length === 0) return '–';
    parts.sort(function (x, y) { return PHASES.indexOf(x.ph) - PHASES.indexOf(y.ph); });
    return parts.map(function (x) { return x.text; }).join(' · ') + ' A';
  }

  function maxDrawn(c) {
    var values = c.drawnA.filter(function (a) { return a !== null; });
    return values.length ? Math.max.apply(null, values) : null;
  }

  function renderChargers(live) {
    var list = $('pw-chargers');
    list.textContent = '';
    $('pw-chargers-title').textContent = t('chargers');
    if (live.chargers.length === 0) list.appendChild(el('li', 'pw-muted', t('noChargers')));
    // One scale for every charger, so their bars compare: at least 16 A.
    var scaleA = 16;
    live.chargers.forEach(function (c) { scaleA = Math.max(scaleA, c.allowedA || 0, maxDrawn(c) || 0); });
    live.chargers.forEach(function (c) {
      var li = el('li', 'pw-charger');
      li.setAttribute('data-charger', c.id);
      var head = el('div', 'pw-row');
      head.appendChild(el('strong', 'pw-charger-name', c.name));
      if (!c.enabled) head.appendChild(el('span', 'pw-badge', t('notTakingPart')));
      else if (c.paused) head.appendChild(el('span', 'pw-badge pw-badge-paused', t('paused')));
      li.appendChild(head);

      var values = t('drawn') + ' ' + drawnText(c) + ' · ' + t('allowed') + ' ' + (c.allowedA === null ? '–' : fmtA(c.allowedA) + ' A');
      var bar = el('div', 'pw-cbar');
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', c.name + ' · ' + values);
      var allowed = el('div', 'pw-allowed');
      allowed.style.width = pct(c.allowedA || 0, scaleA);
      allowed.hidden = !c.allowedA;
      bar.appendChild(allowed);
      var drawn = el('div', 'pw-drawn');
      drawn.style.width = pct(maxDrawn(c) || 0, scaleA);
      drawn.hidden = !maxDrawn(c);
      bar.appendChild(drawn);
      li.appendChild(bar);
      li.appendChild(el('div', 'pw-charger-values pw-muted', values));
      list.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- legend, notes, height

  function legendItem(key, text) {
    var item = el('span', 'pw-legend-item');
    item.appendChild(el('span', 'pw-key pw-key-' + key));
    item.appendChild(el('span', null, text));
    return item;
  }

  function renderLegend(live, limitA) {
    var legend = $('pw-legend');
    legend.textContent = '';
    legend.appendChild(legendItem('load', t('load')));
    legend.appendChild(legendItem('fuse', t('fuse', { a: fmtA(live.fuseA) })));
    legend.appendChild(legendItem('limit', t('limit', { a: fmtA(limitA) })));
    legend.appendChild(legendItem('drawn', t('drawn')));
    legend.appendChild(legendItem('allowed', t('allowed')));
  }

  function setNote(text, kind) {
    var note = $('pw-note');
    note.hidden = !text;
    note.textContent = text || '';
    note.className = 'pw-note' + (kind ? ' pw-note-' + kind : '');
  }

  function render(live) {
    if (!live) return;
    lastLive = live;
    var unwired = live.chargers.filter(function (c) { return !wiring[c.id] && !askedWiring[c.id]; });
    unwired.forEach(function (c) { askedWiring[c.id] = true; });
    if (live.meter.stale) {
      setNote(live.meter.lastSampleAgeS === null ? t('staleUnknown') : t('stale', { s: Math.round(live.meter.lastSampleAgeS) }), 'danger');
    } else if (!live.balancing) {
      setNote(t('balancingOff'), 'warning');
    } else {
      setNote('');
    }
    var limitA = renderPhases(live);
    renderChargers(live);
    renderLegend(live, limitA);
    fitHeight();
    if (unwired.length && !loading) load();
  }

  /** The height the content needs (the widget's frame does not grow by itself). */
  function contentHeight() {
    var style = getComputedStyle(document.body);
    return Math.ceil($('pw').getBoundingClientRect().height + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom));
  }

  function fitHeight() {
    if (!Homey || !shownHeight) return;
    var height = contentHeight();
    if (Math.abs(height - shownHeight) < 2) return;
    shownHeight = height;
    Promise.resolve(Homey.setHeight(height)).catch(function () { /* the frame keeps its height */ });
  }

  // ---------------------------------------------------------------- start

  function load() {
    loading = Homey.api('GET', '/live').then(function (answer) {
      lang = answer && answer.language ? String(answer.language) : 'en';
      document.documentElement.lang = lang;
      if (answer && answer.wiring) wiring = answer.wiring;
      if (answer && answer.live) render(answer.live);
      else if (lastLive) render(lastLive);
      if (answer && answer.error) setNote(t('loadError', { error: answer.error }), 'danger');
    }).catch(function (err) {
      setNote(t('loadError', { error: err && err.message ? err.message : String(err) }), 'danger');
    }).then(function () {
      loading = null;
      fitHeight();
    });
    return loading;
  }

  window.onHomeyReady = function (homey) {
    Homey = homey;
    setNote(t('loading'));
    Homey.on('live', render);
    load().then(function () {
      shownHeight = contentHeight();
      Homey.ready({ height: shownHeight });
    });
    setInterval(load, REFRESH_MS);
  };
})();
