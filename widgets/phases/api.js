'use strict';

/**
 * The widget's API (routes in widget.compose.json; Homey serves them to the widget's Homey.api only).
 *
 * GET /live answers { language, live, wiring, error }:
 * - live: the app's live view, from the app's own GET /live handler (api.ts → homey.app.webApi.getLiveView()), the
 *   same view the settings page shows; afterwards the widget follows the app's realtime event "live";
 * - wiring: each charger's phase wiring from the saved settings (charger id → grid phase per charger phase), so the
 *   widget labels what a charger draws with the grid phase it loads;
 * - language: Homey's language; the widget's strings are in public/i18n.js.
 * It never throws: while the app is starting, or on any failure, live is null and error is one line.
 */
const appApi = require('../../api');

/** Charger id → phase wiring (['L1', 'L2', 'L3'], ['L3', null, null], …) from the saved settings; {} if unreadable. */
async function readWiring(homey) {
  try {
    const view = await appApi.getSettings({ homey });
    const wiring = {};
    for (const [id, charger] of Object.entries(view.settings.chargers || {})) {
      if (charger && Array.isArray(charger.phaseMap)) wiring[id] = charger.phaseMap;
    }
    return wiring;
  } catch (err) {
    return {};
  }
}

module.exports = {
  async getLive({ homey }) {
    let language = 'en';
    try {
      language = homey.i18n.getLanguage() || 'en';
    } catch (err) {
      // an old Homey or a stand-in without i18n: English
    }
    try {
      const live = await appApi.getLive({ homey });
      return { language, live, wiring: await readWiring(homey), error: null };
    } catch (err) {
      return { language, live: null, wiring: {}, error: err && err.message ? String(err.message) : String(err) };
    }
  },
};
