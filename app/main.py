"""WGAN Watch dashboard: `streamlit run app/main.py [-- --runs-dir PATH]`. Routing only.

The pages live in app/views/, not app/pages/: Streamlit serves a folder named pages/
as pages of their own, which would let a URL run a page without this router."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # so `trainer` and `app` import

import streamlit as st  # noqa: E402

st.set_page_config(page_title="WGAN Watch", page_icon="📉", layout="wide")
page = st.navigation([
    st.Page("views/runs.py", title="Runs", icon=":material/list:", default=True),
    st.Page("views/monitor.py", title="Monitor", icon=":material/monitoring:"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("views/latent.py", title="Latent lab", icon=":material/tune:"),
])
page.run()
