// The contract in Express, with its defaults wherever the contract allows them: its router (HEAD
// answered as GET, a trailing slash served as the path), its JSON and form body parsers in front
// of everything, and auth as middleware.
//
//   node server.js --port P --token A --token B [--webhook URL --webhook-secret S] [--deviation NAME]
import { timingSafeEqual } from "node:crypto";
import { parseArgs } from "node:util";
import express from "express";
import { Deliverer } from "./deliveries.js";
import {
  DEFAULT_LIMIT,
  FILTERS,
  Invalid,
  MAX_LIMIT,
  Store,
  boolean,
  createAttributes,
  integer,
  isId,
  updateAttributes,
} from "./store.js";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    token: { type: "string", multiple: true },
    webhook: { type: "string" },
    "webhook-secret": { type: "string", default: "" },
    deviation: { type: "string", multiple: true, default: [] },
  },
});
const planted = new Set(args.deviation);
const tokens = new Map(args.token.map((token, n) => [token, `account-${n}`]));
const deliverer = args.webhook ? new Deliverer(args.webhook, args["webhook-secret"]) : null;
// Only the first account has a webhook endpoint.
const store = new Store((account, type, conversation) => {
  if (deliverer && account === "account-0") deliverer.emit(type, conversation);
});
const MAX_BODY = "1mb"; // 1 MiB: express.json() would stop at 100 kB
const COLLECTION = "/v1/conversations";
const ITEM = "/v1/conversations/:id";

class ApiError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function errorBody(status, message) {
  const type = status >= 500 ? "api_error" : "invalid_request";
  return { type, message, documentation_url: `https://protocol.chat/docs/errors/${type}` };
}

function authenticate(req, res, next) {
  const [scheme, ...rest] = (req.get("authorization") ?? "").split(" ");
  const token = rest.join(" ");
  const challenge = 'Bearer realm="protocol"';
  if (scheme.toLowerCase() !== "bearer" || !token || token.includes(" ")) {
    return next(new ApiError(401, "Send `Authorization: Bearer <token>`.", { "WWW-Authenticate": challenge }));
  }
  for (const [known, account] of tokens) {
    const a = Buffer.from(known);
    const b = Buffer.from(token);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      req.account = account;
      return next();
    }
  }
  const refused = `${challenge}, error="invalid_token"`;
  return next(new ApiError(401, "The bearer token is not valid.", { "WWW-Authenticate": refused }));
}

// What the body parsers made of the body: attributes, and whether they came as a form.
function attributes(req, emptyIsNothing) {
  if (req.body === undefined) {
    const chunked = req.get("transfer-encoding") !== undefined;
    if (!chunked && (req.get("content-length") ?? "0") === "0") {
      if (emptyIsNothing) return [{}, false];
      throw new Invalid("The body must be a JSON object.");
    }
    throw new ApiError(415, "Send the body as application/json or application/x-www-form-urlencoded.");
  }
  const form = req.is("application/x-www-form-urlencoded") !== false;
  if (!form && (typeof req.body !== "object" || req.body === null || Array.isArray(req.body))) {
    throw new Invalid("The body must be a JSON object.");
  }
  return [req.body, form];
}

function found(conversation, id) {
  if (!conversation) throw new ApiError(404, `No conversation with id \`${id}\`.`);
  return conversation;
}

function anId(query, name) {
  const value = query[name];
  if (value !== undefined && !isId(value)) throw new Invalid(`\`${name}\` must be 16 letters and digits.`);
  return value;
}

function notAllowed(methods) {
  return (req, res, next) =>
    next(new ApiError(405, `${req.method} is not allowed on ${req.path}.`, { Allow: methods }));
}

const app = express();
app.disable("x-powered-by");
// JSON.parse rounds a number to the nearest double: 1700000000.0000001 would read as an
// integer. The raw text is kept so that such a number is refused as written.
const ROUNDED = /[:[,]\s*-?\d+\.(\d+)(?![\deE])/g;
app.use(
  express.json({
    limit: planted.has("default-body-limit") ? undefined : MAX_BODY,
    verify: (req, res, buf) => {
      for (const match of buf.toString("utf8").matchAll(ROUNDED)) {
        if (/[1-9]/.test(match[1]) && Number.isInteger(Number(match[0].replace(/^[:[,]\s*/, "")))) {
          throw new ApiError(400, `${match[0].replace(/^[:[,]\s*/, "")} is not an integer.`);
        }
      }
    },
  }),
);
app.use(
  express.urlencoded({
    extended: false,
    limit: MAX_BODY,
    // body-parser refuses more than 1000 fields with 413; the contract keeps 413 for size.
    parameterLimit: planted.has("default-parameter-limit") ? undefined : 1_000_000,
  }),
);
app.use(authenticate);

app
  .route(COLLECTION)
  .get((req, res) => {
    const limit = integer(req.query.limit ?? String(DEFAULT_LIMIT), "limit", 1, MAX_LIMIT);
    const filters = {};
    for (const name of Object.keys(FILTERS)) {
      if (req.query[name] !== undefined) filters[name] = boolean(req.query[name], name);
    }
    const page = store.page(req.account, {
      limit,
      filters,
      group: anId(req.query, "group_id"),
      after: anId(req.query, "starting_after"),
      before: anId(req.query, "ending_before"),
    });
    res.json(page);
  })
  .post((req, res) => {
    const [data, form] = attributes(req, false);
    res.status(201).json(store.create(req.account, createAttributes(data, form)));
  })
  .all(notAllowed("GET, POST"));

app
  .route(ITEM)
  .get((req, res) => {
    res.json(found(store.get(req.account, req.params.id), req.params.id));
  })
  .put((req, res) => {
    found(store.get(req.account, req.params.id), req.params.id);
    const [data, form] = attributes(req, true);
    const changes = updateAttributes(data, form);
    res.json(found(store.update(req.account, req.params.id, changes), req.params.id));
  })
  .delete((req, res) => {
    found(store.delete(req.account, req.params.id), req.params.id);
    res.status(204).end();
  })
  .all(notAllowed("GET, PUT, DELETE"));

if (!planted.has("default-404")) {
  app.use((req, res, next) => next(new ApiError(404, `No route for ${req.method} ${req.path}.`)));
}

if (!planted.has("default-error-handler")) {
  // Every refusal in the contract's error body: ours, and the body parsers' (400, 413, 415).
  app.use((err, req, res, next) => {
    const status = err instanceof Invalid ? 400 : (err.status ?? err.statusCode ?? 500);
    const message = status >= 500 ? "Something went wrong." : err.message;
    res.status(status).set(err.headers ?? {}).json(errorBody(status, message));
  });
}

app.listen(Number(args.port), "127.0.0.1");
