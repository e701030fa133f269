/* The staff page: sign in with a bearer token, see today's and this week's appointments in the office's
   zone, record outcomes, declare absences. The token lives in sessionStorage only (this tab, until sign-out).
   The API decides who may see and change what: the token's payload is read here only to greet the agent.
   Plain JavaScript, no framework, no inline code (CSP); nothing is ever inserted as HTML. */
(function () {
  "use strict";
  const {data, $, t, h} = window.DOM;
  const STORE_KEY = "citizen-scheduler.staff-token";
  const DAY_MS = 86400000;
  const MAX_ABSENCE_DAYS = 90;
  const loadedAt = performance.now();
  const REASONS = {not_started: "staff_err_not_started", not_active: "not_active", busy: "staff_err_busy",
    no_agent_free: "staff_err_no_agent_free", already_started: "already_started"};

  /* "Now" is the server's (it may be fixed for demos), moved on by the time this page has been open. */
  const now = () => Date.parse(data.now) + (performance.now() - loadedAt);

  const store = {
    get() { try { return sessionStorage.getItem(STORE_KEY); } catch (error) { return null; } },
    set(value) { try { sessionStorage.setItem(STORE_KEY, value); } catch (error) { /* kept in memory only */ } },
    clear() { try { sessionStorage.removeItem(STORE_KEY); } catch (error) { /* nothing kept */ } },
  };

  function fresh() {
    return {token: null, claims: {}, zone: "UTC", office: null, services: {}, agents: new Map(), agent: "",
      supervisor: false, bookings: [], warnings: [], absences: [], busy: false};
  }
  let state = fresh();

  /* -- dates: local days are "YYYY-MM-DD" strings, instants are shown in the office's zone ------------ */
  const formats = {};
  const format = (name, options) => {
    const key = name + "|" + state.zone;
    if (!formats[key]) {
      const {locale, ...rest} = options;
      formats[key] = new Intl.DateTimeFormat(locale || data.intl, rest);
    }
    return formats[key];
  };
  const noon = (day) => { const [y, m, d] = day.split("-").map(Number); return new Date(Date.UTC(y, m - 1, d, 12)); };
  const addDays = (day, n) => { const d = noon(day); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };
  const weekday = (day) => (noon(day).getUTCDay() + 6) % 7; // Monday first
  const capital = (text) => text.charAt(0).toLocaleUpperCase(data.intl) + text.slice(1);
  const longDay = (day) => format("day", {timeZone: "UTC", weekday: "long", day: "numeric", month: "long",
    year: "numeric"}).format(noon(day));
  const shortDay = (day) => format("short", {timeZone: "UTC", day: "numeric", month: "long"}).format(noon(day));
  const time = (instant) => format("time", {timeZone: state.zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
    .format(new Date(instant));

  /* The wall clock of the office's zone at an instant (milliseconds). */
  function wall(ms) {
    const parts = format("parts", {locale: "en-US", timeZone: state.zone, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(new Date(ms));
    const value = {};
    for (const part of parts) if (part.type !== "literal") value[part.type] = Number(part.value);
    return value;
  }
  const pad = (n, size) => String(n).padStart(size || 2, "0");
  const dayOf = (ms) => { const w = wall(ms); return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`; };
  const localDate = (instant) => dayOf(Date.parse(instant));
  const whenText = (instant) => t("when", {date: longDay(localDate(instant)), time: time(instant)});

  /* A datetime-local value ("2027-03-02T09:00"), read as the office's wall time, to a UTC instant. */
  function fromLocal(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!match) return null;
    const [y, mo, d, hh, mi] = match.slice(1).map(Number);
    const target = Date.UTC(y, mo - 1, d, hh, mi);
    const offset = (ms) => { const w = wall(ms); return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000; };
    let ms = target - offset(target);
    ms = target - offset(ms);
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function span(start, end) {
    const first = localDate(start);
    if (first === localDate(end)) return t("staff_day_span", {date: longDay(first), start: time(start), end: time(end)});
    return t("staff_span", {start: whenText(start), end: whenText(end)});
  }

  /* -- the API ----------------------------------------------------------------------------------- */
  async function api(method, path, body) {
    const result = await window.DOM.api(method, path, {body, token: state.token});
    if (result.status === 401 && state.token) refused();
    return result;
  }

  function failure(response) {
    if (response.status === 0) return t("err_network");
    if (response.status === 403) return t("staff_err_forbidden");
    if (response.status === 409 && REASONS[response.data.reason]) return t(REASONS[response.data.reason]);
    return t("err_generic");
  }

  /* Only for the greeting: the API checks the token on every request. */
  function claimsOf(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const text = atob(part + "=".repeat((4 - (part.length % 4)) % 4));
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
      return claims && typeof claims === "object" ? claims : {};
    } catch (error) {
      return {};
    }
  }

  function status(message) { $("status").textContent = message || ""; }

  function busyButton(button, busyText) {
    const idle = button.textContent;
    button.setAttribute("aria-disabled", "true");
    button.textContent = busyText;
    return () => { button.removeAttribute("aria-disabled"); button.textContent = idle; };
  }

  /* -- signing in and out ------------------------------------------------------------------------ */
  function show(signedIn) {
    $("step-signin").hidden = signedIn;
    $("signed-in").hidden = !signedIn;
  }

  function tokenError(key) {
    const input = $("f-token");
    const message = $("f-token-error");
    message.hidden = !key;
    message.textContent = key ? t(key) : "";
    if (key) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "f-token-error f-token-hint");
    } else {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "f-token-hint");
    }
  }

  /* Forget everything: the token and every citizen's details on the page. */
  function forget() {
    store.clear();
    state = fresh();
    for (const id of ["agenda", "warning-list", "absence-list", "absence-result-list", "who"]) $(id).replaceChildren();
    for (const id of ["agenda-error", "absence-error", "absence-list-error", "feed-error"]) $(id).textContent = "";
    $("feed-result").hidden = true;
    $("f-feed-url").value = "";
    $("agenda").setAttribute("aria-busy", "true");
    $("warnings").hidden = true;
    $("absence-result").hidden = true;
    $("absence-form").reset();
    $("f-agent").replaceChildren(h("option", {value: ""}, t("staff_all_agents")));
    $("office-name").textContent = t("staff_area");
    document.title = t("staff_title");
    const brand = $("brand-css");
    if (brand) brand.remove();
  }

  function signOut() {
    forget();
    tokenError(null);
    $("signin-form").reset();
    show(false);
    $("h-signin").focus();
    status(t("staff_signed_out"));
  }

  /* A 401 at any time: the token is wrong or expired; sign in again. */
  function refused() {
    forget();
    show(false);
    status("");
    tokenError("staff_err_token");
    $("f-token").focus();
  }

  async function signIn(token, button) {
    state.token = token;
    const done = button ? busyButton(button, t("staff_signing_in")) : () => {};
    status(t("loading"));
    const first = await api("GET", "/v1/staff/agenda");
    done();
    if (!first.ok) {
      if (first.status === 401) return; // refused() already said so
      const key = first.status === 0 ? "err_network" : first.status === 403 ? "staff_err_forbidden"
        : first.status === 404 ? "staff_err_office" : "err_generic";
      forget();
      show(false);
      status("");
      tokenError(key);
      $("f-token").focus();
      return;
    }
    store.set(token);
    state.claims = claimsOf(token);
    state.zone = first.data.timezone;
    state.office = first.data.office_id;
    state.supervisor = (state.claims.role || state.claims["custom:role"]) === "supervisor";
    tokenError(null);
    $("signin-form").reset();
    greet();
    brand();
    $("agenda-zone").textContent = t("times_in_zone", {zone: state.zone});
    $("absence-zone").textContent = t("times_in_zone", {zone: state.zone});
    show(true);
    $("h-agenda").focus();
    await Promise.all([loadOffice(), loadServices()]);
    await Promise.all([loadAgenda(), loadAbsences()]);
    if (state.token) status("");
  }

  /* The office's own colour, once we know the office (a stylesheet from this app: CSP style-src 'self'). */
  function brand() {
    const link = h("link", {rel: "stylesheet", id: "brand-css", href: `/book/${encodeURIComponent(state.office)}/brand.css`});
    document.head.append(link);
  }

  async function loadOffice() {
    const response = await fetch(`/v1/offices/${encodeURIComponent(state.office)}?lang=${data.lang}`,
      {headers: {Accept: "application/json"}, credentials: "omit"}).catch(() => null);
    if (!response || !response.ok) return;
    const office = await response.json().catch(() => null);
    if (office && office.name && state.office) {
      $("office-name").textContent = office.name;
      document.title = t("staff_title") + " · " + office.name;
    }
  }

  async function loadServices() {
    const response = await fetch(`/v1/offices/${encodeURIComponent(state.office)}/services?lang=${data.lang}`,
      {headers: {Accept: "application/json"}, credentials: "omit"}).catch(() => null);
    if (!response || !response.ok) return;
    const found = await response.json().catch(() => null);
    for (const service of (found && found.services) || []) state.services[service.id] = service.name;
  }

  function agentName(id) { return state.agents.get(id) || id; }

  function greet() {
    const agent = state.claims.agent || state.claims["custom:agent"] || state.claims.sub || "";
    const role = state.supervisor ? "supervisor" : "agent";
    $("who").textContent = t("staff_signed_in_as", {name: agentName(agent) || "?", role: t("staff_role_" + role)});
  }

  /* -- the agenda -------------------------------------------------------------------------------- */
  function week() {
    const today = dayOf(now());
    const monday = addDays(today, -weekday(today));
    return {today, monday, sunday: addDays(monday, 6)};
  }

  async function loadAgenda() {
    const box = $("agenda");
    const {monday, sunday} = week();
    box.setAttribute("aria-busy", "true");
    const agent = state.agent ? `&agent_id=${encodeURIComponent(state.agent)}` : "";
    const response = await api("GET", `/v1/staff/agenda?from=${monday}&to=${sunday}${agent}`);
    if (!state.token) return false;
    box.removeAttribute("aria-busy");
    if (!response.ok) {
      $("agenda-error").textContent = failure(response);
      return false;
    }
    $("agenda-error").textContent = "";
    state.bookings = response.data.bookings.slice().sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    state.warnings = response.data.warnings || [];
    const known = state.agents.size;
    for (const agent of response.data.agents) state.agents.set(agent.id, agent.display_name);
    if (state.agents.size !== known && state.absences.length) renderAbsences();  // their names are known now
    if (!state.agent && new Set(state.bookings.map((b) => b.agent.id)).size > 1) state.supervisor = true;
    greet();
    renderAgents();
    renderWarnings();
    renderAgenda();
    return true;
  }

  function renderAgents() {
    $("agent-filter").hidden = !state.supervisor;
    $("absence-agent-field").hidden = !state.supervisor;
    const agents = [...state.agents.entries()].sort((a, b) => a[1].localeCompare(b[1], data.intl));
    const filter = $("f-agent");
    filter.replaceChildren(h("option", {value: ""}, t("staff_all_agents")),
      ...agents.map(([id, name]) => h("option", {value: id}, name)));
    filter.value = state.agent;
    const absent = $("f-absence-agent");
    const chosen = absent.value || state.agent || state.claims.agent || "";
    absent.replaceChildren(h("option", {value: ""}, t("staff_choose_agent")),
      ...agents.map(([id, name]) => h("option", {value: id}, name)));
    absent.value = agents.some(([id]) => id === chosen) ? chosen : "";
    $("feed-whose").textContent = feedTarget().whose;
  }

  function failedMessages(bookingId) {
    return state.warnings.filter((w) => w.kind === "message_failed" && w.booking_id === bookingId);
  }

  function renderWarnings() {
    const items = state.warnings.map((warning) => {
      if (warning.kind === "calendar_sync_failed") {
        return t("staff_warn_sync", {agent: agentName(warning.agent_id), since: warning.since ? whenText(warning.since) : "—"});
      }
      const channel = t(warning.channel === "sms" ? "staff_channel_sms" : "staff_channel_email");
      const booking = state.bookings.find((b) => b.id === warning.booking_id);
      if (booking) return t("staff_warn_message", {channel, name: booking.citizen.name, when: whenText(booking.start)});
      return t("staff_warn_message_other", {channel, since: warning.since ? whenText(warning.since) : "—"});
    });
    $("warning-list").replaceChildren(...items.map((text) => h("li", {}, text)));
    $("warnings").hidden = items.length === 0;
  }

  let renderedAt = 0;

  function renderAgenda() {
    renderedAt = now();
    const {today, monday, sunday} = week();
    const byDay = new Map();
    for (const booking of state.bookings) {
      const day = booking.local_start.slice(0, 10);
      if (day < monday || day > sunday) continue;
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(booking);
    }
    const todays = byDay.get(today) || [];
    const others = [...byDay.keys()].filter((day) => day !== today).sort();
    $("agenda").replaceChildren(
      h("div", {class: "day-group", id: "today"},
        h("h3", {id: "h-today"}, t("staff_today", {date: longDay(today)})),
        todays.length ? list(todays, "h-today", 4) : h("p", {class: "empty"}, t("staff_none_today"))),
      h("div", {class: "day-group", id: "week"},
        h("h3", {id: "h-week"}, t("staff_week", {from: shortDay(monday), to: shortDay(sunday)})),
        others.length ? others.map((day) => h("div", {class: "day", "data-day": day},
          h("h4", {id: "h-day-" + day}, capital(longDay(day))), list(byDay.get(day), "h-day-" + day, 5)))
          : h("p", {class: "empty"}, t("staff_none_week"))));
  }

  function list(bookings, labelledBy, level) {
    return h("ul", {class: "appts", "aria-labelledby": labelledBy}, bookings.map((booking) => card(booking, level)));
  }

  function card(booking, level) {
    const id = "b-" + booking.id;
    const active = booking.status === "confirmed";
    const started = now() >= Date.parse(booking.start);
    const service = state.services[booking.service_id] || booking.service_name || booking.service_id;
    const rows = [
      ["staff_citizen", booking.citizen.name],
      ["review_phone", h("a", {href: "tel:" + booking.citizen.phone}, booking.citizen.phone)],
      ["review_email", h("a", {href: "mailto:" + booking.citizen.email}, booking.citizen.email)],
    ];
    if (booking.notes) rows.push(["review_notes", booking.notes]);
    if (state.supervisor) rows.push(["staff_agent", booking.agent.display_name]);
    const flags = [];
    if (active && booking.needs_reassignment) flags.push(h("p", {class: "flag"}, t("staff_needs_reassignment")));
    for (const warning of failedMessages(booking.id)) {
      flags.push(h("p", {class: "flag"}, t("staff_msg_failed", {channel: t(warning.channel === "sms"
        ? "staff_channel_sms" : "staff_channel_email")})));
    }
    const actions = [];
    if (active && booking.agent_video_url) {
      actions.push(h("a", {class: "button primary", href: booking.agent_video_url, target: "_blank", rel: "noopener noreferrer",
        "aria-describedby": id, "data-action": "join"}, t("join"), h("span", {class: "visually-hidden"}, " " + t("new_tab"))));
    }
    if (active && !started && state.supervisor && booking.needs_reassignment) {
      actions.push(h("button", {type: "button", class: "secondary", "aria-describedby": id, "data-action": "reassign",
        onclick: (event) => reassign(booking, event.currentTarget)}, t("staff_reassign")));
    }
    if (active && started) {
      actions.push(h("button", {type: "button", class: "secondary", "aria-describedby": id, "data-action": "completed",
        onclick: (event) => outcome(booking, "completed", event.currentTarget)}, t("staff_mark_done")));
      actions.push(h("button", {type: "button", class: "secondary", "aria-describedby": id, "data-action": "no_show",
        onclick: (event) => outcome(booking, "no_show", event.currentTarget)}, t("staff_mark_no_show")));
    }
    return h("li", {class: "appt" + (active ? "" : " inactive") + (flags.length ? " flagged" : ""), id: "appt-" + booking.id,
      "data-booking": booking.id},
      h("h" + level, {id, tabindex: "-1", class: "appt-title"},
        h("span", {class: "appt-time"}, `${time(booking.start)}–${time(booking.end)}`), " ", h("span", {}, service)),
      h("p", {class: "badges"}, h("span", {class: "badge status-" + booking.status}, t("staff_status_" + booking.status))),
      flags,
      h("dl", {class: "summary"}, rows.flatMap(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)])),
      active && !started ? h("p", {class: "hint"}, t("staff_outcome_later")) : null,
      actions.length ? h("div", {class: "actions"}, actions) : null,
      h("p", {class: "alert", role: "alert", id: "err-" + booking.id}));
  }

  /* One change at a time: its button shows the work; null when another change is running or the
     session ended meanwhile. */
  async function change(button, request, busyText = "staff_saving") {
    if (state.busy) return null;
    state.busy = true;
    const done = busyButton(button, t(busyText));
    const response = await api(...request);
    state.busy = false;
    if (!state.token) return null;
    done();
    return response;
  }

  async function outcome(booking, value, button) {
    const path = `/v1/staff/bookings/${encodeURIComponent(booking.id)}/status`;
    const response = await change(button, ["POST", path, {status: value}]);
    if (!response) return;
    if (!response.ok) {
      $("err-" + booking.id).textContent = failure(response);
      return;
    }
    const changed = {...booking, ...response.data.booking, needs_reassignment: booking.needs_reassignment};
    state.bookings = state.bookings.map((b) => (b.id === booking.id ? changed : b));
    renderAgenda();
    $("b-" + booking.id).focus();
    status(t(value === "completed" ? "staff_marked_completed" : "staff_marked_no_show",
      {time: time(booking.start), name: booking.citizen.name}));
  }

  /* A supervisor moves a booking whose agent is absent to another free agent at the same time
     (the citizen gets an update, both agents an invite or a cancellation); agenda and absences reload. */
  async function reassign(booking, button) {
    const path = `/v1/staff/bookings/${encodeURIComponent(booking.id)}/reassign`;
    const response = await change(button, ["POST", path, {}]);
    if (!response) return;
    if (!response.ok) {
      $("err-" + booking.id).textContent = failure(response);
      return;
    }
    await Promise.all([loadAgenda(), loadAbsences()]);
    status(t("staff_reassigned", {time: time(booking.start), name: booking.citizen.name,
      agent: response.data.booking.agent.display_name}));
    ($("b-" + booking.id) || $("h-agenda")).focus();
  }

  /* While the page stays open: outcome buttons appear once an appointment begins, a new day reloads.
     The focus stays where it was (on the same button, or on the appointment's heading). */
  function tick() {
    if (!state.token || $("signed-in").hidden || $("agenda").hasAttribute("aria-busy")) return;
    const current = now();
    if (dayOf(current) !== dayOf(renderedAt)) {
      loadAgenda();
      loadAbsences();
      return;
    }
    const begun = state.bookings.some((b) => b.status === "confirmed" && Date.parse(b.start) > renderedAt
      && Date.parse(b.start) <= current);
    if (!begun) return;
    const focused = document.activeElement;
    const item = $("agenda").contains(focused) ? focused.closest("li[data-booking]") : null;
    const action = item && focused.dataset ? focused.dataset.action : null;
    renderAgenda();
    if (!item) return;
    const again = $("appt-" + item.dataset.booking);
    const target = again && ((action && again.querySelector(`[data-action="${action}"]`)) || $("b-" + item.dataset.booking));
    if (target) target.focus();
  }
  setInterval(tick, 30000);

  /* -- absences ---------------------------------------------------------------------------------- */
  async function loadAbsences() {
    const agent = state.agent ? `?agent_id=${encodeURIComponent(state.agent)}` : "";
    const response = await api("GET", "/v1/staff/absences" + agent);
    if (!state.token) return;
    const list = $("absence-list");
    if (!response.ok) {
      $("absence-list-error").textContent = failure(response);
      list.replaceChildren();
      return;
    }
    $("absence-list-error").textContent = "";
    const current = now();
    state.absences = response.data.absences.filter((a) => Date.parse(a.end) > current)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    renderAbsences();
  }

  function renderAbsences() {
    const list = $("absence-list");
    if (!state.absences.length) {
      list.replaceChildren(h("li", {class: "empty"}, t("staff_no_absences")));
      return;
    }
    list.replaceChildren(...state.absences.map((absence) => {
      const id = "a-" + absence.id;
      return h("li", {"data-absence": absence.id},
        h("span", {id}, capital(span(absence.start, absence.end)),
          state.supervisor ? h("span", {class: "meta"}, " · " + agentName(absence.agent_id)) : null),
        h("button", {type: "button", class: "secondary", "aria-describedby": id,
          onclick: (event) => removeAbsence(absence, event.currentTarget)}, t("staff_delete")));
    }));
  }

  async function removeAbsence(absence, button) {
    const path = `/v1/staff/absences/${encodeURIComponent(absence.id)}`;
    const response = await change(button, ["DELETE", path], "staff_deleting");
    if (!response) return;
    if (!response.ok) {
      $("absence-list-error").textContent = failure(response);
      return;
    }
    await Promise.all([loadAbsences(), loadAgenda()]);
    $("h-absence-list").focus();
    status(t("staff_absence_deleted", {when: span(absence.start, absence.end)}));
  }

  const ABSENCE_FIELDS = ["absence-agent", "start", "end"];

  function absenceErrors(errors) {
    for (const field of ABSENCE_FIELDS) {
      const input = $("f-" + field);
      const message = $("f-" + field + "-error");
      const error = errors.find(([name]) => name === field);
      message.hidden = !error;
      message.textContent = error ? t(error[1]) : "";
      if (error) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      const described = [error ? message.id : "", field === "absence-agent" ? "" : "absence-zone"].filter(Boolean).join(" ");
      if (described) input.setAttribute("aria-describedby", described);
      else input.removeAttribute("aria-describedby");
    }
    if (errors.length) $("f-" + errors[0][0]).focus();
  }

  $("absence-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const start = fromLocal($("f-start").value);
    const end = fromLocal($("f-end").value);
    const errors = [];
    if (state.supervisor && !$("f-absence-agent").value) errors.push(["absence-agent", "staff_err_agent"]);
    if (!start) errors.push(["start", "staff_err_start"]);
    if (!end || (start && Date.parse(end) <= Date.parse(start))) errors.push(["end", "staff_err_end"]);
    else if (start && Date.parse(end) - Date.parse(start) > MAX_ABSENCE_DAYS * DAY_MS) errors.push(["end", "staff_err_too_long"]);
    absenceErrors(errors);
    $("absence-error").textContent = "";
    if (errors.length) return;
    const body = {start, end};
    if (state.supervisor && $("f-absence-agent").value) body.agent_id = $("f-absence-agent").value;
    const response = await change($("absence-submit"), ["POST", "/v1/staff/absences", body]);
    if (!response) return;
    if (response.status !== 201) {
      const fields = {start: ["start", "staff_err_start"], end: ["end", "staff_err_end"],
        agent_id: ["absence-agent", "staff_err_agent"]};
      const mapped = response.status === 400 && Array.isArray(response.data.errors)
        ? response.data.errors.map((e) => fields[e.field]).filter(Boolean) : [];
      if (mapped.length) absenceErrors(mapped);
      else $("absence-error").textContent = failure(response);
      return;
    }
    const absence = response.data.absence;
    const affected = response.data.bookings_to_reassign || [];
    $("absence-result-when").textContent = capital(span(absence.start, absence.end)) +
      (state.supervisor ? " · " + agentName(absence.agent_id) : "");
    $("absence-result-text").textContent = t(affected.length ? "staff_to_reassign" : "staff_to_reassign_none");
    $("absence-result-list").replaceChildren(...affected.map((b) => h("li", {},
      t("staff_reassign_item", {when: whenText(b.start), name: b.citizen.name,
        service: state.services[b.service_id] || b.service_name || b.service_id}))));
    $("absence-result").hidden = false;
    $("absence-form").reset();
    absenceErrors([]);
    await Promise.all([loadAbsences(), loadAgenda()]);
    $("h-absence-result").focus();
    status(t("staff_absence_saved", {when: span(absence.start, absence.end)}));
  });

  /* -- the rest of the page ---------------------------------------------------------------------- */
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("f-token").value.trim().replace(/^bearer\s+/i, "").trim();
    status("");
    tokenError(null);
    if (!token) {
      tokenError("staff_err_token_empty");
      $("f-token").focus();
      return;
    }
    signIn(token, $("signin"));
  });

  /* -- calendar feed ------------------------------------------------------------------------------ */
  /* An agent: their own. A supervisor: the agent in view, or the whole office. */
  function feedTarget() {
    if (!state.supervisor) return {body: {}, whose: t("staff_feed_yours")};
    return state.agent ? {body: {agent_id: state.agent}, whose: t("staff_feed_for", {name: agentName(state.agent)})}
      : {body: {office: true}, whose: t("staff_feed_office")};
  }

  async function newFeed(button) {
    const response = await change(button, ["POST", "/v1/staff/calendar-token", feedTarget().body]);
    if (!response) return;
    if (!response.ok) {
      $("feed-error").textContent = failure(response);
      return;
    }
    $("feed-error").textContent = "";
    $("f-feed-url").value = response.data.feed_url;
    $("feed-webcal").href = response.data.webcal_url;
    $("feed-result").hidden = false;
    $("h-feed-result").focus();
    status(t("staff_feed_ready"));
  }

  $("feed-new").addEventListener("click", (event) => newFeed(event.currentTarget));
  $("feed-copy").addEventListener("click", async () => {
    const field = $("f-feed-url");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status(t("staff_feed_copied"));
    } catch (error) {
      status(t("staff_feed_select"));  // the link is selected: Ctrl+C copies it
    }
  });

  $("sign-out").addEventListener("click", signOut);

  $("refresh").addEventListener("click", async () => {
    status(t("loading"));
    const [ok] = await Promise.all([loadAgenda(), loadAbsences()]);
    if (state.token) status(ok ? t("staff_updated") : "");
  });

  $("f-agent").addEventListener("change", async () => {
    state.agent = $("f-agent").value;
    status(t("loading"));
    const [ok] = await Promise.all([loadAgenda(), loadAbsences()]);
    if (state.token) status(ok ? t("staff_updated") : "");
  });

  const kept = store.get();
  if (kept) {
    show(false);
    $("step-signin").hidden = true;
    signIn(kept, null);
  } else {
    show(false);
  }
})();
