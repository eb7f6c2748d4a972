"""The floor for bench/sliders.py: one slider and one image that depends on it, nothing else.

    streamlit run bench/slider_floor.py
"""

import io

import numpy as np
import streamlit as st
from PIL import Image

value = st.slider("direction 1", -3.0, 3.0, 0.0, 0.1, key="floor_slider")
rng = np.random.default_rng(int((value + 3) * 10))
img = (rng.random((90, 700)) * 255).astype(np.uint8)  # the size of the lab's grid of 8 digits at 3x
buf = io.BytesIO()
Image.fromarray(img).save(buf, format="PNG")
st.image(buf.getvalue(), caption=f"value {value:.1f}")
