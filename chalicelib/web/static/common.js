/* Citizen scheduler, shared by the booking and the manage page: messages, dates in the office's
   zone, the JSON API, steps with focus, the month calendar, the time picker, the iframe height.
   Plain JavaScript for current browsers: no framework, no build step, no inline code (CSP). */
(function () {
  "use strict";
  const {data, $, t, h, api} = window.DOM;
  const zone = data.office.timezone;

  /* Local dates are "YYYY-MM-DD" strings, computed at noon UTC (no browser zone involved);
     instants are shown in the office's zone. */
  const formats = {};
  const format = (name, options) => formats[name] || (formats[name] = new Intl.DateTimeFormat(data.intl, options));
  const noon = (day) => { const [y, m, d] = day.split("-").map(Number); return new Date(Date.UTC(y, m - 1, d, 12)); };
  const iso = (date) => date.toISOString().slice(0, 10);
  const addDays = (day, n) => { const d = noon(day); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
  const monthOf = (day) => day.slice(0, 8) + "01";
  const addMonths = (day, n) => { const d = noon(monthOf(day)); d.setUTCMonth(d.getUTCMonth() + n); return iso(d); };
  const monthEnd = (day) => addDays(addMonths(day, 1), -1);
  const weekday = (day) => (noon(day).getUTCDay() + 6) % 7; // Monday first
  const capital = (text) => text.charAt(0).toLocaleUpperCase(data.intl) + text.slice(1);
  const longDay = (day) => format("day", {timeZone: "UTC", weekday: "long", day: "numeric", month: "long",
    year: "numeric"}).format(noon(day));
  const longDate = (instant) => format("date", {timeZone: zone, weekday: "long", day: "numeric", month: "long",
    year: "numeric"}).format(new Date(instant));
  const time = (instant) => format("time", {timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
    .format(new Date(instant));
  const whenText = (instant) => t("when", {date: longDate(instant), time: time(instant)});
  const localDay = (slot) => slot.local_start.slice(0, 10);

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function status(message) { $("status").textContent = message || ""; }

  /* One step visible at a time; its heading takes the focus so screen readers announce it. */
  function showStep(name, options) {
    for (const section of document.querySelectorAll("section.step")) section.hidden = section.id !== "step-" + name;
    status("");
    const heading = document.querySelector("#step-" + name + " h2");
    if (heading && !(options && options.focus === false)) heading.focus();
  }

  function setLanguageLinks(path) {
    for (const link of document.querySelectorAll(".languages a[hreflang]")) {
      link.href = path + (path.includes("?") ? "&" : "?") + "lang=" + link.getAttribute("hreflang");
    }
  }

  /* A month grid (WAI-ARIA APG date grid): only days with free times are enabled.
     Arrows move a day or a week, Home/End to the week's ends, Page Up/Down a month. */
  function Calendar(root, options) {
    const caption = h("h3", {id: root.id + "-caption", "aria-live": "polite"});
    const prev = h("button", {type: "button", class: "secondary", onclick: () => show(addMonths(month, -1))},
      h("span", {"aria-hidden": "true"}, "‹"), h("span", {class: "visually-hidden"}, t("prev_month")));
    const next = h("button", {type: "button", class: "secondary", onclick: () => show(addMonths(month, 1))},
      h("span", {"aria-hidden": "true"}, "›"), h("span", {class: "visually-hidden"}, t("next_month")));
    const table = h("table", {role: "grid", "aria-labelledby": caption.id, "aria-describedby": "calendar-hint"});
    const message = h("p", {class: "calendar-message", role: "status"});
    const names = [];
    for (let i = 0; i < 7; i++) {
      const day = addDays("2024-01-01", i); // a Monday
      names.push(h("th", {scope: "col"},
        h("span", {"aria-hidden": "true"}, format("short", {timeZone: "UTC", weekday: "short"}).format(noon(day))),
        h("span", {class: "visually-hidden"}, format("long", {timeZone: "UTC", weekday: "long"}).format(noon(day)))));
    }
    const head = h("thead", {}, h("tr", {}, names));
    root.replaceChildren(h("div", {class: "calendar-head"}, prev, caption, next), message, table);

    const first = monthOf(data.today);
    const last = monthOf(data.last_day);
    let month = first;
    let days = new Map();
    let selected = null;
    let request = 0;

    function activeDay(focusDay) {
      const inMonth = (day) => day && monthOf(day) === month;
      if (inMonth(focusDay)) return focusDay;
      if (inMonth(selected) && days.has(selected)) return selected;
      const free = [...days.keys()].sort().find(inMonth);
      return free || (inMonth(data.today) ? data.today : month);
    }

    function draw(focusDay) {
      const hadFocus = Boolean(focusDay) || table.contains(document.activeElement);
      const active = activeDay(focusDay);
      const body = h("tbody");
      let row = h("tr", {}, Array.from({length: weekday(month)}, () => h("td")));
      for (let day = month; day <= monthEnd(month); day = addDays(day, 1)) {
        if (row.children.length === 7) { body.append(row); row = h("tr"); }
        const free = days.has(day);
        const label = t(free ? "day_free" : "day_full", {date: longDay(day)}) + (day === data.today ? ", " + t("today") : "");
        row.append(h("td", {"aria-selected": free ? String(day === selected) : null},
          h("button", {type: "button", "data-day": day, tabindex: day === active ? "0" : "-1", "aria-label": label,
            "aria-disabled": free ? null : "true", "aria-current": day === data.today ? "date" : null,
            class: [free ? "free" : "", day === data.today ? "today" : ""].join(" ").trim() || null},
          String(Number(day.slice(8))))));
      }
      while (row.children.length < 7) row.append(h("td"));
      body.append(row);
      table.replaceChildren(head, body);
      if (hadFocus) table.querySelector('[tabindex="0"]').focus();
    }

    async function show(target, focusDay) {
      month = monthOf(target) < first ? first : monthOf(target) > last ? last : monthOf(target);
      const mine = ++request;
      caption.textContent = capital(format("month", {timeZone: "UTC", month: "long", year: "numeric"}).format(noon(month)));
      prev.disabled = month <= first;
      next.disabled = month >= last;
      days = new Map();
      table.setAttribute("aria-busy", "true");
      message.textContent = t("loading");
      draw(focusDay);
      const from = month < data.today ? data.today : month;
      const to = monthEnd(month) > data.last_day ? data.last_day : monthEnd(month);
      const found = await options.load(from, to);
      if (mine !== request) return null;
      table.removeAttribute("aria-busy");
      if (found === null) {
        message.textContent = t("err_network");
        return null;
      }
      days = found;
      draw(focusDay && monthOf(focusDay) === month ? focusDay : null);
      message.textContent = days.size ? "" : t(month >= last ? "no_days" : "no_days_month");
      return days.size;
    }

    table.addEventListener("keydown", (event) => {
      const button = event.target.closest("button[data-day]");
      if (!button) return;
      const day = button.dataset.day;
      const steps = {ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7};
      let target;
      if (event.key in steps) target = addDays(day, steps[event.key]);
      else if (event.key === "Home") target = addDays(day, -weekday(day));
      else if (event.key === "End") target = addDays(day, 6 - weekday(day));
      else if (event.key === "PageUp" || event.key === "PageDown") {
        const other = addMonths(day, event.key === "PageUp" ? -1 : 1);
        target = other.slice(0, 8) + String(Math.min(Number(day.slice(8)), Number(monthEnd(other).slice(8)))).padStart(2, "0");
      } else return;
      event.preventDefault();
      if (monthOf(target) < first || monthOf(target) > last) return;
      if (monthOf(target) !== month) { show(target, target); return; }
      for (const other of table.querySelectorAll("button[data-day]")) {
        other.tabIndex = other.dataset.day === target ? 0 : -1;
        if (other.dataset.day === target) other.focus();
      }
    });

    table.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-day]");
      if (!button || button.getAttribute("aria-disabled") === "true") return;
      selected = button.dataset.day;
      for (const cell of table.querySelectorAll("td[aria-selected]")) {
        cell.setAttribute("aria-selected", String(cell.firstChild.dataset.day === selected));
      }
      options.onPick(selected, days.get(selected));
    });

    /* Open on the given day's month, or on the first month with a free day. */
    async function open(day) {
      selected = day || null;
      let target = day || data.today;
      for (let tries = 0; tries < 12; tries++) {
        const count = await show(target);
        if (count !== 0 || day || monthOf(target) >= last) return;
        target = addMonths(target, 1);
      }
    }

    return {open};
  }

  /* The free times of one day as a radio group. */
  function timePicker(root, day, slots, chosen) {
    const name = root.id + "-slot";
    const radios = slots.map((slot) => h("label", {},
      h("input", {type: "radio", name, value: slot.start, checked: slot.start === chosen}), time(slot.start)));
    const group = h("fieldset", {class: "times", "aria-describedby": root.id + "-zone"},
      h("legend", {}, t("times_legend", {date: longDay(day)})),
      h("div", {class: "time-grid"}, radios),
      h("p", {id: root.id + "-zone", class: "hint"}, t("times_in_zone", {zone})),
      h("p", {id: root.id + "-error", class: "error", hidden: true}));
    root.replaceChildren(group);
    root.slots = slots;
  }

  /* The chosen slot, or null after showing the error next to the group and focusing it. */
  function chosenSlot(root) {
    const checked = root.querySelector("input:checked");
    const error = $(root.id + "-error");
    const group = root.querySelector("fieldset");
    if (checked) {
      error.hidden = true;
      group.setAttribute("aria-describedby", root.id + "-zone");
      return root.slots.find((slot) => slot.start === checked.value);
    }
    error.textContent = t("err_time");
    error.hidden = false;
    group.setAttribute("aria-describedby", root.id + "-error " + root.id + "-zone");
    const first = root.querySelector("input");
    if (first) first.focus();
    return null;
  }

  function alternatives(list, slots, choose) {
    list.replaceChildren(...slots.map((slot) =>
      h("li", {}, h("button", {type: "button", onclick: () => choose(slot)}, whenText(slot.start)))));
  }

  /* Inside an iframe, tell the parent page our height whenever the layout changes. */
  if (window.parent !== window && window.ResizeObserver) {
    let last = 0;
    const post = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({type: "citizen-scheduler:height", height}, "*");
      }
    };
    new ResizeObserver(post).observe(document.documentElement);
    post();
  }

  window.CS = {data, t, h, $, api, uuid, status, showStep, setLanguageLinks, Calendar, timePicker, chosenSlot,
    alternatives, longDate, time, whenText, localDay, zone};
})();
