"""One figure drawn twice, by app/basic_chart.py with Streamlit's theme and by st.plotly_chart (whose theme that
is): tests/test_browser.py holds the first's look against the second's, in the light and the dark theme."""

import plotly.graph_objects as go
import streamlit as st

from wgan_watch.app.basic_chart import basic_chart


def figure() -> go.Figure:
    fig = go.Figure([go.Scatter(x=[0, 1, 2], y=[3, 1, 2], name="a"), go.Scatter(x=[0, 1, 2], y=[1, 2, 4], name="b")])
    return fig.update_layout(title="two lines", xaxis_title="step", yaxis_title="value")


basic_chart(figure(), key="ours", theme="streamlit")
st.plotly_chart(figure(), key="streamlits")
