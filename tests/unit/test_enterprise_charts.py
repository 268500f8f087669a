"""The profile's charts over the years: years as categories, whole-number ticks for a few people
or patents, both series named on the money chart, and words when there are no figures."""

from __future__ import annotations

import json

from components.enterprise_charts import history_charts, history_figure


def _years(n: int, **values) -> list[dict]:
    return [{"year": 2019 + i, **{k: v[i] for k, v in values.items()}} for i in range(n)]


def test_a_few_employees_or_patents_get_whole_number_ticks_and_many_do_not() -> None:
    few = history_figure(_years(2, employees=[3, 3]), "employees", "en")
    assert few.layout.yaxis.dtick == 1
    many = history_figure(_years(2, employees=[120, 900]), "employees", "en")
    assert many.layout.yaxis.dtick is None
    assert history_figure(_years(3, patents=[0, 2, None]), "patents", "zh").layout.yaxis.dtick == 1


def test_years_are_categories_labelled_every_other_year_when_there_are_many() -> None:
    short = history_figure(_years(4, rd_share=[0.01, 0.02, None, 0.03]), "rd_share", "en")
    assert list(short.data[0].x) == ["2019", "2020", "2021", "2022"] and short.layout.xaxis.dtick == 1
    assert short.layout.xaxis.type == "category" and short.layout.yaxis.tickformat == ".1%"
    long = history_figure(_years(7, revenue=list(range(7)), tax=list(range(7))), "money", "zh")
    assert long.layout.xaxis.dtick == 2
    assert [trace.name for trace in long.data] == ["营业收入", "税收"] and long.layout.showlegend


def test_no_history_is_said_in_words() -> None:
    assert "No yearly figures" in json.dumps(history_charts([], "en").to_plotly_json(), default=str)
