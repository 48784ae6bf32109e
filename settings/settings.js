/* PhaseGuard EV settings page. Vanilla JS, no external resources; the shared helpers come from common.js (window.pgPage).
 * Talks to the app only through its Web API (api.ts): GET /settings, PUT /settings (the whole object, saved
 * all or nothing), GET /meters, GET /homewizard and the realtime event "homewizard". The live view is live.js. */
'use strict';

(function () {
  var PHASES = window.pgPage.PHASES;
  var MIN_CHARGE_A = 6;
  /** Numeric fields checked before sending; the app checks everything again (its messages are shown too). */
  var NUMBER_FIELDS = {
    fuseA: { min: 6, max: 100 },
    marginA: { min: 0 },
    restoreStepA: { min: 1, max: 16 },
    restoreHoldS: { min: 5, max: 3600, integer: true },
    staleAfterS: { min: 5, max: 600, integer: true },
    pauseAfterS: { min: 6, max: 3600, integer: true },
    resumeWindowS: { min: 10, max: 3600, integer: true },
  };
  var CHARGER_NUMBER_FIELDS = {
    priority: { min: 0, max: 10, integer: true },
    maxCurrentA: { min: 6, max: 32, integer: true },
  };

  var $ = window.pgPage.$;
  var el = window.pgPage.el;
  var fmtA = window.pgPage.fmtA;
  var parseNumber = window.pgPage.parseNumber; // the one parser of number fields: "." or "," in every locale
  var fieldNumber = window.pgPage.fieldNumber;
  var t = null; // t(key, vars) and api(method, path, body) from window.pgPage.forHomey once Homey is ready
  var api = null;

  var Homey = null;
  var view = null; // SettingsView from GET /settings
  var meters = null; // MeterCandidate[] from GET /meters, null until loaded
  var selectedDeviceId = null;
  var homeWizard = null; // HomeWizardDiscoveryView from GET /homewizard, null until loaded
  var meterSerial = null; // serial of the HomeWizard meter picked from that list (the app follows it); null when typed

  /** Sections with their own script (capacity.js, live.js, …) add their fields to the one form: each may have
   *  fill(settings), read(out), validate(form, value, errors) and saved(settings) (called once the app saved them);
   *  read at call time, so load order does not matter. */
  function sections() { return window.pgSettingsSections || []; }

  // ---------------------------------------------------------------- form: fill and read

  function fillForm(settings) {
    $('balancing').checked = settings.balancing;
    $('quickRestore').checked = settings.quickRestore !== false;
    checkRadio('manualOverride', settings.manualOverride);
    Object.keys(NUMBER_FIELDS).forEach(function (name) { $(name).value = fieldNumber(settings[name]); });
    var source = settings.meter.source;
    checkRadio('meterSource', source);
    // meter.host is the HomeWizard's host or, for 'p1tcp', the P1 dongle's host:port: each has its own field
    $('meterHost').value = source === 'p1tcp' ? '' : settings.meter.host || '';
    $('meterP1Host').value = source === 'p1tcp' ? settings.meter.host || '' : '';
    meterSerial = settings.meter.serial || null;
    syncHomeWizardChoice();
    selectedDeviceId = settings.meter.deviceId;
    showMeterPanel(source);
    meterPanels().forEach(function (p) { p.fill(settings.meter); });
    renderChargers(settings);
    sections().forEach(function (s) { if (s.fill) s.fill(settings); });
  }

  function checkRadio(name, value) {
    document.querySelectorAll('input[name="' + CSS.escape(name) + '"]').forEach(function (r) { r.checked = r.value === value; });
  }

  function radioValue(name) {
    var r = document.querySelector('input[name="' + CSS.escape(name) + '"]:checked');
    return r ? r.value : null;
  }

  /** Meter sections with their own script (homewizardV2.js): { fill(meter), read(meter, source), shownAt(path, source) }. */
  function meterPanels() { return window.pgMeterPanels || []; }

  function showMeterPanel(source) {
    document.querySelectorAll('[data-meter-panel]').forEach(function (panel) {
      panel.hidden = panel.getAttribute('data-meter-panel') !== source;
    });
  }

  function chargerSettings(settings, c) {
    var s = settings.chargers[c.id];
    return s || { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: Math.min(16, c.hardwareMaxA) };
  }

  function renderChargers(settings) {
    var box = $('chargers');
    box.textContent = '';
    $('chargersNone').hidden = view.chargers.length > 0;
    view.chargers.forEach(function (c) {
      var s = chargerSettings(settings, c);
      var p = 'chargers.' + c.id;
      var card = el('div', 'pg-card');
      card.setAttribute('data-charger', c.id);
      var head = el('div', 'pg-card-head');
      head.appendChild(el('strong', null, c.name));
      head.appendChild(el('span', 'pg-muted', t('brand.' + c.brand)));
      card.appendChild(head);
      card.appendChild(errorLine(p));

      var enabled = el('label', 'homey-form-checkbox');
      var box1 = el('input', 'homey-form-checkbox-input');
      box1.type = 'checkbox';
      box1.name = p + '.enabled';
      box1.checked = s.enabled;
      enabled.appendChild(box1);
      enabled.appendChild(el('span', 'homey-form-checkbox-checkmark'));
      enabled.appendChild(el('span', 'homey-form-checkbox-text', t('chargers.enabled')));
      card.appendChild(group([enabled, errorLine(p + '.enabled')]));

      card.appendChild(numberGroup(p + '.priority', t('chargers.priority'), s.priority, CHARGER_NUMBER_FIELDS.priority, t('chargers.priorityHint')));
      card.appendChild(numberGroup(p + '.maxCurrentA', t('chargers.maxCurrentA'), s.maxCurrentA, CHARGER_NUMBER_FIELDS.maxCurrentA,
        t('chargers.maxHint', { a: c.hardwareMaxA })));

      var wiring = el('div', 'homey-form-group');
      wiring.appendChild(el('div', 'homey-form-label', t('chargers.phaseMap')));
      var row = el('div', 'pg-phase-map');
      [0, 1, 2].forEach(function (i) {
        var id = 'pm-' + c.id + '-' + i;
        var cell = el('div', 'pg-phase-map-cell');
        var label = el('label', 'pg-small', t('chargers.phaseN', { n: i + 1 }));
        label.htmlFor = id;
        var select = el('select', 'homey-form-select');
        select.id = id;
        select.name = p + '.phaseMap.' + i;
        PHASES.forEach(function (ph) { select.appendChild(new Option(ph, ph)); });
        select.appendChild(new Option(t('chargers.notConnected'), ''));
        select.value = s.phaseMap[i] || '';
        cell.appendChild(label);
        cell.appendChild(select);
        row.appendChild(cell);
      });
      wiring.appendChild(row);
      wiring.appendChild(el('p', 'pg-hint', t('chargers.phaseHint')));
      wiring.appendChild(errorLine(p + '.phaseMap'));
      card.appendChild(wiring);
      box.appendChild(card);
    });
  }

  function group(children) {
    var g = el('div', 'homey-form-group');
    children.forEach(function (c) { g.appendChild(c); });
    return g;
  }

  function numberGroup(name, labelText, value, rule, hint) {
    var id = name.replace(/[^a-zA-Z0-9_-]/g, '_');
    var label = el('label', 'homey-form-label', labelText);
    label.htmlFor = id;
    var input = el('input', 'homey-form-input');
    input.type = 'text'; // not 'number': Chromium drops a typed "," there ("1,5" → 15); parseNumber reads the text
    input.id = id;
    input.name = name;
    input.inputMode = rule.integer ? 'numeric' : 'decimal';
    input.autocomplete = 'off';
    input.value = fieldNumber(value);
    var parts = [label, input];
    if (hint) parts.push(el('p', 'pg-hint', hint));
    parts.push(errorLine(name));
    return group(parts);
  }

  function errorLine(path) {
    var p = el('p', 'pg-error');
    p.setAttribute('data-error-for', path);
    p.setAttribute('role', 'alert');
    return p;
  }

  function field(name) { return document.querySelector('[name="' + CSS.escape(name) + '"]'); }

  /** The whole settings object as the form shows it; numbers left as typed text until validated. */
  function readForm() {
    var source = radioValue('meterSource');
    var host = $(source === 'p1tcp' ? 'meterP1Host' : 'meterHost').value.trim();
    var out = {
      balancing: $('balancing').checked,
      quickRestore: $('quickRestore').checked,
      manualOverride: radioValue('manualOverride'),
      meter: { source: source, host: host === '' ? null : host, deviceId: selectedDeviceId, serial: meterSerial },
      chargers: {},
    };
    meterPanels().forEach(function (p) { p.read(out.meter, source); });
    Object.keys(NUMBER_FIELDS).forEach(function (name) { out[name] = $(name).value.trim(); });
    view.chargers.forEach(function (c) {
      var p = 'chargers.' + c.id;
      out.chargers[c.id] = {
        enabled: field(p + '.enabled').checked,
        priority: field(p + '.priority').value.trim(),
        maxCurrentA: field(p + '.maxCurrentA').value.trim(),
        phaseMap: [0, 1, 2].map(function (i) { return field(p + '.phaseMap.' + i).value || null; }),
      };
    });
    sections().forEach(function (s) { if (s.read) s.read(out); });
    return out;
  }

  // ---------------------------------------------------------------- validation (client side first)

  function checkNumber(text, rule, errors, path) {
    var n = parseNumber(text);
    if (text === '') errors[path] = t('err.required');
    else if (Number.isNaN(n) || n < rule.min || (rule.max !== undefined && n > rule.max) || (rule.integer && !Number.isInteger(n))) {
      if (rule.max === undefined) errors[path] = t('err.numberMin', { min: rule.min });
      else errors[path] = t(rule.integer ? 'err.integer' : 'err.number', { min: rule.min, max: rule.max });
    }
    return n;
  }

  /** Returns { errors, value } where value has real numbers. */
  function validate(form) {
    var errors = {};
    var value = JSON.parse(JSON.stringify(form));
    Object.keys(NUMBER_FIELDS).forEach(function (name) { value[name] = checkNumber(form[name], NUMBER_FIELDS[name], errors, name); });
    if (!errors.fuseA && !errors.marginA && value.marginA >= value.fuseA - MIN_CHARGE_A) {
      errors.marginA = t('err.margin', { max: value.fuseA - MIN_CHARGE_A });
    }
    if (!errors.staleAfterS && !errors.pauseAfterS && value.pauseAfterS <= value.staleAfterS) {
      errors.pauseAfterS = t('err.pauseAfter', { s: value.staleAfterS });
    }
    if (!form.meter.source) errors['meter.source'] = t('err.source');
    if (form.meter.source === 'homewizard') {
      // Only the obvious mistakes here; the app checks the address in full.
      if (!form.meter.host) errors['meter.host'] = t('err.hostRequired');
      else if (/:\/\/|\/|\s/.test(form.meter.host)) errors['meter.host'] = t('err.host');
    }
    // The P1 dongle's address: only whether it is there; the app's one line says what else is wrong with it.
    if (form.meter.source === 'p1tcp' && !form.meter.host) errors['meter.host'] = t('err.p1HostRequired');
    if (form.meter.source === 'homey-device' && !form.meter.deviceId) errors['meter.deviceId'] = t('err.device');
    Object.keys(form.chargers).forEach(function (id) {
      var c = form.chargers[id];
      var p = 'chargers.' + id;
      Object.keys(CHARGER_NUMBER_FIELDS).forEach(function (name) {
        value.chargers[id][name] = checkNumber(c[name], CHARGER_NUMBER_FIELDS[name], errors, p + '.' + name);
      });
      var used = c.phaseMap.filter(function (x) { return x !== null; });
      var twice = used.filter(function (x, i) { return used.indexOf(x) !== i; })[0];
      if (used.length === 0) errors[p + '.phaseMap'] = t('err.phaseNone');
      else if (twice) errors[p + '.phaseMap'] = t('err.phaseTwice', { p: twice });
    });
    sections().forEach(function (s) { if (s.validate) s.validate(form, value, errors); });
    return { errors: errors, value: value };
  }

  function clearErrors() {
    document.querySelectorAll('.pg-error').forEach(function (e) { e.textContent = ''; });
    document.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
  }

  /** Where a field's message is shown: meter.host is the HomeWizard's host, or the P1 dongle's address (its own field,
   *  meter.p1Host on the page) when that is the source chosen. */
  function shownAt(path) {
    var own = meterPanels().map(function (p) { return p.shownAt(path, radioValue('meterSource')); }).filter(Boolean)[0];
    if (own) return own;
    return path === 'meter.host' && radioValue('meterSource') === 'p1tcp' ? 'meter.p1Host' : path;
  }

  /** Shows each message next to its field; messages for fields not on the page go to the status line. */
  function showErrors(errors) {
    var loose = [];
    var first = null;
    Object.keys(errors).forEach(function (path) {
      var line = document.querySelector('[data-error-for="' + CSS.escape(shownAt(path)) + '"]');
      if (!line) { loose.push(errors[path]); return; }
      line.textContent = errors[path];
      var input = line.parentElement.querySelector('input:not([type=radio]), select') || line.parentElement.querySelector('input');
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        if (!first) first = input;
      }
    });
    setStatus(t('notSaved') + (loose.length ? ' ' + loose.join(' ') : ''), 'error');
    if (first) first.focus();
  }

  function setStatus(text, kind) {
    var s = $('formStatus');
    s.textContent = text;
    s.className = 'pg-status' + (kind ? ' pg-status-' + kind : '');
  }

  function onSave(event) {
    event.preventDefault();
    clearErrors();
    var checked = validate(readForm());
    if (Object.keys(checked.errors).length > 0) {
      showErrors(checked.errors);
      return;
    }
    var button = $('save');
    button.disabled = true;
    button.classList.add('is-loading');
    setStatus(t('saving'));
    api('PUT', '/settings', checked.value).then(function (result) {
      if (result && result.ok) {
        view.settings = checked.value;
        setStatus(t('saved'), 'ok');
        sections().forEach(function (s) { if (s.saved) s.saved(checked.value); });
      } else {
        showErrors((result && result.errors) || {});
      }
    }).catch(function (err) {
      setStatus(t('saveFailed', { error: err.message }), 'error');
    }).then(function () {
      button.disabled = false;
      button.classList.remove('is-loading');
    });
  }

  // ---------------------------------------------------------------- meter devices

  function loadMeters() {
    $('meterDevicesStatus').textContent = t('loading');
    $('meterRefresh').disabled = true;
    api('GET', '/meters').then(function (list) {
      meters = list || [];
      $('meterDevicesStatus').textContent = meters.length ? '' : t('meter.noDevices');
      renderMeters();
    }).catch(function (err) {
      $('meterDevicesStatus').textContent = t('meter.loadError', { error: err.message });
    }).then(function () {
      $('meterRefresh').disabled = false;
    });
  }

  function renderMeters() {
    var box = $('meterDevices');
    box.textContent = '';
    (meters || []).forEach(function (m) {
      var label = el('label', 'homey-form-radio pg-meter');
      var radio = el('input', 'homey-form-radio-input');
      radio.type = 'radio';
      radio.name = 'meterDevice';
      radio.value = m.id;
      radio.checked = m.id === selectedDeviceId;
      radio.addEventListener('change', function () { selectedDeviceId = m.id; clearFieldError('meter.deviceId'); });
      label.appendChild(radio);
      label.appendChild(el('span', 'homey-form-radio-checkmark'));
      var text = el('span', 'homey-form-radio-text');
      text.appendChild(el('strong', null, m.name));
      text.appendChild(document.createTextNode(' · ' + m.app));
      text.appendChild(el('span', 'pg-meter-basis', t(m.basis === 'current' ? 'meter.basisCurrent' : 'meter.basisPower')));
      var caps = el('span', 'pg-meter-caps');
      PHASES.forEach(function (ph, i) {
        var cap = m.phaseCapabilities[i];
        var value = m.lastValuesA[i];
        caps.appendChild(el('span', cap ? 'pg-cap' : 'pg-cap pg-cap-missing',
          ph + ': ' + (cap ? cap + ' = ' + fmtA(value) + ' A' : t('meter.notFound'))));
      });
      text.appendChild(caps);
      label.appendChild(text);
      box.appendChild(label);
    });
    var missing = selectedDeviceId && meters && !meters.some(function (m) { return m.id === selectedDeviceId; });
    if (missing) $('meterDevicesStatus').textContent = t('meter.savedMissing');
  }

  function clearFieldError(path) {
    var line = document.querySelector('[data-error-for="' + CSS.escape(path) + '"]');
    if (!line) return;
    line.textContent = '';
    var input = line.parentElement.querySelector('[aria-invalid]');
    if (input) input.removeAttribute('aria-invalid');
  }

  // ---------------------------------------------------------------- HomeWizard meters found on the network

  function loadHomeWizard() {
    $('hwStatus').textContent = t('meter.hwSearching');
    $('hwRefresh').disabled = true;
    api('GET', '/homewizard').then(renderHomeWizard).catch(function (err) {
      renderHomeWizard({ meters: [], otherDevices: 0, error: err.message });
    }).then(function () {
      $('hwRefresh').disabled = false;
    });
  }

  /** One radio per meter found; picking one fills the host field (which can still be typed by hand) and keeps its
   *  serial, so the app can follow the meter to a new address. */
  function renderHomeWizard(found) {
    homeWizard = found;
    var box = $('hwMeters');
    box.textContent = '';
    found.meters.forEach(function (m) {
      var label = el('label', 'homey-form-radio pg-hw');
      label.setAttribute('data-hw', m.id);
      var radio = el('input', 'homey-form-radio-input');
      radio.type = 'radio';
      radio.name = 'hwMeter';
      radio.value = m.host;
      radio.addEventListener('change', function () {
        $('meterHost').value = m.host;
        meterSerial = m.serial || null;
        clearFieldError('meter.host');
      });
      label.appendChild(radio);
      label.appendChild(el('span', 'homey-form-radio-checkmark'));
      var text = el('span', 'homey-form-radio-text');
      text.appendChild(el('strong', null, m.name));
      text.appendChild(el('span', 'pg-meter-basis', t('meter.hwDetails', { host: m.host, serial: m.serial || '–' })));
      if (!m.isP1) text.appendChild(el('span', 'pg-hw-note', t('meter.hwNotP1')));
      if (m.apiEnabled === false) text.appendChild(el('span', 'pg-hw-note pg-hw-api-off', t('meter.hwApiOff')));
      label.appendChild(text);
      box.appendChild(label);
    });
    var lines = [];
    if (found.error) lines.push(t('meter.hwUnavailable', { error: found.error }));
    else if (found.meters.length === 0) lines.push(t('meter.hwNone'));
    if (found.otherDevices > 0) lines.push(t('meter.hwOthers', { n: found.otherDevices }));
    $('hwStatus').textContent = lines.join(' ');
    $('hwFollowHint').hidden = found.meters.length === 0;
    syncHomeWizardChoice();
  }

  /** A host typed by hand keeps a serial only when it is the address of a meter in the list. */
  function onHostTyped() {
    var host = $('meterHost').value.trim();
    var found = ((homeWizard && homeWizard.meters) || []).filter(function (m) { return m.host === host; })[0];
    meterSerial = found ? found.serial || null : null;
    syncHomeWizardChoice();
  }

  /** The meter whose address is in the host field is the chosen one. */
  function syncHomeWizardChoice() {
    var host = $('meterHost').value.trim();
    document.querySelectorAll('input[name="hwMeter"]').forEach(function (r) { r.checked = r.value === host; });
  }

  // ---------------------------------------------------------------- start

  function translatePage() {
    document.querySelectorAll('[data-i18n]').forEach(function (node) {
      node.textContent = t(node.getAttribute('data-i18n').replace(/^settings\./, ''));
    });
  }

  function wire() {
    $('form').addEventListener('submit', onSave);
    $('meterRefresh').addEventListener('click', loadMeters);
    $('hwRefresh').addEventListener('click', loadHomeWizard);
    $('meterHost').addEventListener('input', onHostTyped);
    document.querySelectorAll('input[name="meterSource"]').forEach(function (r) {
      r.addEventListener('change', function () {
        showMeterPanel(r.value);
        clearFieldError('meter.source');
        if (r.value === 'homey-device' && meters === null) loadMeters();
        if (r.value === 'homewizard' && homeWizard === null) loadHomeWizard();
      });
    });
    // Editing a field clears its message; the next save checks again.
    $('form').addEventListener('input', function (event) {
      var group = event.target.closest('.homey-form-group');
      var line = group && group.querySelector('.pg-error');
      if (line) clearFieldError(line.getAttribute('data-error-for'));
    });
  }

  window.onHomeyReady = function (homey) {
    var page = window.pgPage.forHomey(homey);
    Homey = homey;
    t = page.t;
    api = page.api;
    translatePage();
    wire();
    api('GET', '/settings').then(function (v) {
      view = v;
      fillForm(view.settings);
      if (view.settings.meter.source === 'homey-device') loadMeters();
      if (view.settings.meter.source === 'homewizard') loadHomeWizard();
    }).catch(function (err) {
      setStatus(t('loadFailed', { error: err.message }), 'error');
      $('save').disabled = true;
    }).then(function () {
      Homey.ready();
    });
    Homey.on('homewizard', renderHomeWizard);
  };
})();
