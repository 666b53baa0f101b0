"""Module pages count only the records their caller may view."""

from __future__ import annotations

from backoffice.domains.home import overview
from backoffice.platform.navigation import MODULES
from tests.factories import make_principal


def test_a_module_page_counts_only_what_its_caller_may_view(session):
    lead = make_principal(session, "cs.lead", ["cs_lead"])
    officer = make_principal(session, "kyc.officer", ["compliance"])
    kyc_stats = next(m.stats for m in MODULES if m.key == "kyc")
    assert {"kyc_open", "watchlist"} <= set(kyc_stats)
    # the lead requests suitability overrides, which live in the KYC module, and sees it …
    assert lead.can("suitability_override", "view") and not lead.can("kyc_case", "view")
    # … but no count of cases or watch-list entries
    assert (
        overview.record_counts(session, list(kyc_stats), lead)
        .keys()
        .isdisjoint({"kyc_open", "watchlist"})
    )
    assert {"kyc_open", "watchlist"} <= overview.record_counts(
        session, list(kyc_stats), officer
    ).keys()
