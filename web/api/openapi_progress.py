"""The OpenAPI 3.1 document of Hearth's progress API, served at
/api/hearth/v1/openapi.json: every path, parameter, body, response and
error of web/api/progress.py and web/api/progress_daily.py. The shapes are
those of web/api/progress_entities.py; tests validate real responses
against them and check that routes and document name the same paths."""

from __future__ import annotations

from typing import Any

READ_SCOPE, WRITE_SCOPE = "read:progress", "write:progress"
Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> Json:
    return {"type": [kind, "null"], **extra}


def _object(properties: Json, *, required: bool = True) -> Json:
    return {"type": "object", "properties": properties,
            **({"required": list(properties)} if required else {}),
            "additionalProperties": False}


_TIME = {"type": "string", "format": "date-time"}
_ID = {"type": "string", "pattern": "^[0-9]+$"}
_AMOUNT = _nullable("string", pattern=r"^[0-9]+(\.[0-9]+)?$")
_VISIBILITY = {"type": "string", "enum": ["private", "community", "public"]}

SCHEMAS: Json = {
    "Error": {"type": "object", "properties": {"error": {"type": "string"}},
              "required": ["error"]},
    "Empty": {"type": "object", "maxProperties": 0},
    "Savings": _object({"money": _AMOUNT, "currency": {"type": "string"}, "hours": _AMOUNT}),
    "Upcoming": _object({
        "key": {"type": "string"}, "name": {"type": "string"},
        "days": {"type": "integer", "minimum": 0}, "at": _TIME, "custom": {"type": "boolean"}}),
    "Counter": _object({
        "running": {"type": "boolean", "description": "false before the counter is set"},
        "attempt_id": _nullable("string"), "last_drink": _nullable("string",
                                                                    format="date-time"),
        "time_zone": {"type": "string", "description": "IANA zone, e.g. Europe/London"},
        "days": {"type": "integer", "minimum": 0}, "hours": {"type": "integer", "minimum": 0},
        "minutes": {"type": "integer", "minimum": 0},
        "next_milestone": {"oneOf": [_ref("Upcoming"), {"type": "null"}]},
        "visibility": _VISIBILITY, "savings": _ref("Savings")}),
    "CounterChange": _object({"message": {"type": "string",
                                          "description": "a word of encouragement"},
                              "counter": _ref("Counter")}),
    "AccountCounter": _object({"id": _ID, "days": _nullable("integer", minimum=0)}),
    "Attempt": _object({
        "id": _ID, "last_drink": _TIME, "ended_at": _nullable("string", format="date-time"),
        "time_zone": {"type": "string"}, "current": {"type": "boolean"},
        "created_at": _TIME}),
    "Stats": _object({
        "attempts": {"type": "integer", "minimum": 0},
        "longest_streak_days": {"type": "integer", "minimum": 0},
        "sober_days": {"type": "integer", "minimum": 0},
        "sober_days_this_year": {"type": "integer", "minimum": 0}}),
    "Reached": _object({
        "attempt_id": _ID, "key": {"type": "string"}, "name": {"type": "string"},
        "days": {"type": "integer", "minimum": 0}, "reached_at": _TIME,
        "shared_status_id": _nullable("string")}),
    "Milestones": _object({"reached": {"type": "array", "items": _ref("Reached")},
                           "upcoming": {"type": "array", "items": _ref("Upcoming")}}),
    "CustomMilestone": _object({"id": _ID, "days": {"type": "integer", "minimum": 1},
                                "name": {"type": "string", "maxLength": 60}}),
    "Checkin": _object({
        "id": _ID, "day": {"type": "string", "format": "date"},
        "pledged_at": _nullable("string", format="date-time"),
        "reviewed_at": _nullable("string", format="date-time"),
        "day_went": {"enum": ["good", "okay", "hard", "drank", None]},
        "cravings": _nullable("integer", minimum=0, maximum=10),
        "mood": {"enum": ["great", "good", "okay", "low", "awful", None]},
        "note": {"type": "string", "maxLength": 2000}}),
    "Settings": _object({
        "visibility": _VISIBILITY, "time_zone": {"type": "string"}, "weekly_spend": _AMOUNT,
        "currency": {"type": "string", "maxLength": 8}, "hours_per_drinking_day": _AMOUNT,
        "drinking_days_per_week": {"type": "integer", "minimum": 1, "maximum": 7},
        "savings": _ref("Savings")}),
    "Export": {"type": "object", "required": [
        "member", "exported_at", "settings", "attempts", "custom_milestones", "milestones",
        "checkins", "posts"], "properties": {
        "member": {"type": "string"}, "exported_at": {"type": "string"},
        "settings": {"type": "object"},
        **{name: {"type": "array", "items": {"type": "object"}} for name in (
            "attempts", "custom_milestones", "milestones", "checkins", "posts")}}},
    "Status": {"type": "object", "required": ["id", "content", "visibility"],
               "description": "A Mastodon Status entity (docs.joinmastodon.org/entities/"
                              "Status)"},
}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
RESPONSES: Json = {
    "Unauthorized": _json(_ref("Error"), "No token, or a token that is not valid"),
    "Forbidden": _json(_ref("Error"), "The token lacks the scope"),
    "NotFound": _json(_ref("Error"), "No such record of the member's (or a bad id)"),
    "Invalid": _json(_ref("Error"), "Bad input, with the reason; nothing was stored. "
                     "The message never repeats the value given."),
    "BadJson": _json(_ref("Error"), "The body is not valid JSON"),
}


def _op(summary: str, scope: str | None, ok: Json, *, params: list[Json] | None = None,
        body: Json | None = None, errors: tuple[str, ...] = (),
        also: tuple[str, ...] = ()) -> Json:
    responses: Json = {"200": ok}
    if scope is not None:
        responses.update(_ERRORS)
    names = {"404": "NotFound", "422": "Invalid", "400": "BadJson"}
    for code in errors:
        responses[code] = {"$ref": f"#/components/responses/{names[code]}"}
    op: Json = {"summary": summary, "responses": responses}
    if scope is not None:
        op["security"] = [{"oauth": [scope, *also]}]
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": False, "content": {
            "application/json": {"schema": body},
            "application/x-www-form-urlencoded": {"schema": body},
            "multipart/form-data": {"schema": body}}}
    return op


def _path_param(name: str, description: str, schema: Json | None = None) -> Json:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def _query(name: str, description: str, schema: Json) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _body(properties: Json, required: tuple[str, ...] = ()) -> Json:
    return {"type": "object", "properties": properties, "required": list(required)}


_S = {"type": "string"}
_DATE = {"type": "string", "description": "YYYY-MM-DD on the member's clock"}
_CLOCK = {"type": "string", "description": "HH:MM (blank: midnight)"}
_REVIEW = {"day_went": {"type": "string", "enum": ["good", "okay", "hard", "drank"]},
           "cravings": {"type": ["integer", "string"], "description": "0 to 10"},
           "mood": {"type": "string", "enum": ["great", "good", "okay", "low", "awful"]},
           "note": {"type": "string", "maxLength": 2000, "description": "private"}}
_CUSTOM = _body({"days": {"type": ["integer", "string"], "description": "1 to 36600"},
                 "name": {"type": "string", "maxLength": 60,
                          "description": "blank: \"N days\""}}, ("days",))
_ID_PARAM = _path_param("id", "The record's id", _ID)
_PAGING = [
    _query("limit", "At most this many (1-40, default 20)", {"type": "integer"}),
    _query("max_id", "Check-ins of days before this check-in's day", _ID),
    _query("since_id", "Check-ins of days after this check-in's day, newest first", _ID),
    _query("min_id", "The check-ins of the days right after this check-in's day", _ID),
]
_OK = _json(_ref("Empty"), "Done")
_GET, _PUT, _POST, _DELETE = "get", "put", "post", "delete"


def _paths() -> Json:
    r, w = READ_SCOPE, WRITE_SCOPE
    return {
        "/api/hearth/v1/openapi.json": {_GET: _op(
            "This document", None, _json({"type": "object"}, "OpenAPI 3.1"))},
        "/api/hearth/v1/counter": {
            _GET: _op("The running streak: days, hours and minutes sober, the next "
                      "milestone, who may see the count, savings", r,
                      _json(_ref("Counter"), "The counter")),
            _PUT: _op("Set the counter, or start again (the running streak ends at the new "
                      "last drink and stays in the history)", w,
                      _json(_ref("CounterChange"), "The new counter and encouragement"),
                      body=_body({"date": _DATE, "time": _CLOCK,
                                  "time_zone": {"type": "string"}, "visibility": _VISIBILITY},
                                 ("date",)), errors=("400", "422"))},
        "/api/hearth/v1/accounts/{id}/counter": {_GET: _op(
            "Whole days sober of a member of this community, when they allow the caller "
            "(public: anyone; community: members here; never the date); days is null "
            "otherwise. A token is optional.", None,
            _json(_ref("AccountCounter"), "The count, or null"),
            params=[_path_param("id", "A Mastodon account id", _ID)], errors=("404",))},
        "/api/hearth/v1/attempts": {_GET: _op(
            "Every streak, newest first", r,
            _json({"type": "array", "items": _ref("Attempt")}, "The history"))},
        "/api/hearth/v1/attempts/{id}": {
            _PUT: _op("Correct a streak's start (and end, for a past one)", w,
                      _json(_ref("Attempt"), "The corrected streak"), params=[_ID_PARAM],
                      body=_body({"start_date": _DATE, "start_time": _CLOCK,
                                  "end_date": _DATE, "end_time": _CLOCK}, ("start_date",)),
                      errors=("400", "404", "422")),
            _DELETE: _op("Delete a streak from the history", w, _OK, params=[_ID_PARAM],
                         errors=("404",))},
        "/api/hearth/v1/stats": {_GET: _op(
            "Longest streak, sober days overall and this year, number of streaks", r,
            _json(_ref("Stats"), "The figures"))},
        "/api/hearth/v1/settings": {
            _GET: _op("Counter visibility, time zone, spend and time, and what is saved", r,
                      _json(_ref("Settings"), "The settings")),
            _PUT: _op("Change the settings given (the rest stay)", w,
                      _json(_ref("Settings"), "The settings"), body=_body({
                          "visibility": _VISIBILITY, "time_zone": _S,
                          "weekly_spend": {"type": ["string", "number"]}, "currency": _S,
                          "hours_per_drinking_day": {"type": ["string", "number"]},
                          "drinking_days_per_week": {"type": ["integer", "string"]}}),
                      errors=("400", "422"))},
        "/api/hearth/v1/export": {_GET: _op(
            "Everything of the member's: settings, streaks, milestones, check-ins, posts", r,
            _json(_ref("Export"), "The export"))},
        "/api/hearth/v1/export/{table}.csv": {_GET: _op(
            "One table of the export as CSV (header row first)", r,
            {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
            params=[_path_param("table", "Which table", {
                "type": "string", "enum": ["attempts", "milestones", "checkins", "posts"]})],
            errors=("404",))},
        "/api/hearth/v1/progress": {_DELETE: _op(
            "Delete the counter, every streak, milestone and setting (posts stay)", w, _OK,
            params=[_query("checkins", "Delete the check-ins too", {"type": "boolean"})],
            errors=("400", "422"))},
        "/api/hearth/v1/checkins": {_GET: _op(
            "Check-ins, newest day first, paged with a Link header", r,
            _json({"type": "array", "items": _ref("Checkin")}, "A page"), params=_PAGING,
            errors=("422",))},
        "/api/hearth/v1/checkins/pledge": {_POST: _op(
            "Today's morning pledge", w, _json(_ref("Checkin"), "Today's check-in"))},
        "/api/hearth/v1/checkins/review": {_POST: _op(
            "The evening review of today or yesterday", w,
            _json(_ref("Checkin"), "The check-in"),
            body=_body({"day": {"type": "string", "enum": ["today", "yesterday"]}, **_REVIEW},
                       ("day_went", "cravings", "mood")), errors=("400", "422"))},
        "/api/hearth/v1/checkins/{id}": {
            _GET: _op("One check-in", r, _json(_ref("Checkin"), "The check-in"),
                      params=[_ID_PARAM], errors=("404",)),
            _PUT: _op("Rewrite a check-in's review", w, _json(_ref("Checkin"), "The check-in"),
                      params=[_ID_PARAM], body=_body(_REVIEW, ("day_went", "cravings", "mood")),
                      errors=("400", "404", "422")),
            _DELETE: _op("Delete a check-in", w, _OK, params=[_ID_PARAM], errors=("404",))},
        "/api/hearth/v1/milestones": {_GET: _op(
            "Milestones reached (every streak) and the next ones of the running streak", r,
            _json(_ref("Milestones"), "Reached and upcoming"),
            params=[_query("limit", "Upcoming ones (1-20, default 5)", {"type": "integer"})],
            errors=("422",))},
        "/api/hearth/v1/milestones/custom": {
            _GET: _op("The member's own milestones", r,
                      _json({"type": "array", "items": _ref("CustomMilestone")}, "Them")),
            _POST: _op("Add one (e.g. 100 days)", w,
                       _json(_ref("CustomMilestone"), "The milestone"), body=_CUSTOM,
                       errors=("400", "422"))},
        "/api/hearth/v1/milestones/custom/{id}": {
            _PUT: _op("Change one", w, _json(_ref("CustomMilestone"), "The milestone"),
                      params=[_ID_PARAM], body=_CUSTOM, errors=("400", "404", "422")),
            _DELETE: _op("Delete one", w, _OK, params=[_ID_PARAM], errors=("404",))},
        "/api/hearth/v1/milestones/{attempt_id}/{key}/share": {_POST: _op(
            "Share a reached milestone as a post (\"90 days today\", then line) to "
            "followers or everyone; needs write:statuses as well", w,
            _json(_ref("Status"), "The post, as a Mastodon Status"),
            params=[_path_param("attempt_id", "The streak", _ID),
                    _path_param("key", "The milestone's key, e.g. d90")],
            body=_body({"visibility": {"type": "string", "enum": ["followers", "public"]},
                        "line": {"type": "string", "maxLength": 500}}),
            errors=("400", "404", "422"), also=("write:statuses",))},
    }


def document() -> Json:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hearth progress API", "version": "1",
                 "description": "A member's own sobriety counter, history, milestones, "
                 "check-ins, settings and export. Only ever the token's own member's data. "
                 "Errors are JSON {\"error\": reason}, as in the Mastodon API."},
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS, "responses": RESPONSES,
            "securitySchemes": {"oauth": {
                "type": "oauth2", "description": "The Mastodon API's tokens; read and "
                "write cover read:progress and write:progress.",
                "flows": {"authorizationCode": {
                    "authorizationUrl": "/oauth/authorize", "tokenUrl": "/oauth/token",
                    "scopes": {READ_SCOPE: "Read your progress", WRITE_SCOPE:
                               "Change your progress", "read": "Read everything",
                               "write": "Change everything",
                               "write:statuses": "Post statuses"}}}}},
        },
    }
