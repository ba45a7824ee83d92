"""Shared by the page tests: run an AppTest page through every view."""


def render_every_view(at, communes: list[str], check) -> None:
    """All editions (the URL's edition=all), then editions 1 and 2, then each commune of edition 1.
    (AppTest drops the sidebar after switch_page: the filters are set through their session keys.)"""
    check("all editions")
    for edition in (1, 2):
        at.session_state["f_edition"] = edition
        at.run()
        check(f"edition {edition}")
    at.session_state["f_edition"] = 1
    for insee in communes:
        at.session_state["f_communes"] = [insee]
        at.run()
        check(f"edition 1, commune {insee}")
