"""The fake server's fault switches for webhook delivery and encoding edges, each with the one rule that must report it."""

from __future__ import annotations

# fault switch of tests/support/fake_server.py or fake_webhooks.py → the rule that reports it.
DELIVERY = {
    "webhook-idle-timeout": "WEBHOOK-RETRY-TIMEOUT",
    "webhook-follow-redirects": "WEBHOOK-NO-REDIRECT",
    "webhook-before-commit": "WEBHOOK-AFTER-COMMIT",
    "webhook-write-waits": "WEBHOOK-WRITE-NOT-WAITING",
    "webhook-retry-in-background": "WEBHOOK-ORDER-UNDER-RETRY",
}
# Judged only with --webhooks-full.
FULL = {
    "webhook-three-tries": "WEBHOOK-TRIES",
    "webhook-backoff-jump": "WEBHOOK-BACKOFF-SCHEDULE",
}
ENCODING = {
    "json-rounded-numbers": "ENCODING-ROUNDED-NUMBER",
    "json-deep-500": "ENCODING-DEEP-NESTING",
    "http-errors-unanswered": "PROTO-BELOW-APP-STATUS",
    "http-errors-html": "PROTO-BELOW-APP-ERROR-BODY",
}
# Judged only with --restart-command: what a restart of a server that keeps it in memory loses.
RESTART = {
    "restart-loses-writes": "RESTART-KEEPS-WRITES",
    "restart-loses-events": "RESTART-KEEPS-EVENTS",
}
CAUGHT = DELIVERY | FULL | ENCODING | RESTART
