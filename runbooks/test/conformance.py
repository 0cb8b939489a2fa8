#!/usr/bin/python3
"""Check the aws stub's renderings against the real AWS CLI's.

Each line of the stub's aws-queries.jsonl holds an API response (the output
shape the stub answered), the --query and --output of the call, and what the
stub printed. This applies the query with the same jmespath library and the
same text/JSON formatting code that /usr/bin/aws (awscli 2.9.19) uses, and
prints every line where the stub printed something else. Exit status 1 if
any differs, 0 otherwise.
"""
import io
import json
import sys

import jmespath
from awscli import text


def rendered(record):
    data = record["response"]
    if record["query"] is not None:
        data = jmespath.search(record["query"], data)
    out = io.StringIO()
    if record["output"] == "text":
        # awscli.formatter.TextFormatter._format_response
        text.format_text(data, out)
        return out.getvalue().rstrip("\n")
    # awscli.formatter.JSONFormatter: nothing for an empty dict
    if data == {}:
        return ""
    return json.dumps(data, indent=4, ensure_ascii=False)


def main(path):
    seen, bad, n = set(), 0, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line in seen:
                continue
            seen.add(line)
            record = json.loads(line)
            n += 1
            want = rendered(record)
            got = record["printed"]
            if record["output"] == "json" and want and got:
                same = json.loads(want) == json.loads(got)
            else:
                same = want == got
            if not same:
                bad += 1
                print(f"query {record['query']!r} --output {record['output']}: "
                      f"real CLI prints {want!r}, stub printed {got!r}")
    print(f"{n} distinct renderings checked, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
