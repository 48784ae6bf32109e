/* PhaseGuard EV settings page: the HomeWizard P1 meter over the local API v2 (firmware 6+), and the meter time zone
 * of the P1 dongle section. Pairing: "Pair" sends POST /homewizard-v2/pair { host, restart: true }; while the meter
 * answers "press the button", a 30 s countdown runs and the page asks again every 2 s (the meter accepts the request
 * for 30 s after its button was pressed). Once paired the app has saved the token and the pinned certificate with the
 * meter settings; the token never reaches this page. Meters Homey found (GET /homewizard) can be picked.
 * Hooks into settings.js through window.pgMeterPanels (fill / read / shownAt); loaded after common.js (window.pgPage). */
'use strict';

(function () {
  var WINDOW_S = 30;
  var ASK_EVERY_MS = 2000;
  var pairing = null; // { host, endsAt, timer, askTimer } while a pairing runs
  var paired = null; // { certFingerprint, host, serial } of the saved pairing, shown as state

  var $ = window.pgPage.$;
  var t = null; // t(key, vars) and api(method, path, body) from window.pgPage once Homey is ready
  var api = null;

  function setState(text, kind) {
    var s = $('v2State');
    s.textContent = text;
    s.className = kind ? 'pg-status pg-status-' + kind : 'pg-muted';
  }

  function showPaired() {
    if (paired) setState(t('meter.v2Paired', { cert: paired.certFingerprint.slice(0, 11) + '…' }), 'ok');
    else setState(t('meter.v2NotPaired'));
  }

  /** The message of a failed call without the API's "<what> failed: " in front (the page says what failed). */
  function reason(err) {
    return String(err && err.message || err).replace(/^[^:]*? failed: /, '');
  }

  /** The app's one line about the address, next to its field (the API answers "meter.host: <line>"). */
  function showHostProblem(text) {
    var line = document.querySelector('[data-error-for="meter.v2Host"]');
    line.textContent = text;
    $('meterV2Host').setAttribute('aria-invalid', 'true');
    $('meterV2Host').focus();
  }

  function clearHostProblem() {
    document.querySelector('[data-error-for="meter.v2Host"]').textContent = '';
    $('meterV2Host').removeAttribute('aria-invalid');
  }

  function stopPairing() {
    if (pairing) {
      window.clearTimeout(pairing.timer);
      window.clearTimeout(pairing.askTimer); // a new pairing never runs a second loop of asks
    }
    pairing = null;
    $('v2Pair').disabled = false;
  }

  function tick() {
    var left = Math.max(0, Math.ceil((pairing.endsAt - Date.now()) / 1000));
    if (left === 0) {
      stopPairing();
      setState(t('meter.v2NoPress', { s: WINDOW_S }), 'error');
      return;
    }
    setState(t('meter.v2PressButton', { s: left }), 'warning');
    pairing.timer = window.setTimeout(tick, 1000);
  }

  function ask(restart) {
    var run = pairing;
    if (!run) return;
    api('POST', '/homewizard-v2/pair', { host: run.host, restart: restart }).then(function (r) {
      if (pairing !== run) return;
      if (r && r.state === 'paired') {
        stopPairing();
        // saved by the app with the address as it stores it and the serial it follows the meter by
        paired = { certFingerprint: r.certificate, host: r.host, serial: r.serial || null };
        $('meterV2Host').value = r.host;
        setState(t('meter.v2Done', { name: r.productName, serial: r.serial || '–', cert: r.certificate }), 'ok');
        var radio = document.querySelector('input[name="meterSource"][value="homewizard-v2"]');
        if (radio) radio.checked = true;
        return;
      }
      if (r && r.state === 'failed') return refused(run, r.field === 'meter.host' ? r.error : null, r.error);
      run.askTimer = window.setTimeout(function () { ask(false); }, ASK_EVERY_MS);
    }).catch(function (err) {
      var text = reason(err);
      var host = /^meter\.host: (.*)$/.exec(text);
      refused(run, host ? host[1] : null, text);
    });
  }

  /** The app refused the pairing: a wrong address next to its field, anything else as the pairing's state. */
  function refused(run, hostProblem, text) {
    if (pairing !== run) return;
    stopPairing();
    if (hostProblem !== null) {
      showPaired();
      showHostProblem(hostProblem);
    } else {
      setState(t('meter.v2Failed', { error: text }), 'error');
    }
  }

  function startPairing() {
    var host = $('meterV2Host').value.trim();
    clearHostProblem();
    if (!host) { showHostProblem(t('err.hostRequired')); return; }
    stopPairing();
    $('v2Pair').disabled = true;
    pairing = { host: host, endsAt: Date.now() + WINDOW_S * 1000, timer: null, askTimer: null };
    tick();
    ask(true);
  }

  /** P1 meters Homey found on the network, each a button that puts its address in the field. */
  function loadFound() {
    api('GET', '/homewizard').then(function (found) {
      var box = $('v2Found');
      box.textContent = '';
      (found && found.meters || []).filter(function (m) { return m.isP1; }).forEach(function (m) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'homey-button-secondary-small pg-v2-pick';
        b.textContent = t('meter.v2Use', { name: m.name, host: m.host });
        b.addEventListener('click', function () {
          $('meterV2Host').value = m.host;
          clearHostProblem();
        });
        box.appendChild(b);
      });
    }).catch(function () { /* typing the address still works */ });
  }

  window.pgMeterPanels = (window.pgMeterPanels || []).concat([{
    fill: function (meter) {
      var v2 = meter.source === 'homewizard-v2';
      $('meterV2Host').value = v2 ? meter.host || '' : '';
      paired = v2 && meter.certFingerprint ? { certFingerprint: meter.certFingerprint, host: meter.host, serial: meter.serial || null } : null;
      $('meterTimeZone').value = meter.timeZone || '';
      showPaired();
      if (v2) loadFound();
    },
    read: function (meter, source) {
      if (source === 'homewizard-v2') {
        meter.host = $('meterV2Host').value.trim() || null;
        // the serial the app follows the meter by belongs to the paired address; another address needs a new pairing
        meter.serial = paired && paired.host === meter.host ? paired.serial : null;
      }
      var zone = $('meterTimeZone').value.trim();
      meter.timeZone = zone === '' ? null : zone;
    },
    shownAt: function (path, source) {
      if (source !== 'homewizard-v2') return null;
      if (path === 'meter.host') return 'meter.v2Host';
      if (path === 'meter.token' || path === 'meter.certFingerprint') return 'meter.v2Token';
      return null;
    },
  }]);

  window.pgPage.onReady(function (homey, page) {
    t = page.t;
    api = page.api;
    $('v2Pair').addEventListener('click', startPairing);
    document.querySelectorAll('input[name="meterSource"]').forEach(function (r) {
      r.addEventListener('change', function () { if (r.value === 'homewizard-v2') loadFound(); });
    });
  });
})();
