/* PhaseGuard EV settings page: the charging plan section. Vanilla JS, no external resources.
 * GET /plan (and the realtime event "plan"): per charger with a target, the plan as a small SVG chart of the planned
 * power per slot against the prices until the deadline, with delivered vs target, the expected cost and the next
 * slot. Times in the Homey's time zone (the plan's own), numbers in the browser's locale.
 * Loaded after common.js (window.pgPage) and settings.js; chains onto its onHomeyReady (window.pgPage.onReady). */
'use strict';

(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var HOUR_MS = 3600000;
  var Homey = null;
  var last = null; // PlanView last shown (drawn again at a new width)

  var $ = window.pgPage.$;
  var el = window.pgPage.el;
  var t = null; // t(key, vars) and api(method, path) from window.pgPage once Homey is ready
  var api = null;

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function num(value, digits) {
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  /** A clock time in the plan's time zone; with the weekday when it is not on the day of `view.timeMs`. */
  function clock(ms, view, withDay) {
    var opts = { hour: '2-digit', minute: '2-digit', timeZone: view.timeZone };
    var day = function (x) { return new Intl.DateTimeFormat('en-GB', { timeZone: view.timeZone, day: 'numeric', month: 'numeric' }).format(new Date(x)); };
    if (withDay && day(ms) !== day(view.timeMs)) opts.weekday = 'short';
    return new Intl.DateTimeFormat(undefined, opts).format(new Date(ms));
  }

  function hourOf(ms, view) {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: view.timeZone }).format(new Date(ms));
  }

  // --- the chart ---------------------------------------------------------------------------------

  /** The time span drawn: from the start of the current slot to the deadline (or the last known price). */
  function span(view, c) {
    var now = view.timeMs;
    var current = view.prices.filter(function (p) { return p.startMs <= now && p.endMs > now; })[0];
    var t0 = current ? current.startMs : now;
    var lastPrice = view.prices.length ? view.prices[view.prices.length - 1].endMs : now + HOUR_MS;
    var t1 = c.deadlineMs !== null ? c.deadlineMs : lastPrice;
    c.slots.forEach(function (s) { if (s.endMs > t1) t1 = s.endMs; });
    return { t0: t0, t1: Math.max(t1, t0 + HOUR_MS) };
  }

  function tickStepMs(spanMs, width) {
    var steps = [1, 2, 3, 4, 6, 12, 24];
    for (var i = 0; i < steps.length; i++) if ((spanMs / (steps[i] * HOUR_MS)) * 36 <= width) return steps[i] * HOUR_MS;
    return 24 * HOUR_MS;
  }

  function drawChart(view, c, width) {
    var W = Math.max(260, Math.round(width));
    var H = 170;
    var pad = { l: 46, r: 46, t: 18, b: 22 };
    var s = span(view, c);
    var x = function (ms) { return pad.l + ((Math.min(Math.max(ms, s.t0), s.t1) - s.t0) / (s.t1 - s.t0)) * (W - pad.l - pad.r); };
    var prices = view.prices.filter(function (p) { return p.endMs > s.t0 && p.startMs < s.t1; });
    var maxKW = Math.max(1, Math.ceil(c.slots.reduce(function (m, sl) { return Math.max(m, sl.powerW / 1000); }, 0)));
    var pMin = Math.min(0, prices.reduce(function (m, p) { return Math.min(m, p.price); }, 0));
    var pMax = prices.reduce(function (m, p) { return Math.max(m, p.price); }, pMin + 0.01);
    var plotH = H - pad.t - pad.b;
    var yKW = function (kw) { return pad.t + plotH - (kw / maxKW) * plotH; };
    var yPrice = function (p) { return pad.t + plotH - ((p - pMin) / (pMax - pMin)) * plotH; };

    var root = svg('svg', { class: 'pg-plan-chart', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': t('plan.chartLabel') });
    root.appendChild(svg('line', { class: 'pg-plan-axis-line', x1: pad.l, x2: W - pad.r, y1: pad.t + plotH, y2: pad.t + plotH }));
    c.slots.forEach(function (sl) {
      if (sl.powerW <= 0 || sl.endMs <= s.t0 || sl.startMs >= s.t1) return;
      var x0 = x(sl.startMs);
      var x1 = x(sl.endMs);
      root.appendChild(svg('rect', {
        class: 'pg-plan-bar', x: x0.toFixed(1), y: yKW(sl.powerW / 1000).toFixed(1),
        width: Math.max(1, x1 - x0 - 1).toFixed(1), height: (pad.t + plotH - yKW(sl.powerW / 1000)).toFixed(1),
        'data-start': sl.startMs,
      }));
    });
    if (prices.length) {
      var d = '';
      prices.forEach(function (p, i) {
        var y = yPrice(p.price).toFixed(1);
        d += (i === 0 ? 'M' : 'L') + x(p.startMs).toFixed(1) + ',' + y + 'L' + x(p.endMs).toFixed(1) + ',' + y;
      });
      root.appendChild(svg('path', { class: 'pg-plan-price', d: d }));
    }
    // axes: kW on the left, price on the right, hours below
    root.appendChild(svg('text', { class: 'pg-plan-axis', x: pad.l - 4, y: pad.t + 4, 'text-anchor': 'end' }, num(maxKW, 0) + ' kW'));
    root.appendChild(svg('text', { class: 'pg-plan-axis', x: pad.l - 4, y: pad.t + plotH, 'text-anchor': 'end' }, '0'));
    if (prices.length) {
      root.appendChild(svg('text', { class: 'pg-plan-axis pg-plan-axis-price', x: W - pad.r + 4, y: yPrice(pMax) + 4 }, num(pMax, 2)));
      root.appendChild(svg('text', { class: 'pg-plan-axis pg-plan-axis-price', x: W - pad.r + 4, y: yPrice(pMin) }, num(pMin, 2)));
    }
    var step = tickStepMs(s.t1 - s.t0, W - pad.l - pad.r);
    for (var tick = Math.ceil(s.t0 / HOUR_MS) * HOUR_MS; tick <= s.t1; tick += HOUR_MS) {
      if (Number(hourOf(tick, view)) % (step / HOUR_MS) !== 0) continue;
      root.appendChild(svg('text', { class: 'pg-plan-axis', x: x(tick), y: H - 6, 'text-anchor': 'middle' }, hourOf(tick, view)));
    }
    if (view.timeMs > s.t0 && view.timeMs < s.t1) {
      root.appendChild(svg('line', { class: 'pg-plan-now', x1: x(view.timeMs), x2: x(view.timeMs), y1: pad.t, y2: pad.t + plotH }));
    }
    if (c.deadlineMs !== null) {
      var xd = x(c.deadlineMs);
      root.appendChild(svg('line', { class: 'pg-plan-deadline', x1: xd, x2: xd, y1: pad.t - 4, y2: pad.t + plotH }));
      root.appendChild(svg('text', { class: 'pg-plan-axis pg-plan-deadline-label', x: xd, y: pad.t - 7, 'text-anchor': xd > W - pad.r - 30 ? 'end' : 'middle' }, clock(c.deadlineMs, view, false)));
    }
    return root;
  }

  // --- the section -------------------------------------------------------------------------------

  function statusLines(view, c, box) {
    var target = c.targetKWh !== null ? num(c.targetKWh, 1) : '–';
    box.appendChild(el('p', 'pg-plan-progress', t('plan.progress', {
      delivered: num(c.deliveredKWh, 1), target: target, deadline: c.deadlineMs !== null ? clock(c.deadlineMs, view, true) : '–',
    })));
    if (c.expectedCost !== null) box.appendChild(el('p', 'pg-muted pg-plan-cost', t('plan.cost', { cost: num(c.expectedCost, 2) })));
    if (!c.active) {
      box.appendChild(el('p', 'pg-muted pg-plan-state', t('plan.notStarted')));
    } else if (c.phase === 'missed' || c.feasible === false) {
      // the page's own sentence with the plan's numbers (its reason is English, for logs)
      var f = c.shortfall;
      var line = c.phase === 'missed' || !f || c.deadlineMs === null
        ? t('plan.missed')
        : t('plan.infeasible', { needed: num(f.neededKWh, 1), deadline: clock(c.deadlineMs, view, false), fits: num(f.fitsKWh, 1) });
      var warn = el('p', 'pg-note pg-warning pg-plan-state', line);
      warn.setAttribute('role', 'status');
      box.appendChild(warn);
    } else if (c.charging) {
      box.appendChild(el('p', 'pg-plan-state pg-plan-charging', t('plan.chargingNow')));
    } else if (c.nextSlotStartMs !== null) {
      box.appendChild(el('p', 'pg-plan-state', t('plan.next', { time: clock(c.nextSlotStartMs, view, true) })));
    }
  }

  function legend() {
    var p = el('p', 'pg-legend-line');
    [['pg-key pg-key-plan', t('plan.legendPower')], ['pg-key pg-key-price', t('plan.legendPrice')], ['pg-key pg-key-deadline', t('plan.legendDeadline')]]
      .forEach(function (k) {
        var item = el('span', 'pg-legend-item');
        item.appendChild(el('span', k[0]));
        item.appendChild(el('span', null, k[1]));
        p.appendChild(item);
      });
    return p;
  }

  function render(view) {
    if (!view || !Array.isArray(view.chargers)) return;
    last = view;
    var list = $('plan-chargers');
    list.textContent = '';
    var pricesLine = $('plan-prices');
    if (!view.prices.length) {
      pricesLine.textContent = t('plan.noPrices');
    } else {
      pricesLine.textContent = t(view.pricesFrom === 'powerbythehour' ? 'plan.pricesPbth' : 'plan.pricesFlow', {
        count: view.prices.length, until: clock(view.prices[view.prices.length - 1].endMs, view, true),
      });
    }
    var shown = view.chargers.filter(function (c) { return c.targetKWh !== null; });
    $('plan-none').hidden = shown.length > 0;
    $('plan-legend').hidden = shown.length === 0;
    shown.forEach(function (c) {
      var item = el('li', 'pg-plan-charger');
      item.setAttribute('data-charger', c.id);
      item.appendChild(el('h3', 'pg-subhead', c.name));
      statusLines(view, c, item);
      var chartBox = el('div', 'pg-plan-chart-box');
      item.appendChild(chartBox);
      list.appendChild(item);
      chartBox.appendChild(drawChart(view, c, chartBox.clientWidth || list.clientWidth || 320));
    });
  }

  function start() {
    var section = $('plan');
    if (!section) return;
    $('plan-legend').appendChild(legend());
    api('GET', '/plan').then(render).catch(function (err) {
      $('plan-prices').textContent = t('plan.loadError', { error: err.message });
    });
    Homey.on('plan', render);
    var pending = null;
    window.addEventListener('resize', function () {
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { pending = null; if (last) render(last); }, 150);
    });
  }

  window.pgPage.onReady(function (homey, page) {
    Homey = homey;
    t = page.t;
    api = page.api;
    start();
  });
})();
