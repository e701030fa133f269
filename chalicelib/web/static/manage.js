/* The manage page: opening it only shows the booking; cancel and move are explicit POSTs. */
(function () {
  "use strict";
  const {data, t, h, $, api, status, showStep} = window.CS;
  const token = new URLSearchParams(window.location.search).get("token") || "";
  const id = encodeURIComponent(data.booking_id);
  const office = encodeURIComponent(data.office.id);
  const serviceNames = {};
  const slotCache = new Map();
  const REASONS = {too_late: "too_late", already_started: "already_started", not_active: "not_active",
    slot_taken: "taken_none"};
  let booking = null;
  let busy = false;

  function render(value) {
    booking = value;
    const active = booking.status === "confirmed";
    $("h-view").textContent = serviceNames[booking.service_id] || t("manage_title");
    const rows = [["review_status", t("status_" + booking.status)], ["review_date", window.CS.longDate(booking.start)],
      ["review_time", `${window.CS.time(booking.start)} (${window.CS.zone})`], ["review_name", booking.citizen.name],
      ["review_email", booking.citizen.email], ["review_phone", booking.citizen.phone]];
    const list = $("booking-list");
    list.replaceChildren(...rows.flatMap(([key, text]) => [h("dt", {}, t(key)), h("dd", {}, text)]));
    list.removeAttribute("aria-busy");
    $("booking-links").hidden = !active;
    $("join-item").hidden = !booking.video_url;
    if (booking.video_url) $("join").href = booking.video_url;
    $("ics").href = `/v1/bookings/${id}/invite.ics?token=${encodeURIComponent(token)}`;
    $("booking-actions").hidden = !active;
    $("book-another").hidden = active;
  }

  function failed(response) {
    const reason = response.status === 409 && REASONS[response.data.reason];
    return t(reason || (response.status === 404 ? "booking_missing" : response.status === 0 ? "err_network" : "err_generic"));
  }

  async function load() {
    status(t("loading"));
    const [found, services] = await Promise.all([api("GET", `/v1/bookings/${id}`, {token}),
      api("GET", `/v1/offices/${office}/services?lang=${data.lang}`)]);
    status("");
    if (services.ok) for (const service of services.data.services) serviceNames[service.id] = service.name;
    if (!found.ok) {
      $("h-view").textContent = t("manage_title");
      $("booking-list").removeAttribute("aria-busy");
      $("view-error").textContent = failed(found);
      return;
    }
    render(found.data.booking);
  }

  /* After a change: back to the booking, its heading focused, the outcome announced. */
  function settle(response, success) {
    showStep("view");
    if (response.ok) {
      render(response.data.booking);
      $("view-error").textContent = "";
      status(t(success));
    } else {
      $("view-error").textContent = failed(response);
    }
  }

  $("cancel").addEventListener("click", () => {
    $("cancel-when").textContent = window.CS.whenText(booking.start);
    showStep("cancel");
  });

  $("cancel-yes").addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    const button = $("cancel-yes");
    button.setAttribute("aria-disabled", "true");
    button.textContent = t("cancelling");
    const response = await api("POST", `/v1/bookings/${id}/cancel`, {token});
    busy = false;
    button.removeAttribute("aria-disabled");
    button.textContent = t("cancel_yes");
    settle(response, "cancelled_msg");
  });

  async function loadSlots(first, last) {
    const cacheKey = first + "|" + last;
    if (slotCache.has(cacheKey)) return slotCache.get(cacheKey);
    const path = `/v1/offices/${office}/services/${encodeURIComponent(booking.service_id)}/slots?from=${first}&to=${last}`;
    const response = await api("GET", path);
    if (!response.ok) return null;
    const byDay = new Map();
    for (const slot of response.data.slots) {
      if (slot.start === booking.start) continue;
      const day = window.CS.localDay(slot);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(slot);
    }
    slotCache.set(cacheKey, byDay);
    return byDay;
  }

  const calendar = window.CS.Calendar($("calendar"), {load: loadSlots, onPick: (day, slots) => {
    window.CS.timePicker($("time-picker"), day, slots, null);
    $("time-error").textContent = "";
    showStep("time");
  }});

  $("change").addEventListener("click", () => {
    slotCache.clear();
    showStep("date");
    calendar.open(null);
  });

  async function reschedule(slot) {
    if (busy) return;
    busy = true;
    const response = await api("POST", `/v1/bookings/${id}/reschedule`, {token, body: {start: slot.start}});
    busy = false;
    if (response.status === 409 && response.data.reason === "slot_taken") {
      slotCache.clear();
      const others = response.data.alternatives || [];
      $("taken-text").textContent = t(others.length ? "taken_text" : "taken_none");
      window.CS.alternatives($("taken-list"), others, reschedule);
      showStep("taken");
      return;
    }
    settle(response, "moved_msg");
  }

  $("time-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const slot = window.CS.chosenSlot($("time-picker"));
    if (slot) reschedule(slot);
  });

  document.addEventListener("click", (event) => {
    const back = event.target.closest("[data-go]");
    if (!back) return;
    showStep(back.dataset.go);
    if (back.dataset.go === "date") calendar.open(null);
  });

  load();
})();
