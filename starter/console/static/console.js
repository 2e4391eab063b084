/* Switchyard console: the little the pages need beyond htmx. */
"use strict";

/* True when nobody is in the middle of a form inside #id: no field focused, no field
   typed into, no "Short or reject" panel open. A periodic refresh waits until then, so
   it never throws away what someone is typing. */
window.consoleIdle = function (id) {
  const area = document.getElementById(id);
  if (!area) return true;
  if (area.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return false;
  if (area.querySelector("details[open]")) return false;
  return ![...area.querySelectorAll("input:not([type=hidden])")].some((field) => field.value !== "");
};
