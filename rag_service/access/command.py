"""``rag-service collections``, ``rag-service keys`` and ``rag-service audit``: the admin's commands.

They act on the access database and the collection folders directly, as whoever may run them on this
machine (the files are theirs): in the audit trail their changes are the key ``cli``, labelled with the
operating-system user. A new key is printed once, on stdout alone, so that ``KEY=$(rag-service keys
create ...)`` captures it; what it is for goes to stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time

from rag_service.access.factory import make_authority
from rag_service.access.roles import ROLES, Caller
from rag_service.collections.pool import CollectionPool
from rag_service.config import Settings
from rag_service.errors import NotFoundError


def _cli_caller() -> Caller:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return Caller("cli", f"command line ({user})", "admin", None)


def add_collection_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="every collection, with its visibility")
    p = sub.add_parser("create", help="create an empty collection (private unless --public)")
    p.add_argument("name")
    p.add_argument("--public", action="store_true", help="anyone may read it, with no key")
    p = sub.add_parser("set", help="make a collection public or private")
    p.add_argument("name")
    p.add_argument("visibility", choices=("public", "private"))
    p = sub.add_parser("delete", help="delete a collection with its documents, index and keys")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="required: the documents are deleted for good")


def run_collections(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.collections.manage import create_collection, delete_collection

    authority = make_authority(settings)
    caller = _cli_caller()
    if args.action == "list":
        for info in authority.registry.list():
            print(f"{info.name}\t{info.visibility}")
        return 0
    if args.action == "create":
        visibility = "public" if args.public else "private"
        info = create_collection(authority, settings, args.name, visibility)
        authority.audit.record(caller, info.name, "create collection")
        print(
            f"created {info.visibility} collection {info.name}: add documents with `rag-service ingest "
            f"--collection {info.name}` or POST /api/documents?collection={info.name}"
        )
        return 0
    if authority.registry.get(args.name) is None:
        raise NotFoundError(f"no collection named {args.name!r}: `rag-service collections list` lists them")
    if args.action == "set":
        authority.registry.set_visibility(args.name, args.visibility)
        authority.audit.record(caller, args.name, f"make {args.visibility}")
        print(f"{args.name} is now {args.visibility}")
        return 0
    if not args.yes:
        print(f"error: deleting {args.name} deletes its documents for good: add --yes", file=sys.stderr)
        return 1
    delete_collection(authority, CollectionPool(settings), settings, args.name)
    authority.audit.record(caller, args.name, "delete collection")
    print(f"deleted collection {args.name}")
    return 0


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("create", help="create a key and print it (once: it is stored only as a hash)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--label", required=True, help="who or what holds it")
    p.add_argument("--collection", default=None, help="the one collection it is for (default: all)")
    p.add_argument("--expires-days", type=float, default=None, help="days until it expires (default never)")
    sub.add_parser("list", help="every key: id, label, role, collection, state (never the key)")
    p = sub.add_parser("revoke", help="revoke a key by its id")
    p.add_argument("id")


def run_keys(args: argparse.Namespace, settings: Settings) -> int:
    authority = make_authority(settings)
    if args.action == "list":
        now = time.time()
        for key in authority.keys.list():
            expired = key.expires_at is not None and key.expires_at <= now
            state = "revoked" if key.revoked_at else "expired" if expired else "active"
            print(f"{key.id}\t{key.role}\t{key.collection or '*'}\t{state}\t{key.label}")
        return 0
    if args.action == "revoke":
        record = authority.keys.get(args.id)
        if record is None:
            raise NotFoundError(f"no key with id {args.id!r}: `rag-service keys list` lists them")
        authority.keys.revoke(args.id)
        authority.audit.record(_cli_caller(), record.collection, f"revoke key {args.id}")
        print(f"revoked key {args.id} ({record.label})")
        return 0
    if args.collection is not None and authority.registry.get(args.collection) is None:
        raise NotFoundError(f"no collection named {args.collection!r}: `rag-service collections list`")
    expires = None if args.expires_days is None else time.time() + args.expires_days * 86400
    made, token = authority.keys.create(args.label, args.role, args.collection, expires)
    authority.audit.record(_cli_caller(), args.collection, f"create {args.role} key {made.id}")
    print(
        f"key {made.id}: {made.role} of {made.collection or 'every collection'}; shown once", file=sys.stderr
    )
    print(token)
    return 0


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=50, help="newest entries to show (default 50)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    for entry in make_authority(settings).audit.entries(limit=args.limit):
        if args.json:
            print(json.dumps(entry, ensure_ascii=False))
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry["at"]))
        print(f"{when}\t{entry['label']} ({entry['key_id']})\t{entry['collection'] or '*'}\t"
              f"{entry['action']}\t{entry['document'] or ''}")  # fmt: skip
    return 0
