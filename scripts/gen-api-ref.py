#!/usr/bin/env python3
"""docs/api/reference.md from docs/api/openapi.yaml: the API reference, one
section per route, then the schemas and the shared responses.

    scripts/gen-api-ref.py [OPENAPI [OUT]]      (defaults: the two docs/api files)
    scripts/gen-api-ref.py --check [OPENAPI [OUT]]

--check writes nothing: exit 0 when OUT is what the document generates, 1
(with a unified diff on stderr) when it is stale.  The OpenAPI document is
the source (t_mgmtd_http checks it against the routes the binary serves);
the reference is never edited by hand.
"""
import difflib
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("get", "put", "post", "patch", "delete")


def one_line(text):
    return " ".join(str(text).split())


def cell(text):
    return one_line(text).replace("|", "\\|")


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def type_of(schema):
    """A short type text for a schema: string, integer (0..300), Device, [Device] ..."""
    if schema is None:
        return ""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return "[%s](#schema-%s)" % (name, name.lower())
    t = schema.get("type", "")
    if t == "array":
        return "array of " + type_of(schema.get("items"))
    if "enum" in schema:
        return "%s: %s" % (t, ", ".join("`%s`" % v for v in schema["enum"]))
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        t += " (%s..%s)" % ("" if lo is None else lo, "" if hi is None else hi)
    if schema.get("nullable"):
        t += " or null"
    if "pattern" in schema:
        t += ", pattern `%s`" % schema["pattern"]
    if "format" in schema:
        t += ", %s" % schema["format"]
    return t


def props_table(schema, out):
    props = schema.get("properties") or {}
    if not props:
        out.append("Type: %s." % (type_of(schema) or "object") + "\n")
        return
    req = set(schema.get("required") or [])
    out.append("| member | type | required | description |")
    out.append("|---|---|---|---|")
    for name, p in props.items():
        out.append("| `%s` | %s | %s | %s |" % (name, cell(type_of(p)), "yes" if name in req else "",
                                               cell(p.get("description", ""))))
    out.append("")


def auth_text(op, doc):
    sec = op.get("security", doc.get("security"))
    if sec == []:
        return "none"
    if sec:
        return ", ".join(sorted(k for s in sec for k in s))
    return "a bearer token or a session (changes: with X-Subnetra-CSRF)"


def generate(doc):
    out = []
    info = doc["info"]
    out.append("# %s API reference (version %s)" % (info["title"], info["version"]))
    out.append("")
    out.append("Generated from [openapi.yaml](openapi.yaml) by `scripts/gen-api-ref.py`; "
               "do not edit by hand (`make test` checks that it is current). "
               "The binary serves the same document at `GET /api/v1/openapi.yaml`.")
    out.append("")
    out.append(info.get("description", "").strip())
    out.append("")
    out.append("Servers:")
    out.append("")
    for s in doc.get("servers", []):
        out.append("- `%s`: %s" % (s["url"], one_line(s.get("description", ""))))
    out.append("")
    out.append("## Routes")
    out.append("")
    out.append("| method | path | summary |")
    out.append("|---|---|---|")
    ops = []
    for path, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                ops.append((path, m, item[m]))
                out.append("| %s | [`%s`](#%s) | %s |" % (m.upper(), path, item[m]["operationId"].lower(),
                                                       cell(item[m].get("summary", ""))))
    out.append("")
    for path, m, op in ops:
        out.append('<a id="%s"></a>' % op["operationId"].lower())
        out.append("### %s %s" % (m.upper(), path))
        out.append("")
        out.append("**%s** (`%s`). Authentication: %s." % (one_line(op.get("summary", "")),
                                                           op["operationId"], auth_text(op, doc)))
        out.append("")
        if op.get("description"):
            out.append(op["description"].strip())
            out.append("")
        params = op.get("parameters") or []
        if params:
            out.append("| parameter | in | type | required | description |")
            out.append("|---|---|---|---|---|")
            for p in params:
                out.append("| `%s` | %s | %s | %s | %s |" % (p["name"], p["in"], cell(type_of(p.get("schema"))),
                                                           "yes" if p.get("required") else "",
                                                           cell(p.get("description", ""))))
            out.append("")
        body = op.get("requestBody")
        if body:
            for ctype, c in body.get("content", {}).items():
                out.append("Request body (`%s`%s):" % (ctype, ", required" if body.get("required") else ""))
                out.append("")
                props_table(c.get("schema") or {}, out)
        out.append("| status | meaning |")
        out.append("|---|---|")
        for status, r in op.get("responses", {}).items():
            if "$ref" in r:
                name = ref_name(r["$ref"])
                desc = doc["components"]["responses"][name].get("description", "")
                text = "%s ([%s](#response-%s))" % (one_line(desc), name, name.lower())
            else:
                text = one_line(r.get("description", ""))
                for c in (r.get("content") or {}).values():
                    if c.get("schema"):
                        text += ": " + type_of(c["schema"])
            out.append("| %s | %s |" % (status, cell(text)))
        out.append("")
    out.append("## Schemas")
    out.append("")
    for name, schema in doc["components"]["schemas"].items():
        out.append('<a id="schema-%s"></a>' % name.lower())
        out.append("### %s" % name)
        out.append("")
        if schema.get("description"):
            out.append(one_line(schema["description"]))
            out.append("")
        props_table(schema, out)
    out.append("## Shared responses")
    out.append("")
    for name, r in doc["components"]["responses"].items():
        out.append('<a id="response-%s"></a>' % name.lower())
        out.append("- **%s**: %s" % (name, one_line(r.get("description", ""))))
    out.append("")
    out.append("## Authentication schemes")
    out.append("")
    for name, s in doc["components"].get("securitySchemes", {}).items():
        out.append("- **%s**: %s" % (name, one_line(s.get("description", ""))))
    out.append("")
    return "\n".join(out)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    src = args[0] if args else os.path.join(ROOT, "docs/api/openapi.yaml")
    dst = args[1] if len(args) > 1 else os.path.join(ROOT, "docs/api/reference.md")
    with open(src, encoding="utf-8") as f:
        text = generate(yaml.safe_load(f))
    if check:
        try:
            with open(dst, encoding="utf-8") as f:
                have = f.read()
        except OSError as e:
            print("gen-api-ref: %s: %s" % (dst, e.strerror), file=sys.stderr)
            return 1
        if have == text:
            return 0
        sys.stderr.writelines(difflib.unified_diff(have.splitlines(True), text.splitlines(True),
                                                   dst, "generated from " + src))
        print("gen-api-ref: %s is stale: run scripts/gen-api-ref.py" % dst, file=sys.stderr)
        return 1
    tmp = dst + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
