/* Shared by every page, loaded first: the page's data (its JSON block), its messages, and DOM nodes built
   without HTML strings. Plain JavaScript, no inline code (CSP). */
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

  window.DOM = {data, $, t, h};
})();
