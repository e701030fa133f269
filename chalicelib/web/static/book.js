/* The booking page: procedure -> day -> time -> details -> confirm, through the JSON API. */
(function () {
  "use strict";
  const {data, t, h, $, api, status, showStep} = window.CS;
  const office = encodeURIComponent(data.office.id);
  const state = {service: null, day: null, slot: null, details: null, key: null, busy: false};
  const slotCache = new Map();
  const FIELDS = ["name", "email", "phone", "locale", "notes", "consent"];

  async function loadSlots(first, last) {
    const cacheKey = [state.service.id, first, last].join("|");
    if (slotCache.has(cacheKey)) return slotCache.get(cacheKey);
    const path = `/v1/offices/${office}/services/${encodeURIComponent(state.service.id)}/slots?from=${first}&to=${last}`;
    const response = await api("GET", path);
    if (!response.ok) return null;
    const byDay = new Map();
    for (const slot of response.data.slots) {
      const day = window.CS.localDay(slot);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(slot);
    }
    slotCache.set(cacheKey, byDay);
    return byDay;
  }

  const calendar = window.CS.Calendar($("calendar"), {load: loadSlots, onPick: chooseDay});

  async function loadServices() {
    const list = $("service-list");
    status(t("loading"));
    const response = await api("GET", `/v1/offices/${office}/services?lang=${data.lang}`);
    list.removeAttribute("aria-busy");
    status("");
    if (!response.ok) {
      list.replaceChildren(h("li", {},
        h("p", {class: "alert", role: "alert"}, t(response.status === 0 ? "err_network" : "err_generic")),
        h("button", {type: "button", class: "secondary", onclick: loadServices}, t("retry"))));
      return;
    }
    const services = response.data.services.filter((service) => service.channels.includes("video"));
    list.replaceChildren(...services.map((service) => h("li", {},
      h("button", {type: "button", onclick: () => chooseService(service)},
        h("span", {}, service.name), h("span", {class: "meta"}, t("duration", {minutes: service.duration_minutes}))))));
  }

  function chooseService(service) {
    if (!state.service || state.service.id !== service.id) {
      state.day = null;
      state.slot = null;
    }
    state.service = service;
    $("date-service").textContent = t("chosen_service", {service: service.name});
    showStep("date");
    calendar.open(state.day);
  }

  function chooseDay(day, slots) {
    state.day = day;
    window.CS.timePicker($("time-picker"), day, slots, state.slot && state.slot.start);
    showStep("time");
  }

  $("time-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const slot = window.CS.chosenSlot($("time-picker"));
    if (!slot) return;
    state.slot = slot;
    showStep("details");
  });

  /* Errors sit under their field, are tied to it by aria-describedby, and the first one gets the focus. */
  function showFieldErrors(errors) {
    for (const field of FIELDS) {
      const input = $("f-" + field);
      const message = $("f-" + field + "-error");
      const hint = $("f-" + field + "-hint");
      const error = errors.find(([name]) => name === field);
      message.hidden = !error;
      message.textContent = error ? t(error[1]) : "";
      if (error) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      const described = [error ? message.id : "", field === "consent" ? "privacy-notice" : hint ? hint.id : ""];
      const value = described.filter(Boolean).join(" ");
      if (value) input.setAttribute("aria-describedby", value);
      else input.removeAttribute("aria-describedby");
    }
    if (errors.length) $("f-" + errors[0][0]).focus();
  }

  $("details-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const details = {name: $("f-name").value.trim(), email: $("f-email").value.trim(),
      phone: $("f-phone").value.trim(), locale: $("f-locale").value, notes: $("f-notes").value.trim()};
    const errors = [];
    if (!details.name) errors.push(["name", "err_name"]);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(details.email)) errors.push(["email", "err_email"]);
    if ((details.phone.match(/\d/g) || []).length < 6) errors.push(["phone", "err_phone"]);
    if (!data.office.locales.includes(details.locale)) errors.push(["locale", "err_locale"]);
    if (details.notes.length > 500) errors.push(["notes", "err_notes"]);
    if (!$("f-consent").checked) errors.push(["consent", "err_consent"]);
    showFieldErrors(errors);
    if (errors.length) return;
    state.details = details;
    review();
  });

  /* A new review is a new attempt: a new Idempotency-Key (a retry of the same attempt reuses it). */
  function review() {
    const d = state.details;
    const rows = [["review_service", state.service.name], ["review_date", window.CS.longDate(state.slot.start)],
      ["review_time", `${window.CS.time(state.slot.start)} (${window.CS.zone})`], ["review_name", d.name],
      ["review_email", d.email], ["review_phone", d.phone], ["review_language", data.languages[d.locale], d.locale]];
    if (d.notes) rows.push(["review_notes", d.notes]);
    $("review-list").replaceChildren(...rows.flatMap(([key, value, lang]) =>
      [h("dt", {}, t(key)), h("dd", {lang: lang || null}, value)]));
    $("review-error").textContent = "";
    state.key = window.CS.uuid();
    showStep("review");
  }

  const API_FIELDS = {"citizen.name": "name", "citizen.email": "email", "citizen.phone": "phone",
    "citizen.locale": "locale", "notes": "notes"};

  $("confirm").addEventListener("click", async () => {
    const button = $("confirm");
    if (state.busy) return;
    state.busy = true;
    button.setAttribute("aria-disabled", "true");
    button.textContent = t("confirming");
    const d = state.details;
    const body = {service_id: state.service.id, start: state.slot.start, channel: "video",
      citizen: {name: d.name, email: d.email, phone: d.phone, locale: d.locale}};
    if (d.notes) body.notes = d.notes;
    const response = await api("POST", `/v1/offices/${office}/bookings`, {body, key: state.key});
    state.busy = false;
    button.removeAttribute("aria-disabled");
    button.textContent = t("confirm");
    const problem = response.data;
    if (response.status === 201) return done(problem);
    if (response.status === 409 && problem.reason === "slot_taken") return taken(problem.alternatives || []);
    if (response.status === 409 && problem.reason === "too_many_bookings") {
      $("review-error").textContent = t("too_many");
      return;
    }
    if (response.status === 400 && Array.isArray(problem.errors)) {
      const errors = problem.errors.filter((e) => API_FIELDS[e.field]).map((e) => [API_FIELDS[e.field], "err_" + API_FIELDS[e.field]]);
      if (errors.length) {
        showStep("details", {focus: false});
        showFieldErrors(errors);
        return;
      }
    }
    if (response.status === 422) state.key = window.CS.uuid();
    $("review-error").textContent = t(response.status === 0 ? "err_network" : "err_generic");
  });

  function taken(slots) {
    slotCache.clear();
    $("taken-text").textContent = t(slots.length ? "taken_text" : "taken_none");
    window.CS.alternatives($("taken-list"), slots, (slot) => {
      state.slot = slot;
      state.day = window.CS.localDay(slot);
      review();
    });
    showStep("taken");
  }

  function done(result) {
    const booking = result.booking;
    const token = encodeURIComponent(result.manage_token);
    $("done-service").textContent = t("chosen_service", {service: state.service.name});
    $("done-when").textContent = window.CS.whenText(booking.start);
    $("done-zone").textContent = t("times_in_zone", {zone: window.CS.zone});
    $("done-email").textContent = t("done_email", {email: booking.citizen.email});
    $("done-join-item").hidden = !booking.video_url;
    if (booking.video_url) $("done-join").href = booking.video_url;
    $("done-ics").href = `/v1/bookings/${encodeURIComponent(booking.id)}/invite.ics?token=${token}`;
    $("done-manage").href = result.manage_url;
    window.CS.setLanguageLinks(`/manage/${encodeURIComponent(booking.id)}?token=${token}`);
    showStep("done");
  }

  document.addEventListener("click", (event) => {
    const back = event.target.closest("[data-go]");
    if (!back) return;
    showStep(back.dataset.go);
    if (back.dataset.go === "date") calendar.open(state.day);
  });

  loadServices();
})();
