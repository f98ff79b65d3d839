// Compile MDX pages with @mdx-js/mdx and render them to HTML with React, with minimal stand-ins
// for the Protocol template's components. Usage: node render.mjs PAGE.mdx...; prints
// {"PAGE.mdx": {"html": ..., "metadata": ...}} as JSON. Fails (exit 1) on any compile error.
import { readFile } from "node:fs/promises";
import { evaluate } from "@mdx-js/mdx";
import * as runtime from "react/jsx-runtime";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";

// The template reads `{{ tag: 'GET', label: '/v1/x' }}` after a heading, `{{ className: 'lead' }}`
// after a paragraph and `{{ title: 'cURL' }}` in a code fence's meta as properties of that
// element (its own remark plugin does the same); here they become data-* attributes.
function annotations() {
  const literal = (text) => Function(`"use strict"; return (${text});`)();
  const attributes = (object) =>
    Object.fromEntries(Object.entries(object).map(([k, v]) => [k === "className" ? "className" : `data-${k}`, String(v)]));
  const walk = (node) => {
    if ((node.type === "heading" || node.type === "paragraph") && node.children?.length) {
      const last = node.children[node.children.length - 1];
      if (last.type === "mdxTextExpression" && /^\{[\s\S]*\}$/.test(last.value.trim())) {
        node.children.pop();
        const before = node.children[node.children.length - 1];
        if (before?.type === "text") before.value = before.value.replace(/\s+$/, "");
        node.data = { ...node.data, hProperties: attributes(literal(last.value)) };
      }
    }
    if (node.type === "code" && node.meta && /^\{\{[\s\S]*\}\}$/.test(node.meta.trim())) {
      node.data = { ...node.data, hProperties: attributes(literal(node.meta.trim().slice(1, -1))) };
    }
    (node.children || []).forEach(walk);
  };
  return (tree) => walk(tree);
}

const components = {
  Properties: ({ children }) => h("ul", { className: "properties" }, children),
  Property: ({ name, type, children }) =>
    h("li", { className: "property", "data-name": name, "data-type": type }, children),
  Row: ({ children }) => h("div", { className: "row" }, children),
  Col: ({ children, sticky }) => h("div", { className: "col", "data-sticky": sticky ? "" : undefined }, children),
  CodeGroup: ({ children, title, tag, label }) =>
    h("div", { className: "codegroup", "data-title": title, "data-tag": tag, "data-label": label }, children),
  Note: ({ children }) => h("aside", { className: "note" }, children),
  Button: ({ children, href }) => h("a", { className: "button", href }, children),
  Tag: ({ children }) => h("span", { className: "tag" }, children),
};

const out = {};
for (const file of process.argv.slice(2)) {
  const source = await readFile(file, "utf8");
  const mod = await evaluate({ value: source, path: file }, { ...runtime, remarkPlugins: [annotations] });
  out[file] = {
    html: renderToStaticMarkup(h(mod.default, { components })),
    metadata: mod.metadata ?? null,
  };
}
process.stdout.write(JSON.stringify(out));
