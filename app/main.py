"""WGAN Watch dashboard: `streamlit run app/main.py [-- --runs-dir PATH]`. Routing only."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # so `trainer` and `app` import

import streamlit as st  # noqa: E402

st.set_page_config(page_title="WGAN Watch", page_icon="📉", layout="wide")
page = st.navigation([
    st.Page("pages/runs.py", title="Runs", icon=":material/list:", default=True),
    st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
])
page.run()
