/* PhaseGuard EV settings page: the meter's current sign for solar charging (the charging modes Solar only and
 * Min + Solar take surplus only from what the meter shows as export). One setting, meterSign: auto | signed | unsigned,
 * saved with the rest of the form (settings.js asks window.pgSettingsSections); the app validates it once more.
 * Loaded after settings.js. */
'use strict';

(function () {
  var SIGNS = ['auto', 'signed', 'unsigned'];

  function radios() { return document.querySelectorAll('input[name="meterSign"]'); }

  function fill(settings) {
    var sign = SIGNS.indexOf(settings.meterSign) >= 0 ? settings.meterSign : 'auto';
    radios().forEach(function (r) { r.checked = r.value === sign; });
  }

  function read(out) {
    var picked = document.querySelector('input[name="meterSign"]:checked');
    out.meterSign = picked ? picked.value : 'auto';
  }

  window.pgSettingsSections = window.pgSettingsSections || [];
  window.pgSettingsSections.push({ fill: fill, read: read });
})();
