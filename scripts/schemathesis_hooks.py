"""schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Each hook adjusts a generated request where the document states a rule that no schema
can (docs/contract.md), or where the request would trip over data that earlier requests
of the run left behind, so that valid requests stay valid. Requests schemathesis means
to be invalid (negative data) are left alone, so that their refusals are still tested.

- Every valid `Idempotency-Key` is made unique. The generator draws keys from a small
  pool, and docs/contract.md §5 makes a key reused with another request a 422, and with
  the same request a replay of the first answer: a 201 naming a resource that a
  previous scenario may have deleted since. Neither is what the generated request is
  about (schemathesis would count the 422s as valid data refused, and report a replayed
  resource as "created but not found"); the server's own tests cover both
  (crates/server/tests/http/availability.rs).
- A valid update body that repeats the resource's `name` (or a collection's `project`)
  gets the URL's: the document says they must be equal, and a generated name never is.
- The run's own admin client is never deleted: schemathesis finds its id in the list of
  clients and would otherwise delete it, and every later request would be a 401.
- In the stateful phase (chains of requests through the document's links), so that a
  chain reaches items instead of stopping at a 409 or a 404:
  - a project or collection to create gets a name no earlier request used (the
    generator draws names from a small pool, and most are taken by then: 409);
  - a request whose path names a project or collection that this run never created
    (the first step of a chain, which no link feeds, draws it at random: 404) is sent
    to the one the run created last and has not deleted. Names a link supplies were
    created by the run, so they are kept, also once deleted (use-after-free checks).
  The other phases keep the random names, which tests the 409s and 404s.
"""

import itertools
import os
import re

import schemathesis
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.modes import GenerationMode

HEADER = "Idempotency-Key"
MAX_LEN = 255
# The document's pattern: visible ASCII, spaces and tabs inside; HTTP drops them around.
VALID_KEY = re.compile(r"^[\t ]*[!-~]([\t -~]{0,253}[!-~])?[\t ]*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MAX_NAME = 63
# The body members an update may repeat, and the path parameters they must equal.
SAME_AS_PATH = {
    ("PUT", "/v1/projects/{project}"): {"name": "project"},
    ("PUT", "/v1/projects/{project}/collections/{collection}"): {
        "name": "collection",
        "project": "project",
    },
}
PROJECTS = "/v1/projects"
PROJECT = "/v1/projects/{project}"
COLLECTIONS = "/v1/projects/{project}/collections"
COLLECTION = "/v1/projects/{project}/collections/{collection}"
ADMIN_ID = os.environ.get("DEPOT_SCHEMATHESIS_ADMIN_ID")
_serial = itertools.count()
# What the run created: every name ever (a link's names are among them), and, in the
# order created, what still exists.
_created_projects = set()
_created_collections = set()
_live_projects = []
_live_collections = []


def _unique(value, limit):
    suffix = f"-{next(_serial)}"
    return value[: limit - len(suffix)] + suffix


def _positive(case):
    return case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE


def _stateful(case):
    return case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL


def _unique_keys(case):
    key = case.headers.get(HEADER) if case.headers else None
    if isinstance(key, str) and VALID_KEY.match(key):
        case.headers[HEADER] = _unique(key.strip(" \t"), MAX_LEN)


def _names_as_in_path(case):
    members = SAME_AS_PATH.get((case.method.upper(), case.path))
    if not members or not isinstance(case.body, dict):
        return
    for member, parameter in members.items():
        value = case.body.get(member)
        in_path = (case.path_parameters or {}).get(parameter)
        if isinstance(value, str) and NAME.match(value) and isinstance(in_path, str):
            case.body[member] = in_path


def _spare_the_admin(case):
    if ADMIN_ID and case.method.upper() == "DELETE" and case.path == "/v1/clients/{client_id}":
        if (case.path_parameters or {}).get("client_id") == ADMIN_ID:
            # Another well-formed id, which names no client (404).
            case.path_parameters["client_id"] = ADMIN_ID + "-not"


def _fresh_names(case):
    creates = case.method.upper() == "POST" and case.path in (PROJECTS, COLLECTIONS)
    if creates and isinstance(case.body, dict):
        name = case.body.get("name")
        if isinstance(name, str) and NAME.match(name):
            case.body["name"] = _unique(name, MAX_NAME)


def _real_path(case):
    params = case.path_parameters
    if not params or not isinstance(params.get("project"), str):
        return
    if "collection" in params:
        pair = (params["project"], params.get("collection"))
        if pair not in _created_collections and _live_collections:
            params["project"], params["collection"] = _live_collections[-1]
    elif params["project"] not in _created_projects and _live_projects:
        params["project"] = _live_projects[-1]


@schemathesis.hook
def before_call(context, case, kwargs):
    _unique_keys(case)
    _spare_the_admin(case)
    if not _positive(case):
        return
    if _stateful(case):
        _fresh_names(case)
        _real_path(case)
    # After _real_path: it may move the request to another project or collection, and
    # the body's name must then follow the path it is sent to.
    _names_as_in_path(case)


@schemathesis.hook
def after_call(context, case, response):
    method, status = case.method.upper(), response.status_code
    if method == "POST" and status == 201 and case.path in (PROJECTS, COLLECTIONS):
        body = response.json()
        if case.path == PROJECTS:
            _created_projects.add(body["name"])
            _live_projects.append(body["name"])
        else:
            pair = (body["project"], body["name"])
            _created_collections.add(pair)
            _live_collections.append(pair)
    elif method == "DELETE" and status == 200 and case.path in (PROJECT, COLLECTION):
        project = case.path_parameters["project"]
        gone = case.path_parameters.get("collection")
        if gone is None and project in _live_projects:
            _live_projects.remove(project)
        _live_collections[:] = [
            (p, c) for p, c in _live_collections if p != project or (gone is not None and c != gone)
        ]
