"""WGAN Watch dashboard: `streamlit run app/main.py [-- --runs-dir PATH]` (or `wgan-watch`). Routing only.

Installed, this folder is the package `wgan_watch.app` (pyproject.toml): the pages import the trainer's
side as `wgan_watch.runs` and `wgan_watch.advice`, never by a bare name a user's own `trainer.py` or `app.py`
could shadow. The pages live in views/, not pages/: Streamlit serves a folder named pages/ as pages of
their own, which would let a URL run a page without this router."""

import importlib.util

import streamlit as st

if importlib.util.find_spec("wgan_watch") is None:
    st.error("WGAN Watch is not installed in this Python environment: run `python -m pip install -e \".[train]\"` "
             "in the clone (README, first command), then start the dashboard again.")
    st.stop()

from wgan_watch.app.collector import freeze_imports  # noqa: E402  (after the check above: it needs the package)
from wgan_watch.app.favicon import favicon  # noqa: E402

# the tab's icon is drawn here: a Material icon would be fetched from fonts.gstatic.com on every page load
st.set_page_config(page_title="WGAN Watch", page_icon=favicon(), layout="wide")
page = st.navigation([
    st.Page("views/runs.py", title="Runs", icon=":material/list:", default=True),
    st.Page("views/monitor.py", title="Monitor", icon=":material/monitoring:"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("views/study.py", title="Study", icon=":material/query_stats:"),
    st.Page("views/latent.py", title="Latent lab", icon=":material/tune:"),
])
try:
    page.run()
finally:  # (also after st.stop or st.rerun)
    freeze_imports()  # the full collections walk only what the sessions made (app/collector.py)
