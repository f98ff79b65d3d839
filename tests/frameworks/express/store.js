// The conversations domain: an in-memory store, the attribute rules of creates and updates, and
// the pages of the list.
import { randomInt } from "node:crypto";

export const MAX_TIMESTAMP = 2 ** 53 - 1;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
const ID = /^[A-Za-z0-9]{16}$/;
const DECIMAL = /^\+?[0-9]+$/;
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPDATABLE = ["pinned_message_id", "is_pinned", "is_muted", "archived_at"];
const TARGETS = ["contact_id", "group_id"];
// Spellings of booleans in query strings and forms, beyond true and false.
const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);
export const FILTERS = {
  muted: (row) => row.is_muted,
  pinned: (row) => row.is_pinned,
  archived: (row) => row.archived_at !== null,
};

// A request the contract refuses with 400; the message names what is at fault.
export class Invalid extends Error {}

export const newId = () =>
  Array.from({ length: 16 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join("");
export const isId = (value) => typeof value === "string" && ID.test(value);

export function boolean(text, name) {
  if (typeof text === "string" && TRUE.has(text.toLowerCase())) return true;
  if (typeof text === "string" && FALSE.has(text.toLowerCase())) return false;
  throw new Invalid(`\`${name}\` must be true or false.`);
}

export function integer(text, name, low, high) {
  if (typeof text !== "string" || !DECIMAL.test(text)) {
    throw new Invalid(`\`${name}\` must be a decimal integer.`);
  }
  const value = Number(text);
  if (!(value >= low && value <= high)) {
    throw new Invalid(`\`${name}\` must be between ${low} and ${high}.`);
  }
  return value;
}

export function createAttributes(data, form) {
  const unknown = Object.keys(data).filter((name) => !TARGETS.includes(name));
  if (unknown.length) throw new Invalid(`Unknown attribute \`${unknown[0]}\`.`);
  const given = {};
  for (const name of TARGETS) {
    let value = data[name];
    if (form && (value === "" || value === "null")) value = null;
    if (value === undefined || value === null) continue;
    if (!isId(value)) throw new Invalid(`\`${name}\` must be 16 letters and digits.`);
    given[name] = value;
  }
  if (Object.keys(given).length !== 1) {
    throw new Invalid("Give exactly one of `contact_id` and `group_id`.");
  }
  return given;
}

export function updateAttributes(data, form) {
  const changes = {};
  for (const [name, value] of Object.entries(data)) {
    if (!UPDATABLE.includes(name)) throw new Invalid(`\`${name}\` cannot be updated.`);
    changes[name] = form ? formValue(name, value) : jsonValue(name, value);
  }
  return changes;
}

function jsonValue(name, value) {
  if (name === "is_pinned" || name === "is_muted") {
    if (typeof value !== "boolean") throw new Invalid(`\`${name}\` must be a boolean.`);
    return value;
  }
  if (value === null) return null;
  if (name === "pinned_message_id") {
    if (!isId(value)) throw new Invalid(`\`${name}\` must be 16 letters and digits or null.`);
    return value;
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_TIMESTAMP) {
    throw new Invalid(`\`${name}\` must be an integer timestamp from 0 to ${MAX_TIMESTAMP} or null.`);
  }
  return value;
}

function formValue(name, value) {
  if (typeof value !== "string") throw new Invalid(`\`${name}\` is given more than once.`);
  if (name === "is_pinned" || name === "is_muted") return boolean(value, name);
  if (value === "" || value === "null") return null;
  if (name === "pinned_message_id") {
    if (!isId(value)) throw new Invalid(`\`${name}\` must be 16 letters and digits or null.`);
    return value;
  }
  return integer(value, name, 0, MAX_TIMESTAMP);
}

// Each account's conversations in creation order; every change reported to onEvent.
export class Store {
  constructor(onEvent) {
    this.rows = new Map();
    this.onEvent = onEvent;
  }

  create(account, targets) {
    const row = {
      id: newId(),
      contact_id: targets.contact_id ?? null,
      group_id: targets.group_id ?? null,
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: Math.floor(Date.now() / 1000),
      archived_at: null,
    };
    if (!this.rows.has(account)) this.rows.set(account, []);
    this.rows.get(account).push(row);
    this.onEvent(account, "conversation.created", { ...row });
    return { ...row };
  }

  get(account, id) {
    const row = this.find(account, id);
    return row ? { ...row } : null;
  }

  update(account, id, changes) {
    const row = this.find(account, id);
    if (!row) return null;
    const changed = Object.entries(changes).some(([name, value]) => row[name] !== value);
    Object.assign(row, changes);
    if (changed) this.onEvent(account, "conversation.updated", { ...row });
    return { ...row };
  }

  delete(account, id) {
    const row = this.find(account, id);
    if (!row) return null;
    const rows = this.rows.get(account);
    rows.splice(rows.indexOf(row), 1);
    this.onEvent(account, "conversation.deleted", { ...row });
    return { ...row };
  }

  page(account, { limit, filters, group, after, before }) {
    if (after !== undefined && before !== undefined) {
      throw new Invalid("Give `starting_after` or `ending_before`, not both.");
    }
    const newestFirst = [...(this.rows.get(account) ?? [])].reverse();
    const ids = newestFirst.map((row) => row.id);
    const cursor = after ?? before;
    if (cursor !== undefined && !ids.includes(cursor)) {
      const name = after !== undefined ? "starting_after" : "ending_before";
      throw new Invalid(`\`${name}\` is not one of your conversations.`);
    }
    let candidates = newestFirst;
    if (after !== undefined) candidates = newestFirst.slice(ids.indexOf(after) + 1);
    if (before !== undefined) candidates = newestFirst.slice(0, ids.indexOf(before)).reverse();
    const matching = candidates.filter(
      (row) =>
        (group === undefined || row.group_id === group) &&
        Object.entries(filters).every(([name, value]) => FILTERS[name](row) === value),
    );
    const data = matching.slice(0, limit).map((row) => ({ ...row }));
    if (before !== undefined) data.reverse();
    return { has_more: matching.length > limit, data };
  }

  find(account, id) {
    return (this.rows.get(account) ?? []).find((row) => row.id === id) ?? null;
  }
}
