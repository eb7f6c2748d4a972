"""The Latent lab's toy picture: where points land, what the heatmap's colours mean, and odd samples."""

import io

import numpy as np
import pandas as pd
from PIL import Image

from wgan_watch.app import lab
from wgan_watch.app import toy_image as T

ORANGE = np.array(T.GENERATED[:3])


def sample(value=lambda x, y: x, real=((1.0, 1.0), (-1.0, -0.5)), n=21):
    g = np.linspace(-2.0, 2.0, n)
    xx, yy = np.meshgrid(g, g)
    return pd.concat([pd.DataFrame({"kind": "critic", "x": xx.ravel(), "y": yy.ravel(),
                                    "value": value(xx, yy).ravel()}),
                      pd.DataFrame({"kind": "real", "x": [p[0] for p in real], "y": [p[1] for p in real]})])


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def near(img: np.ndarray, color) -> np.ndarray:
    return np.abs(img - np.asarray(color)).sum(axis=-1) < 30


def test_the_square_is_centred_and_points_land_where_their_coordinates_say():
    c = T.toy_canvas(sample())
    assert c.pixels.shape == (T.SIZE, T.SIZE, 3) and c.lo == -c.hi and c.hi > 2.0
    img = pixels(T.toy_png(c, np.array([[1.5, 1.5]])))  # upper right
    rows, cols = np.nonzero(near(img, ORANGE))
    assert len(rows) and rows.mean() < T.SIZE / 2 < cols.mean()
    px = c.to_pixels(np.array([[1.5, 1.5]]))[0]
    assert abs(cols.mean() - px[0]) < 1.5 and abs(rows.mean() - px[1]) < 1.5


def test_high_critic_values_are_red_and_low_ones_blue():
    c = T.toy_canvas(sample(value=lambda x, y: x, real=()))
    mid = T.SIZE // 2
    left, right = c.pixels[mid, int(T.SIZE * 0.1)].astype(int), c.pixels[mid, int(T.SIZE * 0.9)].astype(int)
    assert left[2] > left[0] + 60 and right[0] > right[2] + 60
    assert c.has_critic
    wide = T.toy_canvas(sample(value=lambda x, y: x, real=((3.0, 0.0),)))  # a real point beyond the grid
    assert (wide.pixels[2, 2] == 255).all()  # outside the critic's grid: white


def test_real_points_are_drawn_translucent_and_moved_ones_on_top():
    c = T.toy_canvas(sample(value=lambda x, y: 0 * x, real=((-1.0, -1.0),)))
    col, row = np.round(c.to_pixels(np.array([[-1.0, -1.0]]))[0]).astype(int)
    dot, around = c.pixels[row, col].astype(int), c.pixels[row, col + 20].astype(int)
    assert (dot < around).all() and dot.min() > 40  # darker than the map beside it, but not black
    img = pixels(T.toy_png(c, np.array([[-1.0, -1.0]])))
    assert near(img[row:row + 1, col:col + 1], ORANGE).all()
    assert (pixels(T.toy_png(c, np.empty((0, 2)))) == c.pixels).all()


def test_a_flat_critic_non_finite_points_and_a_sample_without_a_grid_still_draw():
    flat = T.toy_canvas(sample(value=lambda x, y: 0 * x + 3.0))
    assert flat.has_critic and np.isfinite(flat.pixels).all()
    img = pixels(T.toy_png(flat, np.array([[np.nan, 0.0], [np.inf, 1.0], [0.5, 0.5]])))
    assert near(img, ORANGE).sum() > 0
    bare = T.toy_canvas(pd.DataFrame({"kind": "real", "x": [3.0, -3.0], "y": [0.0, 1.0]}))
    assert not bare.has_critic and bare.hi >= 3.0
    assert (bare.pixels[0, 0] == 255).all()


def test_the_top_of_the_picture_is_the_largest_y():
    c = T.toy_canvas(sample(value=lambda x, y: y, real=()))
    mid = T.SIZE // 2
    top, bottom = c.pixels[int(T.SIZE * 0.1), mid].astype(int), c.pixels[int(T.SIZE * 0.9), mid].astype(int)
    assert top[0] > top[2] + 60 and bottom[2] > bottom[0] + 60  # high (red) above, low (blue) below


def test_infinite_critic_values_are_white_and_do_not_flatten_the_rest():
    def value(x, y):
        v = x.copy()
        v[0, 0], v[-1, -1] = np.inf, -np.inf
        return v

    c = T.toy_canvas(sample(value=value, real=()))
    mid = T.SIZE // 2
    left, right = c.pixels[mid, int(T.SIZE * 0.1)].astype(int), c.pixels[mid, int(T.SIZE * 0.9)].astype(int)
    assert left[2] > left[0] + 60 and right[0] > right[2] + 60  # the finite values keep their colours
    col, row = np.round(c.to_pixels(np.array([[-2.0, -2.0]]))[0]).astype(int)  # the +inf cell, bottom left
    assert (c.pixels[row - 2, col + 2] == 255).all()
    assert not c.pixels.flags.writeable


def test_a_grid_one_column_wide_still_paints():
    one = pd.DataFrame({"kind": "critic", "x": 0.0, "y": np.linspace(-2, 2, 9), "value": np.linspace(-1, 1, 9)})
    c = T.toy_canvas(one)
    assert (c.pixels != 255).any(axis=-1).mean() > 0.5  # the one column covers the width


def write_sample(run, step, df):
    (run / "samples").mkdir(parents=True, exist_ok=True)
    df.to_parquet(run / "samples" / f"step_{step:08d}.parquet")


def test_the_lab_draws_from_the_sample_at_or_before_the_step_else_the_first(tmp_path):
    write_sample(tmp_path, 200, sample())
    write_sample(tmp_path, 400, sample())
    assert lab.nearest_sample(tmp_path, 399).name == "step_00000200.parquet"
    assert lab.nearest_sample(tmp_path, 100).name == "step_00000200.parquet"  # before any: the first
    assert lab.nearest_sample(tmp_path, 10_000).name == "step_00000400.parquet"
    png, canvas = lab.toy_points_png(tmp_path, 400, np.array([[0.5, 0.5]]))
    assert canvas is not None and canvas.has_critic and near(pixels(png), ORANGE).any()


def test_the_lab_draws_the_points_alone_without_a_readable_sample(tmp_path):
    points = np.array([[0.5, 0.5], [-1.0, 2.0]])
    png, canvas = lab.toy_points_png(tmp_path, 100, points)  # no samples folder
    assert canvas is None and near(pixels(png), ORANGE).any()
    write_sample(tmp_path, 100, pd.DataFrame({"a": [1.0]}))  # parquet, but not a toy sample
    png, canvas = lab.toy_points_png(tmp_path, 100, points)
    assert canvas is None and near(pixels(png), ORANGE).any()
    (tmp_path / "samples" / "step_00000100.parquet").write_bytes(b"not parquet")
    png, canvas = lab.toy_points_png(tmp_path, 100, points)
    assert canvas is None and near(pixels(png), ORANGE).any()


def test_the_charts_critic_map_is_the_pictures_map_with_its_opacity_as_alpha():
    """Under the points of the Monitor's and Compare's charts (charts.toy_samples_figure): blended over white it
    is the Latent lab's map, and it is transparent outside the grid, on a light or a dark page alike."""
    df = sample(n=11, real=((3.0, 3.0), (-1.0, -0.5)))  # a real point at 3: the square is wider than the grid
    lo, hi = T.span(df)
    png, vmin, vmax = T.critic_map_png(df[df["kind"] == "critic"], lo, hi, size=120)
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(float)
    assert (vmin, vmax) == (-2.0, 2.0)  # the colour bar's span: the values' (x here)
    alpha = rgba[..., 3:] / 255
    over_white = alpha * rgba[..., :3] + (1 - alpha) * 255
    assert np.abs(over_white - T._heatmap(df[df["kind"] == "critic"], lo, hi, 120)).max() <= 2
    assert set(np.unique(rgba[..., 3])) == {0, 191}  # 75%, the heatmap's opacity, or nothing
    assert rgba[0, 0, 3] == 0 and rgba[60, 60, 3] == 191  # a corner is outside the ±2 grid, the middle inside
    none = T.critic_map_png(df.assign(value=np.nan)[df["kind"] == "critic"], lo, hi, size=20)
    assert np.isnan(none[1]) and np.asarray(Image.open(io.BytesIO(none[0])))[..., 3].max() == 0
