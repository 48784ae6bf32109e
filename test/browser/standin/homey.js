/* Stand-in for the `/homey.js` Homey serves to app settings pages (data-origin="settings").
 * Implements the page-side Homey object: get/set/api/on/ready/alert/confirm/__.
 * `api` goes over HTTP to the test server, which calls the real api.ts handlers.
 * The server prepends `window.__HOMEY_LOCALE__ = {...}` (the app's locales/<lang>.json). */
(function () {
  'use strict';
  var locale = window.__HOMEY_LOCALE__ || {};
  var listeners = {};
  var store = {};
  window.__homey = { ready: false, alerts: [], confirms: [], calls: [] };

  // Homey injects its style library; the stand-in injects an approximation so screenshots look alike.
  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/homey-standin.css';
  document.head.appendChild(css);

  var Homey = {
    ready: function () { window.__homey.ready = true; },
    __: function (key) {
      var node = locale;
      String(key).split('.').forEach(function (part) { node = node && typeof node === 'object' ? node[part] : undefined; });
      return typeof node === 'string' ? node : key;
    },
    get: function (key, cb) { cb(null, Object.prototype.hasOwnProperty.call(store, key) ? store[key] : null); },
    set: function (key, value, cb) { store[key] = value; if (cb) cb(null); },
    api: function (method, path, body, cb) {
      window.__homey.calls.push(method + ' ' + path);
      var init = { method: method, headers: { 'content-type': 'application/json' } };
      if (body !== null && body !== undefined) init.body = JSON.stringify(body);
      fetch('/__api' + path, init)
        .then(function (res) {
          return res.json().then(function (data) {
            if (res.ok) cb(null, data);
            else cb(new Error(data && data.error ? data.error : 'HTTP ' + res.status));
          });
        })
        .catch(function (err) { cb(err); });
    },
    on: function (event, cb) { (listeners[event] = listeners[event] || []).push(cb); return Homey; },
    alert: function (message, icon, cb) { window.__homey.alerts.push(String(message)); if (cb) cb(); },
    confirm: function (message, icon, cb) { window.__homey.confirms.push(String(message)); if (cb) cb(null, true); },
  };

  /** Test hook: what `this.homey.api.realtime(event, data)` in the app does. */
  window.__homeyEmit = function (event, data) {
    (listeners[event] || []).forEach(function (cb) { cb(data); });
  };

  window.addEventListener('load', function () {
    if (typeof window.onHomeyReady !== 'function') throw new Error('settings page has no onHomeyReady(Homey) function');
    window.onHomeyReady(Homey);
  });
})();
