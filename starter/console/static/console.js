/* Switchyard console: the little the pages need beyond htmx. Everything lives here, not
   in the pages: the console's Content-Security-Policy runs scripts from this origin's
   files only (no inline handlers, no eval), so htmx runs with allowEval off and the
   pages carry data-* attributes that the listeners below read. */
"use strict";

/* True when nobody is in the middle of a form inside `area`: no field focused, no field
   typed into, no box ticked, no choice made, no "Short or reject" panel open. A periodic
   refresh waits until then, so it never throws away what someone is doing. */
function consoleIdle(area) {
  if (area.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return false;
  if (area.querySelector("details[open]")) return false;
  const busy = (field) => (field.type === "checkbox" || field.type === "radio" ? field.checked : field.value !== field.defaultValue);
  if ([...area.querySelectorAll("input:not([type=hidden]), textarea")].some(busy)) return false;
  // A select shows its first option, or the one marked selected, until someone chooses.
  const chosen = (field) => field.selectedIndex !== Math.max(0, [...field.options].findIndex((o) => o.defaultSelected));
  return ![...area.querySelectorAll("select:not([multiple])")].some(chosen);
}

/* [data-poll-when-idle]: its polling ("every 10s") skips a round while someone is busy
   in it, and so does the reload a refused action asks for (console-stale): what was
   typed stays, to be corrected. A poll is the only request htmx issues with no
   triggering event; the refresh after an accepted action (console-refresh) always goes
   through. */
document.addEventListener("htmx:confirm", (event) => {
  const area = event.detail.elt;
  const trigger = event.detail.triggeringEvent;
  const deferrable = !trigger || trigger.type === "console-stale";
  if (area.matches("[data-poll-when-idle]") && deferrable && !consoleIdle(area)) {
    event.preventDefault();
  }
});

/* form[data-reset-on-success]: cleared once its request succeeded (the answer shows in
   #answer, the form is ready for the next one). A refusal (4xx, 5xx) keeps what was
   typed, to be corrected: the htmx-config swaps every answer without marking any as an
   error, so htmx's own "successful" is true for those too. */
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  const accepted = event.detail.successful && event.detail.xhr && event.detail.xhr.status < 400;
  if (form.matches("form[data-reset-on-success]") && accepted) form.reset();
});
