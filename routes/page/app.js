/**
 * What the page does, one module per panel: the media library and its player
 * (media_panel.js), exports watched as they arrive (export_panel.js) and the
 * prepared exports (jobs_panel.js), the
 * /stream-data view (live_panel.js), with their shared DOM helpers in dom.js
 * and the token and signed links of access control in access.js.
 * Plain DOM and fetch; the parts that need no browser are in page_logic.js,
 * where Deno tests them.
 *
 * @module
 */

import { startAccess } from "./access.js";
import { startExportPanel } from "./export_panel.js";
import { startJobsPanel } from "./jobs_panel.js";
import { startLivePanel } from "./live_panel.js";
import { startMediaPanel } from "./media_panel.js";

startAccess();
startMediaPanel();
startExportPanel();
startJobsPanel();
startLivePanel();
