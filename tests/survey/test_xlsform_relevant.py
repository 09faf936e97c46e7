"""XLSForm relevant expressions ⇄ conditions: the subset both ways, and what is refused."""

import pytest

from services.survey.xlsform_relevant import ExpressionError, condition, expression

QUESTIONS = {
    "q1": {"id": "q1", "type": "single", "names": {"yes": 1, "no": 2}},
    "q2": {"id": "q2", "type": "multiple", "names": {"a": 1, "b": 2}},
    "n": {"id": "n", "type": "number", "names": {}},
    "t": {"id": "t", "type": "text", "names": {}},
}
TYPES = {qid: q["type"] for qid, q in QUESTIONS.items()}


@pytest.mark.parametrize(("text", "expected"), [
    ("${q1} = 'yes'", {"question": "q1", "in": [1]}),
    ('${q1} != "no"', {"question": "q1", "not_in": [2]}),
    ("selected(${q2}, 'b')", {"question": "q2", "in": [2]}),
    ("selected( ${q1} , 'no' )", {"question": "q1", "in": [2]}),
    ("${n} > 3", {"question": "n", "gt": 3}),
    ("${n} <= -2.5", {"question": "n", "lte": -2.5}),
    ("${n} = '7'", {"question": "n", "eq": 7}),
    ("${t} != ''", {"answered": "t"}),
    ("${t} = ''", {"not": {"answered": "t"}}),
    ("${q1} = 'yes' and ${n} >= 1 and ${n} < 9",
     {"all": [{"question": "q1", "in": [1]}, {"question": "n", "gte": 1},
              {"question": "n", "lt": 9}]}),
    ("${q1} = 'yes' or (${n} > 3 and not(selected(${q2}, 'a')))",
     {"any": [{"question": "q1", "in": [1]},
              {"all": [{"question": "n", "gt": 3},
                       {"not": {"question": "q2", "in": [1]}}]}]}),
])
def test_the_subset_reads(text, expected):
    assert condition(text, QUESTIONS) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("${q1} = 'maybe'", "'maybe' is not a choice of q1"),
    ("${zz} = 1", "${zz} is not a question asked before"),
    ("${n} + 1 > 3", "cannot read '+ 1 > 3'"),
    ("${q1} > 'yes'", "compare it with = or !="),
    ("${q2} = 'a'", "use selected("),
    ("${t} = 'x'", "can only be compared with ''"),
    ("count-selected(${q2}) > 1", "expected ${question}"),
    ("${n} > 3 and", "expected ${question}"),
    ("(${n} > 3", "expected ) but found the end"),
    ("selected(${n}, 'a')", "needs a select question"),
    ("${n} = 'many'", "compare it with a number"),
    (". > 3", "cannot read"),
])
def test_what_is_outside_the_subset_is_refused(text, reason):
    with pytest.raises(ExpressionError) as info:
        condition(text, QUESTIONS)
    assert reason in str(info.value)


def test_conditions_write_back_to_expressions_that_read_the_same():
    numbered = {**QUESTIONS, "q1": {**QUESTIONS["q1"], "names": {"1": 1, "2": 2}},
                "q2": {**QUESTIONS["q2"], "names": {"1": 1, "2": 2}}}
    for cond in ({"question": "q1", "in": [1]}, {"question": "q1", "not_in": [2]},
                 {"question": "q2", "in": [2]}, {"question": "n", "gte": 2.5},
                 {"answered": "t"}, {"not": {"answered": "t"}},
                 {"not": {"question": "n", "gt": 3}},
                 {"any": [{"question": "q1", "in": [1]},
                          {"all": [{"question": "n", "ne": 4}, {"answered": "t"}]}]}):
        assert condition(expression(cond, TYPES), numbered) == cond
    assert expression({"question": "q1", "in": [1, 2]}, TYPES) == "${q1} = '1' or ${q1} = '2'"
    assert expression({"all": [{"question": "q2", "in": [1, 2]}, {"answered": "n"}]},
                      TYPES) == "(selected(${q2}, '1') or selected(${q2}, '2')) and ${n} != ''"
    with pytest.raises(ValueError):
        expression({"question": "q1", "gt": 1}, TYPES)
