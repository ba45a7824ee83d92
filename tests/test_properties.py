"""Property tests of the KPI functions (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmi_metrics.metrics import filters, kpis
from qmi_metrics.metrics.filters import Filters, UnknownFilterValue
from qmi_metrics.present import formatting

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def demo_views(demo_con):
    return ([None] + [r["edition_id"] for r in filters.editions(demo_con)],
            [r["insee"] for r in filters.communes(demo_con, participating_only=True)])


@SETTINGS
@given(data=st.data())
def test_theme_shares_of_a_partition_sum_to_one(demo_con, demo_views, data):
    editions, communes = demo_views
    view = Filters(edition=data.draw(st.sampled_from(editions)),
                   communes=tuple(data.draw(st.lists(st.sampled_from(communes), max_size=3, unique=True))))
    shares = [r for r in kpis.compute_all(demo_con, view) if r.id.startswith("theme_share:")]
    assert len(shares) == 8
    if all(r.value is None for r in shares):
        return  # no project in this view
    assert sum(r.value for r in shares) == pytest.approx(1.0)


@SETTINGS
@given(data=st.data())
def test_rates_stay_between_zero_and_one(demo_con, demo_views, data):
    editions, communes = demo_views
    themes = [t["theme_slug"] for t in filters.themes(demo_con)]
    view = Filters(edition=data.draw(st.sampled_from(editions)),
                   communes=tuple(data.draw(st.lists(st.sampled_from(communes), max_size=3, unique=True))),
                   themes=tuple(data.draw(st.lists(st.sampled_from(themes), max_size=3, unique=True))))
    for result in kpis.compute_all(demo_con, view):
        if result.unit in ("ratio", "index") and result.value is not None:
            assert 0.0 <= result.value <= 1.0, result.id


@SETTINGS
@given(commune=st.text(), theme=st.text(), edition=st.one_of(st.none(), st.integers(-10**6, 10**6)))
def test_filters_never_raise_on_any_string(reference_con, commune, theme, edition):
    # Bound, never formatted: any string is just a value that matches nothing.
    results = kpis.compute_all(reference_con, Filters(edition=edition, communes=(commune,), themes=(theme,)))
    assert len(results) > 20
    # Resolving what a user typed either succeeds or says which values are valid.
    try:
        filters.resolve(reference_con, edition=edition, commune=commune, theme=theme)
    except UnknownFilterValue as error:
        assert error.valid


@settings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
       unit=st.sampled_from(["count", "ratio", "months", "people", "index", "score_10", "inhabitants"]))
def test_formatting_never_fails_and_keeps_french_separators(value, unit):
    text = formatting.value(value, unit, "fr")
    assert text and "." not in text.replace("janv.", "")
    assert formatting.value(value, unit, "en")
