"""Stopping a run: Ctrl-C or SIGTERM ends it cleanly, a second one at once, saying what is left."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from protocol_kit.conformance.verdicts import Blocked

# The exit status of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """The run was asked to stop. A BaseException: the checks' own ``except Exception`` must
    not swallow it."""


class RunControl:
    """What one run's threads share so that it can stop: the stop flag, the requests still in
    flight, the conversations created and not deleted yet, and the creates sent whose answers
    were not read (each may have stored one): what a stopped run may leave behind."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._main_in_flight = 0  # the main thread's: a signal then waits for its answer
        self._left: list[Callable[[], list[str]]] = []
        self._creates: dict[int, str] = {}  # sent, answer not read yet: the request, described
        self._numbers = itertools.count()

    @contextmanager
    def request(self) -> Iterator[None]:
        """One request to the server under test: clean-up waits for those under way, and a
        signal does not stop the main thread inside one (what its answer says is noted first)."""
        main = threading.current_thread() is threading.main_thread()
        with self._idle:
            # The main thread's count first: from here on a signal lets the request finish, so
            # the count of all requests cannot be left raised by one that never began.
            self._main_in_flight += main
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._main_in_flight -= main
                self._idle.notify_all()

    def create_sent(self, request: str) -> int:
        """A create goes out (call inside ``request``): until ``create_answered``, it may have
        stored a conversation nobody knows the id of."""
        number = next(self._numbers)
        self._creates[number] = request
        return number

    def create_answered(self, number: int) -> None:
        """The create's answer was read, and what it created noted with ``track``'s ids."""
        self._creates.pop(number, None)

    @property
    def main_thread_waits_for_an_answer(self) -> bool:
        return self._main_in_flight > 0

    def check(self) -> None:
        """Stop here if the run is stopping: ``Interrupted`` in the main thread, ``Blocked`` (the
        check function ends, its rules unjudged) in the others."""
        if not self.stopping.is_set():
            return
        if threading.current_thread() is threading.main_thread():
            raise Interrupted
        raise Blocked("the run was interrupted")

    def wait_idle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the requests under way to be answered."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def track(self, left: Callable[[], list[str]]) -> None:
        """Register where to find ids created and not deleted yet."""
        self._left.append(left)

    def left_behind(self) -> list[str]:
        return list(dict.fromkeys(i for left in self._left for i in left()))

    def creates_unanswered(self) -> list[str]:
        """The creates sent whose answers were not read (under way, or lost): described."""
        return list(self._creates.values())

    def what_may_be_left(self) -> str:
        """For a reader: the conversations the run created that may still exist, by id, and
        the creates that may have stored one; "" when there are none."""
        left, unanswered = self.left_behind(), self.creates_unanswered()
        parts = []
        if left:
            these = "this conversation" if len(left) == 1 else f"these {len(left)} conversations"
            parts.append(f"{these} the run created may be left behind: " + ", ".join(left))
        if unanswered:
            parts.append(
                (
                    "a create was sent and may have stored a conversation (its answer was not "
                    "read): "
                    if len(unanswered) == 1
                    else f"{len(unanswered)} creates were sent and each may have stored a "
                    "conversation (their answers were not read): "
                )
                + "; ".join(unanswered)
            )
        return "; ".join(parts)


@contextmanager
def stop_on_signals(control: RunControl, stream: TextIO | None = None) -> Iterator[None]:
    """The first SIGINT/SIGTERM stops the run (raising ``Interrupted`` in the main thread and
    setting the stop flag for the others); the next one exits at once, listing what may be left
    behind. Outside the main thread (embedding), signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    err = stream or sys.stderr

    def again(signum: int, frame: FrameType | None) -> None:
        what = (
            control.what_may_be_left()
            or "no conversation the run created is known to be left behind"
        )
        print(
            f"\nprotocol-kit verify: stopped at once, without cleaning up; {what}",
            file=err,
            flush=True,
        )
        os._exit(EXIT_INTERRUPTED)

    def first(signum: int, frame: FrameType | None) -> None:
        for each in _SIGNALS:
            signal.signal(each, again)
        control.stopping.set()
        print(
            f"\nprotocol-kit verify: {_NAMES.get(signal.Signals(signum), 'signal')} — stopping: "
            "deleting what the run created and writing the reports (press Ctrl-C again to quit "
            "at once)",
            file=err,
            flush=True,
        )
        if not control.main_thread_waits_for_an_answer:
            raise Interrupted
        # A request is under way: its answer may name what it created, to be deleted. The run
        # stops at its next request or verdict (RunControl.check).

    previous = {each: signal.signal(each, first) for each in _SIGNALS}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
