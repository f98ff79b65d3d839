// Webhook delivery: signed events, each conversation's in order, each retried until a complete
// 2xx answer arrives within 5 seconds.
import { createHmac } from "node:crypto";
import { newId } from "./store.js";

const ANSWER_MS = 5000;
const FIRST_GAP_MS = 1000;
const MAX_GAP_MS = 60000;
const TRIES = 10;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Deliverer {
  constructor(url, secret) {
    this.url = url;
    this.secret = secret;
    this.chains = new Map(); // conversation id -> the promise of its last event's delivery
  }

  emit(type, conversation) {
    const body = JSON.stringify({ id: newId(), type, payload: conversation });
    const previous = this.chains.get(conversation.id) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(body));
    this.chains.set(conversation.id, next);
    next.then(() => {
      if (this.chains.get(conversation.id) === next) this.chains.delete(conversation.id);
    });
  }

  async deliver(body) {
    let gap = FIRST_GAP_MS;
    for (let attempt = 0; attempt < TRIES; attempt += 1) {
      if (await this.try(body)) return;
      await sleep(gap); // measured from the end of the failed try
      gap = Math.min(2 * gap, MAX_GAP_MS);
    }
  }

  async try(body) {
    const signature = createHmac("sha256", this.secret).update(body).digest("hex");
    try {
      // One signal for the whole answer: status, headers and body within the deadline.
      const signal = AbortSignal.timeout(ANSWER_MS);
      const answer = await fetch(this.url, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/json", "x-protocol-signature": signature },
        // fetch follows redirects by default; the contract counts a 3xx as a failed try.
        redirect: "manual",
        signal,
      });
      await answer.arrayBuffer();
      return answer.ok;
    } catch {
      return false;
    }
  }
}
