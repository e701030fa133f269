/* Shared by every page, loaded first: the page's data (its JSON block), its messages, DOM nodes built
   without HTML strings, and the JSON API. Plain JavaScript, no inline code (CSP). */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const $ = (id) => document.getElementById(id);

  /* t(key, {name: value}): the page's message in its language, with {name} filled in. */
  function t(key, vars) {
    const text = data.t[key] || key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
  }

  /* h("button", {type: "button", onclick: f}, "text", child...): DOM nodes, never HTML strings. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  /* api("POST", path, {body, token, key}): the JSON API, never throwing; a network failure is status 0.
     No cookies: a page's only credential is the token it holds. */
  async function api(method, path, options) {
    const {body, token, key} = options || {};
    const headers = {Accept: "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    if (key) headers["Idempotency-Key"] = key;
    let response;
    try {
      response = await fetch(path, {method, headers, cache: "no-store", credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (error) {
      return {status: 0, ok: false, data: {}};
    }
    let payload = {};
    try { payload = await response.json(); } catch (error) { payload = {}; }
    return {status: response.status, ok: response.ok, data: payload || {}};
  }

  window.DOM = {data, $, t, h, api};
})();
