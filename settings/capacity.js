/* PhaseGuard EV settings page: the capacity tariff section. Vanilla JS, no external resources.
 * Its fields (capacity_rule, capacity_kw, capacity_period_min, capacity_se_peaks, capacity_se_weekday_daytime) are
 * saved with the rest of the form (settings.js asks window.pgSettingsSections); the app validates them once more.
 * The status comes from GET /capacity, every 10 s while the page is open: this period's average so far and its
 * projection as a bar against the cap, the month's peaks that count, the meter's own peak next to the app's figure,
 * and a warning when the cap is below the house's own load. Loaded after common.js (window.pgPage) and settings.js;
 * chains onto its onHomeyReady (window.pgPage.onReady). */
'use strict';

(function () {
  var REFRESH_MS = 10000;
  var MAX_SE_PEAKS = 10;

  var $ = window.pgPage.$;
  var el = window.pgPage.el;
  var parseNumber = window.pgPage.parseNumber; // the page's one parser of number fields ("." or ",")
  var fieldNumber = window.pgPage.fieldNumber;
  var t = null; // t(key, vars) and api(method, path) from window.pgPage once Homey is ready
  var api = null;

  function kw(value) {
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  }

  function dayTime(ms) {
    return new Date(ms).toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  }

  // --- the form fields ---------------------------------------------------------------------------

  function rule() { return $('capacityRule').value; }

  function period() {
    var r = document.querySelector('input[name="capacity_period_min"]:checked');
    return r ? r.value : '15';
  }

  function ruleHint(r) {
    switch (r) {
      case 'fixed': return t('capacity.hintFixed');
      case 'month-peak': return t('capacity.hintMonthPeak');
      case 'no-steps': return t('capacity.hintNoSteps');
      case 'se-peaks': return t('capacity.hintSePeaks');
      default: return t('capacity.hintOff');
    }
  }

  /** Shows the fields the chosen rule uses, and what the cap means for it. */
  function syncRule() {
    var r = rule();
    document.querySelectorAll('[data-capacity-when]').forEach(function (node) {
      var when = node.getAttribute('data-capacity-when');
      node.hidden = when === 'on' ? r === 'off' : when !== r;
    });
    $('capacityRuleHint').textContent = ruleHint(r);
    var label = t('capacity.kw');
    if (r === 'month-peak') label = t('capacity.kwFloor');
    if (r === 'no-steps') label = t('capacity.kwStep');
    $('capacityKwLabel').textContent = label;
  }

  function fill(settings) {
    $('capacityRule').value = settings.capacity_rule || 'off';
    $('capacityKw').value = settings.capacity_kw === undefined || settings.capacity_kw === null ? fieldNumber(5) : fieldNumber(settings.capacity_kw);
    var minutes = String(settings.capacity_period_min || 15);
    document.querySelectorAll('input[name="capacity_period_min"]').forEach(function (r) { r.checked = r.value === minutes; });
    $('capacitySePeaks').value = fieldNumber(settings.capacity_se_peaks || 3);
    $('capacitySeDaytime').checked = settings.capacity_se_weekday_daytime === true;
    syncRule();
  }

  function read(out) {
    out.capacity_rule = rule();
    out.capacity_kw = $('capacityKw').value.trim();
    out.capacity_period_min = period();
    out.capacity_se_peaks = $('capacitySePeaks').value.trim();
    out.capacity_se_weekday_daytime = $('capacitySeDaytime').checked;
  }

  /** The page's own checks (numbers made numbers); the app checks everything again and its lines are shown too. */
  function validate(form, value, errors) {
    var on = form.capacity_rule !== 'off';
    var capKW = parseNumber(form.capacity_kw);
    if (on && !(capKW > 0)) errors.capacity_kw = t('capacity.errKw');
    value.capacity_kw = capKW > 0 ? capKW : 5;
    value.capacity_period_min = Number(form.capacity_period_min);
    var peaks = parseNumber(form.capacity_se_peaks);
    var peaksOk = Number.isInteger(peaks) && peaks >= 1 && peaks <= MAX_SE_PEAKS;
    if (form.capacity_rule === 'se-peaks' && !peaksOk) errors.capacity_se_peaks = t('capacity.errPeaks', { max: MAX_SE_PEAKS });
    value.capacity_se_peaks = peaksOk ? peaks : 3;
  }

  window.pgSettingsSections = window.pgSettingsSections || [];
  window.pgSettingsSections.push({ fill: fill, read: read, validate: validate });

  // --- the status ---------------------------------------------------------------------------------

  function renderBar(s) {
    var top = Math.max(s.capKW, s.projectedKW, s.averageKW, 0.1) * 1.15;
    var pct = function (v) { return Math.max(0, Math.min(100, (v / top) * 100)) + '%'; };
    $('capacity-bar-avg').style.width = pct(s.averageKW);
    $('capacity-bar-proj').style.width = pct(s.projectedKW);
    $('capacity-bar-cap').style.left = pct(s.capKW);
    $('capacity-bar-cap').hidden = !s.active;
    var over = s.active && s.projectedKW > s.capKW;
    $('capacity-bar').className = 'pg-cap-bar' + (over ? ' pg-cap-over' : '');
    $('capacity-bar').setAttribute('aria-label', t('capacity.barLabel', { avg: kw(s.averageKW), proj: kw(s.projectedKW), cap: kw(s.capKW) }));
  }

  function renderPeaks(s) {
    var list = $('capacity-peaks');
    list.textContent = '';
    if (!s.monthPeaks.length) list.appendChild(el('li', 'pg-muted', t('capacity.noPeaks')));
    s.monthPeaks.forEach(function (p) {
      var li = el('li', 'pg-cap-peak');
      var when = el('time', 'pg-muted', dayTime(p.startMs));
      when.dateTime = new Date(p.startMs).toISOString();
      li.appendChild(when);
      li.appendChild(el('strong', null, t('capacity.kwValue', { kw: kw(p.averageKW) })));
      list.appendChild(li);
    });
  }

  function render(s) {
    if (!s) return;
    var what = t(s.periodEndMs - s.periodStartMs > 1800000 ? 'capacity.hour' : 'capacity.quarter');
    $('capacity-period').textContent = t('capacity.periodLine', {
      what: what, from: time(s.periodStartMs), to: time(s.periodEndMs), left: Math.max(0, Math.round(s.minutesLeft)),
    });
    renderBar(s);
    var figures = [t('capacity.average', { kw: kw(s.averageKW) }), t('capacity.projected', { kw: kw(s.projectedKW) })];
    if (s.suspended) figures.push(t('capacity.suspended'));
    else if (s.active) figures.push(t('capacity.cap', { kw: kw(s.capKW) }), t('capacity.headroom', { kw: kw(Math.max(0, s.headroomKW)) }));
    else figures.push(t('capacity.measuring'));
    $('capacity-figures').textContent = figures.join(' · ');
    renderPeaks(s);
    var appPeak = s.monthPeaks.reduce(function (m, p) { return Math.max(m, p.averageKW); }, 0);
    $('capacity-meter-peak').hidden = s.meterPeakKW === null;
    $('capacity-meter-peak').textContent = s.meterPeakKW === null ? '' : t('capacity.meterPeak', { meter: kw(s.meterPeakKW), app: kw(appPeak) });
    $('capacity-warning').hidden = !s.warning;
    $('capacity-warning').textContent = s.warning ? t('capacity.belowBaseLoad', { cap: kw(s.capKW) }) : '';
  }

  function refresh() {
    return api('GET', '/capacity').then(function (s) {
      $('capacity-status').hidden = !s;
      render(s);
    }).catch(function (err) {
      $('capacity-period').textContent = t('capacity.loadError', { error: err.message });
    });
  }

  function start() {
    if (!$('capacity')) return;
    $('capacityRule').addEventListener('change', syncRule);
    syncRule();
    refresh();
    setInterval(refresh, REFRESH_MS);
    // a saved rule or cap shows at once
    $('form').addEventListener('submit', function () { setTimeout(refresh, 1500); });
  }

  window.pgPage.onReady(function (homey, page) {
    t = page.t;
    api = page.api;
    start();
  });
})();
