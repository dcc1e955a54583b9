#!/usr/bin/python3
"""Sample subscriber for the Hub's outbound events, in Python with pika (Debian: python3-pika).

Consumes the agency's own queue hub.subscriber.{user} on the Hub's broker, which the Hub declares and binds from the
agency's subscription: this program declares nothing. Each message is one event as plain JSON (docs/contracts.md,
section Subscribing; docs/asyncapi.yaml). Events arrive at least once: repeats are dropped by eventId, and a message
is acknowledged only after it was handled (here: printed).

    HUB_AMQP_URI='amqp://food-35:PASSWORD@hub-broker:5672/hub' /usr/bin/python3 subscriber.py [--json]

Exit status: 0 done (--count events handled, or interrupted); 1 --timeout passed with no event; 2 usage;
3 the broker could not be reached, refused the credentials or the queue, or closed the connection or the consumer.
"""

import argparse
import collections
import json
import os
import re
import sys
import urllib.parse

import pika
import pika.exceptions

QUEUE_PREFIX = "hub.subscriber."

# The contract URN (AMQP property `type`) of each event, and the word its `hub-event` header and routing key use.
KINDS = {
    "urn:message:hub:subject-listed:v1": "listed",
    "urn:message:hub:subject-delisted:v1": "delisted",
    "urn:message:hub:subject-disputed:v1": "disputed",
    "urn:message:hub:subject-dispute-resolved:v1": "dispute-resolved",
    "urn:message:hub:relocation-suspected:v1": "relocation-suspected",
    "urn:message:hub:subjects-merged:v1": "merged",
    "urn:message:hub:subject-split:v1": "split",
    "urn:message:hub:record-rejected:v1": "rejected",
}

# What the one-line form shows, per kind (fields an event lacks are left out; --json prints everything).
FIELDS = {
    "listed": ["hubSubjectId", "subjectKind", "identifier", "listingId", "listType", "legalBasis", "originAgency",
               "originProvince", "validFrom", "validUntil", "imputedFromListingId", "imputedRole"],
    "delisted": ["hubSubjectId", "listingId", "listType", "originAgency", "status", "reason", "effectiveDate"],
    "disputed": ["hubSubjectId", "listingId", "listType", "originAgency", "disputeId", "disputeKind", "filedOn",
                 "reviewDeadline"],
    "dispute-resolved": ["hubSubjectId", "listingId", "listType", "originAgency", "disputeId", "outcome", "decidedOn"],
    "rejected": ["agencyCode", "sourceRecordId", "revision", "recordKind", "reasonCode", "quarantineId", "reason"],
    # the organisation just registered, its legal representative, and the listing that ties them to it
    "relocation-suspected": ["hubSubjectId", "province", "registeredBy", "registeredOn", "personHubSubjectId",
                             "relation", "listedHubSubjectId", "listingId", "listType", "legalBasis", "originAgency",
                             "originProvince", "crossProvince", "matchScore", "organizationName"],
    # identity events, about hub ids only: re-key what is held under the merged id, or back again
    "merged": ["survivingHubSubjectId", "mergedHubSubjectId", "reason", "listingIds"],
    "split": ["fromHubSubjectId", "restoredHubSubjectId", "listingIds"],
}
FIELDS["expired"] = FIELDS["delisted"]

# A whole 18-character resident ID number. The Hub sends persons' numbers masked (digits 11-14 as ****); should one
# ever arrive whole, it is masked the same way before it is printed.
WHOLE_ID_NUMBER = re.compile(r"^(\d{10})\d{4}(\d{3}[\dXx])$")


class SeenEvents:
    """The eventIds handled lately, oldest forgotten first: enough to drop the repeats of a redelivery, which come
    soon after. It lives in memory only; a subscriber that must not apply an event twice across restarts keeps
    the eventIds it handled with its own data, in the same transaction."""

    def __init__(self, capacity):
        self._ids = collections.OrderedDict()
        self._capacity = capacity

    def __contains__(self, event_id):
        return event_id in self._ids

    def add(self, event_id):
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


def log(message):
    print("subscriber: " + message, file=sys.stderr, flush=True)


def redacted(uri):
    """The URI without its password, for messages."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def header(properties, name):
    value = (properties.headers or {}).get(name)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def kind_of(properties, routing_key):
    """The event's kind word: the `hub-event` header, else from the contract URN, else the routing key."""
    return header(properties, "hub-event") or KINDS.get(properties.type) or routing_key.split(".", 1)[0] or "event"


def parse(body):
    """The event as a dict, or raises ValueError saying why it is not one."""
    try:
        event = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    if not isinstance(event, dict):
        raise ValueError(f"a JSON {type(event).__name__}, not an object")
    if not isinstance(event.get("eventId"), str) or not event["eventId"]:
        raise ValueError("no eventId")
    return event


def masked(event):
    identifier = event.get("identifier")
    if event.get("subjectKind") == "Person" and isinstance(identifier, str) and WHOLE_ID_NUMBER.match(identifier):
        return dict(event, identifier=WHOLE_ID_NUMBER.sub(r"\1****\2", identifier))
    return event


def show(value):
    """A field's value as the one-line form writes it: JSON's true/false, a list comma-separated (none: -)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def line(kind, event):
    shown = [f"{name}={show(event[name])}" for name in FIELDS.get(kind, []) if event.get(name) is not None]
    return " ".join([kind, "eventId=" + event["eventId"], *shown])


def consume(channel, queue, args):
    """Handles events until --count are done (0), --timeout passes without one (1) or the broker ends the
    consumer (3)."""
    seen = SeenEvents(args.remember)
    handled = 0
    for method, properties, body in channel.consume(queue, inactivity_timeout=args.timeout):
        if method is None:
            log(f"nothing arrived on {queue} for {args.timeout:g} s; {handled} event(s) handled")
            return 1
        try:
            event = parse(body)
        except ValueError as why:
            # Requeued, it would come back at once, forever. Rejected without requeue, the broker drops it or, when
            # the operator gave the queue a dead-letter exchange, moves it there.
            log(f"REJECTED unreadable message: {why}; message_id={properties.message_id} type={properties.type} "
                f"routing_key={method.routing_key} content_type={properties.content_type} {len(body)} bytes")
            channel.basic_reject(method.delivery_tag, requeue=False)
            continue
        if event["eventId"] in seen:
            log(f"dropped a repeat of event {event['eventId']} (redelivered={method.redelivered})")
            channel.basic_ack(method.delivery_tag)
            continue

        event = masked(event)
        kind = kind_of(properties, method.routing_key)
        # Handle the event here; the broker keeps it until the ack below, and delivers it again when this process
        # ends before that.
        if args.json:
            print(json.dumps(event, ensure_ascii=False, separators=(",", ":")), flush=True)
        else:
            print(line(kind, event), flush=True)
        seen.add(event["eventId"])
        channel.basic_ack(method.delivery_tag)

        handled += 1
        if args.count and handled >= args.count:
            return 0
    log(f"the broker cancelled the consumer of {queue} (queue deleted?); {handled} event(s) handled")
    return 3


def arguments(argv):
    parser = argparse.ArgumentParser(
        description="Consume the Hub's outbound events from this agency's queue hub.subscriber.{user}.")
    parser.add_argument("uri", nargs="?", default=os.environ.get("HUB_AMQP_URI"),
                        help="amqp:// or amqps:// URI with the agency's broker user and the Hub's vhost "
                             "(default: $HUB_AMQP_URI; prefer it: arguments are visible to other users)")
    parser.add_argument("--queue", default=os.environ.get("HUB_QUEUE"),
                        help="queue to consume (default: $HUB_QUEUE, else hub.subscriber.{the URI's user})")
    parser.add_argument("--count", type=int, default=0, metavar="N", help="exit after N events (default: run on)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="exit with status 1 when S seconds pass without a message")
    parser.add_argument("--json", action="store_true", help="print each event as one line of JSON")
    parser.add_argument("--remember", type=int, default=100_000, metavar="N",
                        help="how many recent eventIds to remember for dropping repeats (default: 100000)")
    args = parser.parse_args(argv)
    if not args.uri:
        parser.error("no broker URI: pass one or set HUB_AMQP_URI")
    if not args.queue:
        user = urllib.parse.urlsplit(args.uri).username
        if not user:
            parser.error("the URI names no user: pass --queue")
        args.queue = QUEUE_PREFIX + urllib.parse.unquote(user)
    if args.count < 0 or (args.timeout is not None and args.timeout <= 0) or args.remember < 1:
        parser.error("--count must be >= 0, --timeout and --remember > 0")
    return args


def main(argv=None):
    args = arguments(argv)
    # JSON lines are UTF-8 whatever the locale; the one-line form never fails on a character the terminal lacks (an
    # exception there would leave the event unacknowledged, to be delivered again and fail again)
    sys.stdout.reconfigure(**({"encoding": "utf-8"} if args.json else {"errors": "replace"}))
    try:
        connection = pika.BlockingConnection(pika.URLParameters(args.uri))
    except pika.exceptions.ProbableAuthenticationError:
        log(f"the broker refused the user or password of {redacted(args.uri)}")
        return 3
    except pika.exceptions.ProbableAccessDeniedError:
        log(f"the broker refused access to the virtual host of {redacted(args.uri)}")
        return 3
    except pika.exceptions.AMQPConnectionError as e:
        log(f"cannot connect to {redacted(args.uri)}: {e!r}")
        return 3
    try:
        channel = connection.channel()
        # at most this many unacknowledged events at a time; the rest wait in the queue
        channel.basic_qos(prefetch_count=min(args.count, 100) if args.count else 100)
        log(f"consuming {args.queue} at {redacted(args.uri)}")
        status = consume(channel, args.queue, args)
    except pika.exceptions.ChannelClosedByBroker as e:
        # 404: the queue does not exist (no subscription yet); 403: this user may not read it
        log(f"the broker closed the channel on {args.queue}: {e.reply_code} {e.reply_text}")
        return 3
    except pika.exceptions.AMQPConnectionError as e:
        log(f"lost the connection: {e!r}; unacknowledged events will be delivered again")
        return 3
    except KeyboardInterrupt:
        status = 0
    if connection.is_open:
        connection.close()  # unacknowledged events go back to the queue for the next run
    return status


if __name__ == "__main__":
    sys.exit(main())
