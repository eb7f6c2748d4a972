"""The stack's floor for bench/browser.py: a one-chart Streamlit page with Plotly, nothing else.

    streamlit run bench/floor_page.py
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
steps = np.arange(1, 1001)
w = 0.8 * np.exp(-steps / 300) + 0.1 + 0.02 * np.random.default_rng(0).standard_normal(1000)
fig = go.Figure(go.Scatter(x=steps, y=w, mode="lines", name="floor · W estimate (critic)"))
fig.update_layout(height=360, title="one chart")
st.plotly_chart(fig)
