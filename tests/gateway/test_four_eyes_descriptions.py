"""The mutations the four-eyes principle (四眼原则) refuses to some callers say so in their description (newcomer
probe): an integrator reads who may not act before meeting the FORBIDDEN."""

from __future__ import annotations

from graphql import GraphQLObjectType

from gateway.schema import build_schema


def test_review_and_answers_describe_the_four_eyes_rule() -> None:
    mutation = build_schema()._schema.mutation_type
    assert isinstance(mutation, GraphQLObjectType)
    expected = {
        "reviewSubmission": "Four-eyes principle (四眼原则): whoever submitted the submission or corrected it "
                            "(made one of its versions), and the person it is about, may not review it at any "
                            "level (FORBIDDEN).",
        "answerAppeal": "Four-eyes principle (四眼原则): whoever filed the appeal and the person it is about may not "
                        "answer it (FORBIDDEN).",
        "answerObjection": "Four-eyes principle (四眼原则): whoever filed the objection and the person it is about may "
                           "not answer it (FORBIDDEN).",
    }
    for name, sentence in expected.items():
        assert sentence in (mutation.fields[name].description or ""), name
