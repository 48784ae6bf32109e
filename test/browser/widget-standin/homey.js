/* Stand-in for the Homey object Homey injects into a dashboard widget (widgets/<id>/public/index.html) and for the
 * widget's frame: ready({height}), setHeight, api (Promise; over HTTP to the test server, which calls the widget's
 * real api.js handlers), on, __, getSettings, getWidgetInstanceId. The test server injects this script and
 * homey-widget.css into the page, as Homey injects its own; `window.__HOMEY_DARK__` puts the body in dark mode
 * (class homey-dark-mode, as Homey does for a dashboard in dark mode). */
(function () {
  'use strict';
  var listeners = {};
  window.__homey = { ready: false, readyHeight: null, heights: [], calls: [] };

  var Homey = {
    ready: function (args) {
      window.__homey.ready = true;
      window.__homey.readyHeight = args && args.height !== undefined ? args.height : null;
    },
    setHeight: function (height) {
      window.__homey.heights.push(height);
      return Promise.resolve();
    },
    api: function (method, path, body) {
      window.__homey.calls.push(method + ' ' + path);
      var init = { method: method, headers: { 'content-type': 'application/json' } };
      if (body !== null && body !== undefined && method !== 'GET' && method !== 'DELETE') init.body = JSON.stringify(body);
      return fetch('/__api' + path, init).then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) throw new Error(data && data.error ? data.error : 'HTTP ' + res.status);
          return data;
        });
      });
    },
    on: function (event, cb) { (listeners[event] = listeners[event] || []).push(cb); return Homey; },
    __: function (key) { return key; },
    getSettings: function () { return {}; },
    getWidgetInstanceId: function () { return 'test-widget-instance'; },
  };

  /** Test hook: what `this.homey.api.realtime(event, data)` in the app does. */
  window.__homeyEmit = function (event, data) {
    (listeners[event] || []).forEach(function (cb) { cb(data); });
  };

  window.addEventListener('load', function () {
    if (window.__HOMEY_DARK__) document.body.classList.add('homey-dark-mode');
    if (typeof window.onHomeyReady !== 'function') throw new Error('widget has no onHomeyReady(Homey) function');
    window.onHomeyReady(Homey);
  });
})();
