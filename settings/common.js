/* PhaseGuard EV settings page: the helpers every script of the page shares, defined once. Vanilla JS, no external
 * resources. Loaded first (before settings.js and the section scripts), it only defines window.pgPage:
 *   PHASES                        the grid phases, in order
 *   $(id)                         document.getElementById
 *   el(tag, className, text)      a new element with an optional class and text
 *   fmtA(a)                       a current in A with at most one decimal in the browser's locale ('–' when unknown)
 *   parseNumber(text)             a number field's text as a number, the ONE parser of every number field: digits
 *                                 with at most one decimal separator, "." or "," in every locale (a leading "-" is
 *                                 let through for the range check); NaN for anything else, '' included: thousands
 *                                 separators, two separators, letters, and one separator followed by exactly three
 *                                 digits ("1,000", "1.000": a thousands group in half the locales, so ambiguous)
 *   fieldNumber(n)                a number as a field shows it: the browser locale's decimal separator, no grouping,
 *                                 and never a form parseNumber refuses (0.125 → "0.1250")
 *   forHomey(Homey) → { t, api }  once Homey is ready:
 *     t(key, vars)                the text under "settings." + key with its {name} placeholders filled in; the key
 *                                 itself when the locale has no such text
 *     api(method, path, body)     a Promise around Homey.api; rejects with an Error carrying the API's message
 *   onReady(start)                chains a section script onto window.onHomeyReady (settings.js sets it first): the
 *                                 handlers before it run, then start(Homey, { t, api }) */
'use strict';

(function () {
  var PHASES = ['L1', 'L2', 'L3'];

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fmtA(a) {
    if (a === null || a === undefined) return '–';
    return (Math.round(a * 10) / 10).toLocaleString(undefined, { maximumFractionDigits: 1 });
  }

  var NUMBER_TEXT = /^-?\d+(?:[.,](\d+))?$/;

  function parseNumber(text) {
    var s = text === undefined || text === null ? '' : String(text).trim();
    var m = NUMBER_TEXT.exec(s);
    if (!m || (m[1] !== undefined && m[1].length === 3)) return NaN;
    return Number(s.replace(',', '.'));
  }

  function fieldNumber(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '';
    var s = String(n);
    if (/e/i.test(s)) s = n.toFixed(12).replace(/\.?0+$/, '');
    var frac = s.split('.')[1];
    if (frac !== undefined && frac.length === 3) s += '0';
    var comma = (1.5).toLocaleString(undefined).indexOf(',') >= 0;
    return comma ? s.replace('.', ',') : s;
  }

  function forHomey(Homey) {
    function t(key, vars) {
      var full = 'settings.' + key;
      var text = Homey.__(full);
      if (typeof text !== 'string' || text === '' || text === full) text = key;
      if (vars) {
        Object.keys(vars).forEach(function (name) { text = text.split('{' + name + '}').join(String(vars[name])); });
      }
      return text;
    }

    function api(method, path, body) {
      return new Promise(function (resolve, reject) {
        Homey.api(method, path, body === undefined ? null : body, function (err, result) {
          if (err) reject(err instanceof Error ? err : new Error(String(err && err.message ? err.message : err)));
          else resolve(result);
        });
      });
    }

    return { t: t, api: api };
  }

  function onReady(start) {
    var previous = window.onHomeyReady;
    window.onHomeyReady = function (Homey) {
      if (typeof previous === 'function') previous(Homey);
      start(Homey, forHomey(Homey));
    };
  }

  window.pgPage = {
    PHASES: PHASES, $: $, el: el, fmtA: fmtA, parseNumber: parseNumber, fieldNumber: fieldNumber, forHomey: forHomey, onReady: onReady,
  };
})();
