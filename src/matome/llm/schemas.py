"""The answer of each task as a Pydantic model, and the JSON schema sent to the server.

The server is asked for ``json_schema`` output (falling back to ``json_object`` where it is not
supported); the answer is always validated here, with the length limits that the wire schema
leaves out (not every server accepts ``minLength``/``maxItems``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matome.llm.gates import GateError


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paragraph(_Answer):
    text: str = Field(min_length=1, max_length=500)
    cites: list[str] = Field(max_length=10)


class SummaryAnswer(_Answer):
    paragraphs: list[Paragraph] = Field(min_length=1, max_length=5)


class GroupAnswer(_Answer):
    label: str = Field(min_length=2, max_length=40)
    description: str = Field(min_length=2, max_length=160)
    cites: list[str] = Field(max_length=5)


class DiscussionAnswer(_Answer):
    paragraphs: list[Paragraph] = Field(min_length=1, max_length=7)


class MatomeAnswer(_Answer):
    headline: str = Field(min_length=2, max_length=90)
    paragraph: str = Field(min_length=2, max_length=500)
    cites: list[str] = Field(max_length=10)


SCHEMAS: dict[str, type[_Answer]] = {
    "summary": SummaryAnswer,
    "group": GroupAnswer,
    "discussion": DiscussionAnswer,
    "matome": MatomeAnswer,
}

_DROP = {"title", "minLength", "maxLength", "minItems", "maxItems", "default", "description"}


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_strip_each(v) if k in ("properties", "$defs") else _strip(v)) for k, v in node.items() if k not in _DROP}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _strip_each(named: dict[str, Any]) -> dict[str, Any]:
    return {name: _strip(v) for name, v in named.items()}


def wire_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of a task's answer as sent (every property required, no extras)."""
    return _strip(SCHEMAS[kind].model_json_schema())


def parse(kind: str, content: str | None) -> tuple[_Answer | None, list[str]]:
    """The validated answer, or None and the problems (in Japanese, for the retry message)."""
    if content is None or not content.strip():
        return None, [GateError("回答が空でした。", "format")]
    text = content.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        # an object inside a fenced block or after a sentence: the object alone (then validated)
        a, b = text.find("{"), text.rfind("}")
        try:
            if a < 0 or b <= a:
                raise e
            data = json.loads(text[a:b + 1])
        except json.JSONDecodeError:
            return None, [GateError(f"回答が正しいJSONではありません（{e.msg}、{e.pos}文字目）。JSONだけを返してください。", "format")]
    try:
        return SCHEMAS[kind].model_validate(data), []
    except ValidationError as e:
        errors = []
        for err in e.errors()[:8]:
            where = ".".join(str(x) for x in err["loc"]) or "(全体)"
            errors.append(GateError(f"JSONの形式が違います: {where}: {err['msg']}", "format"))
        return None, errors
